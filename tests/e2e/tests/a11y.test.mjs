// Keyboard alone: every step of a chat can be reached with Tab and Enter,
// focus is always visible, and the served pages carry the CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR } from '../lib/server.mjs';
import { openPage, loginAdvisor } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });

test('the pages are served with the Content-Security-Policy', async () => {
  for (const p of ['/', '/advisor/', '/js/resident.mjs', '/i18n/fi.json', '/embed.js']) {
    const res = await fetch(`${env.srv.url}${p}`);
    assert.equal(res.status, 200, p);
    assert.match(res.headers.get('content-security-policy') || '', /script-src 'self'/, p);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
  }
  const js = await fetch(`${env.srv.url}/js/resident.mjs`);
  assert.match(js.headers.get('content-type'), /javascript/);
});

/** Tab until an element matching sel is focused; check each stop shows focus. */
async function tabTo(page, sel, max = 25) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate((want) => {
      const e = document.activeElement;
      const cs = getComputedStyle(e);
      const label = e.closest('label');
      const ls = label ? getComputedStyle(label) : null;
      const track = e.matches('.switch input') ? getComputedStyle(e.nextElementSibling) : null;
      return {
        id: e.id || e.className || e.tagName,
        outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
        labelOutline: !!ls && ls.outlineStyle !== 'none',
        trackOutline: !!track && track.outlineStyle !== 'none',
        done: e.matches(want),
      };
    }, sel);
    seen.push(info.id);
    assert.ok(info.outline || info.labelOutline || info.trackOutline, `focus visible on ${info.id}`);
    if (info.done) return seen;
  }
  throw new Error(`never reached ${sel}: ${seen.join(' > ')}`);
}

test('a resident can chat with the keyboard alone', async () => {
  const adv = await openPage(env.browser, { locale: 'fi-FI' });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 360, height: 740 });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#view-start').waitFor({ state: 'visible' });
  await tabTo(page, '#topic');
  await page.keyboard.press('ArrowDown');
  await tabTo(page, '#start-btn');
  await page.keyboard.press('Enter');
  await page.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'msg-input', 'focus on the message box');
  await page.keyboard.type('Kysymys näppäimistöllä');
  await page.keyboard.press('Enter');
  await page.locator('#messages li[data-id]').filter({ hasText: 'näppäimistöllä' }).waitFor();
  await adv.page.locator('#take-next').click();
  await page.locator('#messages li.system.joined').waitFor();
  // The live region has told a screen reader user.
  assert.match(await page.locator('#announcer').innerText(), /tuli keskusteluun/);

  // Email dialog by keyboard, then end the chat by keyboard.
  await page.locator('#msg-input').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  const back = await page.evaluate(() => document.activeElement.id);
  assert.ok(['end-btn', 'email-toggle'].includes(back), back);
  await page.locator('#end-btn').focus();
  await page.keyboard.press('Enter');
  await page.locator('#end-dialog').waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await page.locator('#end-dialog').waitFor({ state: 'hidden' });
  await page.locator('#end-btn').focus();
  await page.keyboard.press('Enter');
  await page.locator('#end-confirm').focus();
  await page.keyboard.press('Enter');
  await page.locator('#feedback-panel').waitFor({ state: 'visible' });
  await tabTo(page, '#feedback-send', 40);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('#feedback-result.ok').waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
  await adv.context.close();
});

test('the advisor console works by keyboard', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI' });
  await page.goto(`${env.srv.url}/advisor/`);
  await page.locator('#username').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'username');
  await page.keyboard.type(ADVISOR.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADVISOR.password);
  await page.keyboard.press('Enter');
  await page.locator('#view-console').waitFor({ state: 'visible', timeout: 30000 });
  const res = await openPage(env.browser, { locale: 'fi-FI' });
  await res.page.goto(`${env.srv.url}/`);
  await res.page.locator('#start-btn').click();
  await page.locator('#queue-list li.q-item').waitFor();
  await tabTo(page, 'button.q-take', 30);
  await page.keyboard.press('Enter');
  const input = page.locator('.chat-panel:not([hidden]) textarea.msg-input');
  await input.waitFor();
  assert.equal(await input.evaluate((e) => e === document.activeElement), true, 'focus in the reply box');
  await page.keyboard.type('Hei! Miten voin auttaa?');
  await page.keyboard.press('Enter');
  await res.page.locator('#messages li.msg-other').filter({ hasText: 'Miten voin auttaa' }).waitFor();
  assert.deepEqual(page.problems, []);
  await res.context.close();
  await context.close();
});
