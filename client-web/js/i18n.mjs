// Strings for the resident page and the advisor console.
// Markup names its strings with data-i18n="key" (text) and
// data-i18n-attr="attr:key;attr:key" (attributes); dynamic elements may add
// data-i18n-params='{"n":3}'. Everything is set with textContent or
// setAttribute, never as HTML.

const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };
const KNOWN = Object.keys(LOCALES);
const STORE_KEY = 'neuvo.lang';

let current = 'fi';
let dict = {};
// Where a chosen language is remembered: nowhere unless a page says so
// (useStorage). The console keeps it in localStorage across visits; the
// resident page in sessionStorage only, so that a shared computer shows no
// trace of a visit (CONTRACT section 9).
let storage = null;
const fallback = {};
const listeners = [];

function fileUrl(lang) {
  return new URL(`../i18n/${lang}.json`, import.meta.url);
}

async function load(lang) {
  const res = await fetch(fileUrl(lang), { cache: 'no-cache' });
  if (!res.ok) throw new Error(`i18n ${lang}: HTTP ${res.status}`);
  return res.json();
}

function kept() {
  return storage;
}

/** Remember the chosen language in this storage (e.g. sessionStorage); null: nowhere. */
export function useStorage(s) { storage = s; }

function readStored() {
  try { return kept()?.getItem(STORE_KEY) ?? null; } catch { return null; }
}

function store(lang) {
  try { kept()?.setItem(STORE_KEY, lang); } catch { /* private mode */ }
}

/** The language to start with: ?lang=, an earlier choice, the browser's. */
export function pickLanguage(allowed = KNOWN, fallbackLang = 'fi') {
  const ok = (l) => l && allowed.includes(l) && KNOWN.includes(l);
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (ok(fromUrl)) return fromUrl;
  const stored = readStored();
  if (ok(stored)) return stored;
  for (const l of navigator.languages || [navigator.language]) {
    const base = String(l || '').toLowerCase().split('-')[0];
    if (ok(base)) return base;
  }
  return ok(fallbackLang) ? fallbackLang : allowed.find(ok) || 'fi';
}

export function lang() { return current; }
export function locale() { return LOCALES[current] || 'fi-FI'; }
export function supported() { return KNOWN.slice(); }

/** The string for key with {name} replaced from params. */
export function t(key, params) {
  let s = dict[key];
  if (typeof s !== 'string') s = fallback[key];
  if (typeof s !== 'string') return key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) =>
      Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m);
  }
  return s;
}

export function has(key) {
  return typeof dict[key] === 'string' || typeof fallback[key] === 'string';
}

function paramsOf(el) {
  const raw = el.getAttribute('data-i18n-params');
  if (!raw) return undefined;
  try { return JSON.parse(raw); } catch { return undefined; }
}

/** Set data-i18n on el (with optional params) and its text now. */
export function setText(el, key, params) {
  el.setAttribute('data-i18n', key);
  if (params) el.setAttribute('data-i18n-params', JSON.stringify(params));
  else el.removeAttribute('data-i18n-params');
  el.textContent = t(key, params);
  return el;
}

/** Fill every marked element under root. */
export function apply(root = document) {
  const scope = root.querySelectorAll ? root : document;
  const all = [...scope.querySelectorAll('[data-i18n], [data-i18n-attr]')];
  if (root.matches && root.matches('[data-i18n], [data-i18n-attr]')) all.push(root);
  for (const el of all) {
    const key = el.getAttribute('data-i18n');
    if (key) el.textContent = t(key, paramsOf(el));
    const attrs = el.getAttribute('data-i18n-attr');
    if (attrs) {
      for (const pair of attrs.split(';')) {
        const [attr, k] = pair.split(':').map((x) => x && x.trim());
        if (attr && k) el.setAttribute(attr, t(k, paramsOf(el)));
      }
    }
  }
}

export function onChange(fn) { listeners.push(fn); }

/** Switch language: load, fill the page, tell listeners. */
export async function setLanguage(l, { remember = true } = {}) {
  if (!KNOWN.includes(l)) l = 'fi';
  dict = await load(l);
  current = l;
  document.documentElement.lang = l;
  if (remember) store(l);
  apply(document);
  if (dict['page.title']) document.dispatchEvent(new CustomEvent('neuvo:title'));
  for (const fn of listeners) {
    try { fn(l); } catch (e) { console.error(e); }
  }
}

/** Load the fallback (English, then Finnish for anything missing) and start. */
export async function init(start) {
  try { Object.assign(fallback, await load('fi'), await load('en')); } catch (e) { console.error(e); }
  await setLanguage(start, { remember: false });
}

/**
 * The visible language switch: a button per language, each named in its
 * own language, aria-pressed on the current one.
 */
export function buildSwitch(container, allowed = KNOWN) {
  const names = { fi: 'Suomi', sv: 'Svenska', en: 'English' };
  container.replaceChildren();
  for (const l of KNOWN.filter((x) => allowed.includes(x))) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'lang-btn';
    b.lang = l;
    b.dataset.lang = l;
    // Full name, and a short code that narrow screens show (the full name
    // then stays for screen readers).
    const long = document.createElement('span');
    long.className = 'lang-long';
    long.textContent = names[l];
    const short = document.createElement('span');
    short.className = 'lang-short';
    short.textContent = l.toUpperCase();
    b.append(short, ' ', long);
    b.addEventListener('click', () => { setLanguage(l).catch(console.error); });
    container.append(b);
  }
  const mark = () => {
    for (const b of container.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.lang === current));
    }
  };
  mark();
  onChange(mark);
}
