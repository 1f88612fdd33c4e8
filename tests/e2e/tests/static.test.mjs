// What the server's Content-Security-Policy demands of client-web, checked
// in the files themselves and in the served headers: no inline script, no
// style attribute, no event-handler attribute, nothing from another origin,
// and no innerHTML-like sink in the scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WEB_ROOT } from '../lib/server.mjs';

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : [p];
  });
}

const files = walk(WEB_ROOT);
const rel = (p) => path.relative(WEB_ROOT, p);

test('HTML has no inline script, style attribute or handler attribute', () => {
  for (const f of files.filter((p) => p.endsWith('.html'))) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /<script(?![^>]*\bsrc=)[^>]*>/i, `${rel(f)}: inline <script>`);
    assert.doesNotMatch(src, /\sstyle\s*=/i, `${rel(f)}: style attribute`);
    assert.doesNotMatch(src, /<style[\s>]/i, `${rel(f)}: <style> element`);
    assert.doesNotMatch(src, /\son[a-z]+\s*=/i, `${rel(f)}: event-handler attribute`);
    // Loaded resources (src=, <link href=>); a plain link (<a href>) to
    // another site loads nothing and is fine (the accessibility statement
    // names its supervisory authority).
    assert.doesNotMatch(src, /\ssrc\s*=\s*"(?:https?:)?\/\//i, `${rel(f)}: resource from another origin`);
    assert.doesNotMatch(src, /<link\b[^>]*\shref\s*=\s*"(?:https?:)?\/\//i, `${rel(f)}: stylesheet or icon from another origin`);
  }
});

test('CSS loads nothing from elsewhere', () => {
  for (const f of files.filter((p) => p.endsWith('.css'))) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /@import|url\(\s*['"]?(?:https?:)?\/\//i, `${rel(f)}: external resource`);
  }
});

test('scripts never turn data into HTML', () => {
  for (const f of files.filter((p) => /\.(m?js)$/.test(p))) {
    const src = fs.readFileSync(f, 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setAttribute(\'style\'', 'DOMParser']) {
      assert.ok(!src.includes(sink), `${rel(f)} uses ${sink}`);
    }
  }
});

test('JSON files parse: i18n and canned answers', () => {
  for (const f of files.filter((p) => p.endsWith('.json'))) {
    assert.doesNotThrow(() => JSON.parse(fs.readFileSync(f, 'utf8')), rel(f));
  }
  const canned = JSON.parse(fs.readFileSync(path.join(WEB_ROOT, 'canned.json'), 'utf8'));
  for (const l of ['fi', 'sv', 'en']) {
    assert.ok(Array.isArray(canned[l].answers) && canned[l].answers.length, `canned ${l} answers`);
    for (const a of canned[l].answers) assert.ok(a.title && a.text, `canned ${l}: ${JSON.stringify(a)}`);
    for (const k of canned[l].links || []) assert.match(k.url, /^https:\/\//, `canned ${l} link`);
  }
});
