// The advisor console beyond the basic chat: login errors, several chats in
// tabs with unread counts, notifications in the background, canned answers
// in the chat's language, the availability switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR } from '../lib/server.mjs';
import { openPage, loginAdvisor, screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });

async function resident(locale, topicValue) {
  const r = await openPage(env.browser, { locale, width: 400, height: 700 });
  await r.page.goto(`${env.srv.url}/`);
  await r.page.locator('#view-start').waitFor({ state: 'visible' });
  if (topicValue) await r.page.locator('#topic').selectOption(topicValue);
  await r.page.locator('#start-btn').click();
  await r.page.locator('#messages li.system').first().waitFor();
  return r;
}

async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test('a wrong password is refused clearly', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI' });
  await page.goto(`${env.srv.url}/advisor/`);
  await page.locator('#username').fill(ADVISOR.username);
  await page.locator('#password').fill('väärä salasana');
  await page.locator('#login-btn').click();
  await page.locator('#login-result').filter({ hasText: 'Väärä käyttäjätunnus tai salasana' }).waitFor({ timeout: 30000 });
  assert.equal(await page.locator('#view-login').isVisible(), true);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('neuvo.advisor.token')), null);
  await screenshot(page, 'console-login-failed-1280');
  await axe(page, 'console, login failed');
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('several chats in tabs, unread counts, background sound and title badge', async () => {
  const adv = await openPage(env.browser, { locale: 'en-GB', width: 1280, height: 800 });
  const ap = adv.page;
  await loginAdvisor(ap, env.srv.url, ADVISOR);
  assert.ok(await ap.evaluate(() => sessionStorage.getItem('neuvo.advisor.token')), 'token in sessionStorage');

  // Availability shows in the public status.
  await ap.locator('.switch').click();
  await ap.waitForFunction(() => !document.querySelector('#available').checked);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await env.srv.status()).advisors_available, 0);
  await ap.locator('.switch').click();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await env.srv.status()).advisors_available, 1);

  const r1 = await resident('en-GB', 'income_support');
  const r2 = await resident('sv-SE', 'family');
  await ap.locator('#queue-list li.q-item').nth(1).waitFor();
  const q = await ap.locator('#queue-list li.q-item').allInnerTexts();
  assert.match(q[0], /English/);
  assert.match(q[0], /Income support/);
  assert.match(q[1], /Swedish/);
  assert.match(q[1], /Family/);
  assert.equal(await ap.locator('#queue-count').innerText(), '2');

  // Take the second one by choice, then the next (the first).
  await ap.locator('#queue-list li.q-item').nth(1).locator('button').click();
  await ap.locator('#tabs [role="tab"]').first().waitFor();
  await ap.locator('#take-next').click();
  await ap.locator('#tabs [role="tab"]').nth(1).waitFor();
  const tabs = ap.locator('#tabs [role="tab"]');
  assert.equal(await tabs.nth(1).getAttribute('aria-selected'), 'true', 'the newest chat is shown');
  assert.match(await tabs.nth(0).innerText(), /SV/);
  assert.match(await tabs.nth(1).innerText(), /EN/);

  // Canned answers follow the chat's language.
  const selCanned = ap.locator('.chat-panel:not([hidden]) select.canned');
  assert.ok((await selCanned.locator('option').allInnerTexts()).includes('Greeting'));
  await tabs.nth(0).click();
  assert.ok((await ap.locator('.chat-panel:not([hidden]) select.canned option').allInnerTexts()).includes('Hälsning'));

  // A message in the chat that is not shown counts as unread.
  await tabs.nth(1).focus();
  await ap.keyboard.press('ArrowLeft');
  assert.equal(await tabs.nth(0).getAttribute('aria-selected'), 'true', 'arrow keys move between tabs');
  await r1.page.locator('#msg-input').fill('Hello, a question about income support');
  await r1.page.keyboard.press('Enter');
  await tabs.nth(1).locator('.unread').filter({ hasText: '1' }).waitFor();
  assert.match(await tabs.nth(1).innerText(), /unread/i);
  await screenshot(ap, 'console-two-chats-1280');
  await axe(ap, 'console, two chats');
  await tabs.nth(1).click();
  await tabs.nth(1).locator('.unread').waitFor({ state: 'hidden' });

  // In the background: sound (WebAudio) and a count in the title.
  await setHidden(ap, true);
  const before = Number(await ap.evaluate(() => document.body.dataset.chimes || 0));
  await r2.page.locator('#msg-input').fill('Hej, en fråga');
  await r2.page.keyboard.press('Enter');
  await ap.waitForFunction(() => document.title.startsWith('(1) '));
  const r3 = await resident('fi-FI');
  await ap.waitForFunction(() => document.title.startsWith('(2) '));
  assert.equal(Number(await ap.evaluate(() => document.body.dataset.chimes)), before + 2);
  await setHidden(ap, false);
  await ap.waitForFunction(() => !document.title.startsWith('('));
  assert.equal(await ap.title(), 'Advisor console');

  // Three chats is the limit: the fourth take is refused politely.
  await ap.locator('#take-next').click();
  await tabs.nth(2).waitFor();
  const r4 = await resident('fi-FI');
  await ap.locator('#queue-list li.q-item').first().waitFor();
  await ap.locator('#take-next').click();
  await ap.locator('#toasts .toast').filter({ hasText: 'as many chats as allowed' }).waitFor();

  for (const p of [ap, r1.page, r2.page, r3.page, r4.page]) assert.deepEqual(p.problems, []);
  for (const c of [adv, r1, r2, r3, r4]) await c.context.close();
});
