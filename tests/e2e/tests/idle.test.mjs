// WCAG 2.2.1: before the idle timeout ends a chat, the resident is warned and
// can continue. A short idle_timeout_s keeps the test quick (the server
// warns at 3/4 of a short timeout, 2 minutes before a long one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open', over: { 'queue.idle_timeout_s': 12 } });

test('the idle warning lets the resident continue, and silence ends the chat', async () => {
  assert.equal((await env.srv.status()).idle_timeout_s, 12, '/api/status carries idle_timeout_s');
  const { adv, res, rp } = await startChat(env.browser, env.srv.url);

  const dialog = rp.locator('#idle-dialog');
  await dialog.waitFor({ state: 'visible', timeout: 15000 });
  assert.match(await dialog.innerText(), /Oletko vielä paikalla/);
  assert.match(await rp.locator('#idle-left').innerText(), /0:0\d/);
  const focused = await rp.evaluate(() => document.activeElement.id);
  assert.equal(focused, 'idle-continue', 'focus goes to "continue"');
  await screenshot(rp, 'resident-idle-warning-360');
  await axe(rp, 'idle warning');
  await rp.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });

  // The ping reset the timer on the server: the chat is still on after the
  // original deadline has passed.
  await rp.waitForTimeout(5000);
  assert.equal(await rp.locator('#composer').isVisible(), true);
  assert.doesNotMatch(await rp.locator('#chat-h').innerText(), /päättynyt/);

  // Silence this time: the chat ends by timeout, both sides are told.
  await dialog.waitFor({ state: 'visible', timeout: 15000 });
  await rp.locator('#chat-h').filter({ hasText: 'Chat on päättynyt' }).waitFor({ timeout: 15000 });
  assert.equal(await dialog.isHidden(), true);
  assert.match(await rp.locator('#chat-sub').innerText(), /ei kirjoitettu/);
  await adv.page.locator('.chat-panel:not([hidden]) .panel-state').filter({ hasText: 'ei kirjoitettu' }).waitFor();
  assert.deepEqual(rp.problems, []);
  await res.context.close();
  await adv.context.close();
});
