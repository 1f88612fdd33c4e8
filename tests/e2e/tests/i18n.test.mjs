// The three languages: complete string files, the browser's language
// followed, the visible switch, and the language reaching the advisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ADVISOR, WEB_ROOT, TOPICS } from '../lib/server.mjs';
import { openPage, loginAdvisor, axe, screenshot } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const LANGS = ['fi', 'sv', 'en'];
const dicts = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(fs.readFileSync(path.join(WEB_ROOT, 'i18n', `${l}.json`), 'utf8'))]));

test('string files are complete in all three languages', () => {
  const keys = Object.keys(dicts.en).sort();
  for (const l of LANGS) {
    assert.deepEqual(Object.keys(dicts[l]).sort(), keys, `${l}.json has the same keys as en.json`);
    for (const [k, v] of Object.entries(dicts[l])) {
      assert.equal(typeof v, 'string', `${l}:${k}`);
      assert.ok(v.trim().length > 0, `${l}:${k} is empty`);
      const want = (dicts.en[k].match(/\{\w+\}/g) || []).sort();
      assert.deepEqual((v.match(/\{\w+\}/g) || []).sort(), want, `${l}:${k} placeholders`);
    }
  }
  // Every key the pages and scripts name exists.
  const used = new Set();
  const files = ['index.html', 'advisor/index.html', ...fs.readdirSync(path.join(WEB_ROOT, 'js')).map((f) => `js/${f}`)];
  for (const f of files) {
    const src = fs.readFileSync(path.join(WEB_ROOT, f), 'utf8');
    for (const m of src.matchAll(/data-i18n="([a-z_]+\.[\w.]+)"/g)) used.add(m[1]);
    for (const m of src.matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(';')) {
        const k = (pair.split(':')[1] || '').trim();
        if (/^[a-z_]+\.[\w.]+$/.test(k)) used.add(k);
      }
    }
    for (const m of src.matchAll(/(?:\bt|setText\([^,()]+,|toast)\(\s*'([a-z_]+\.[\w.]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/setText\([^,()]+,\s*'([a-z_]+\.[\w.]+)'/g)) used.add(m[1]);
  }
  // Keys built from ids.
  for (const id of TOPICS) used.add(`topic.${id}`);
  for (const id of ['answered', 'referred', 'guidance_given', 'other']) used.add(`outcome.${id}`);
  for (const by of ['resident', 'advisor', 'timeout', 'closing', 'disconnect', 'other']) {
    used.add(`ended.${by}`);
    used.add(`ended_adv.${by}`);
  }
  for (const l of LANGS) used.add(`lang.${l}`);
  for (const s of ['ended', 'gone']) used.add(`chat_adv.tab_${s}`);
  const missing = [...used].filter((k) => !(k in dicts.en));
  assert.deepEqual(missing, [], 'keys used but not defined');
});

const env = useServerAndBrowser({ hours: 'open' });

const HEADINGS = { fi: 'Kysy sosiaalipalveluista', sv: 'Fråga om socialservice', en: 'Ask about social services' };
const LOCALES = { fi: 'fi-FI', sv: 'sv-SE', en: 'en-US' };

for (const l of LANGS) {
  test(`the page follows a browser in ${LOCALES[l]}`, async () => {
    const { context, page } = await openPage(env.browser, { locale: LOCALES[l], width: 360, height: 740, mobile: true });
    await page.goto(`${env.srv.url}/`);
    await page.locator('#start-h').filter({ hasText: HEADINGS[l] }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), l);
    assert.equal(await page.title(), dicts[l]['page.title']);
    assert.equal(await page.locator(`#langs button[data-lang="${l}"]`).getAttribute('aria-pressed'), 'true');
    const topics = await page.locator('#topic option').allInnerTexts();
    assert.ok(topics.includes(dicts[l]['topic.housing']), topics.join());
    await screenshot(page, `resident-open-${l}-360`);
    await axe(page, `open in ${l}`);
    assert.deepEqual(page.problems, []);
    await context.close();
  });
}

test('the visible switch changes the language and remembers it', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 1280 });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#start-h').filter({ hasText: HEADINGS.fi }).waitFor();
  await screenshot(page, 'resident-open-1280');
  await page.locator('#langs button[data-lang="sv"]').click();
  await page.locator('#start-h').filter({ hasText: HEADINGS.sv }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'sv');
  assert.match(await page.locator('#start-queue').innerText(), /rådgivare|kön/);
  await page.reload();
  await page.locator('#start-h').filter({ hasText: HEADINGS.sv }).waitFor();
  await page.goto(`${env.srv.url}/?lang=en`);
  await page.locator('#start-h').filter({ hasText: HEADINGS.en }).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the chat language reaches the advisor, whose console has its own language', async () => {
  const adv = await openPage(env.browser, { locale: 'sv-FI' });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  assert.equal(await adv.page.getAttribute('html', 'lang'), 'sv');
  assert.equal(await adv.page.locator('#take-next').innerText(), 'Ta nästa');
  const res = await openPage(env.browser, { locale: 'en-GB' });
  await res.page.goto(`${env.srv.url}/`);
  await res.page.locator('#start-btn').click();
  await adv.page.locator('#queue-list li.q-item').filter({ hasText: 'engelska' }).waitFor();
  await adv.page.locator('#langs button[data-lang="fi"]').click();
  await adv.page.locator('#queue-list li.q-item').filter({ hasText: 'englanti' }).waitFor();
  assert.equal(await adv.page.locator('#take-next').innerText(), 'Ota seuraava');
  await adv.page.locator('#take-next').click();
  await res.page.locator('#messages li.system.joined').filter({ hasText: 'joined the chat' }).waitFor();
  assert.deepEqual(res.page.problems, []);
  assert.deepEqual(adv.page.problems, []);
  await res.context.close();
  await adv.context.close();
});
