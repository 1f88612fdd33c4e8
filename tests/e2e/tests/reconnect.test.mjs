// A dropped connection in the middle of a chat: the page reconnects by
// itself with `resume` (resident) or its token (advisor), and no message is
// lost or shown twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR } from '../lib/server.mjs';
import { screenshot } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });

/** The message ids and texts shown in a list, in order. */
async function shown(page, list) {
  return page.locator(`${list} li.msg`).evaluateAll((lis) => lis.map((li) => ({
    id: li.dataset.id ? Number(li.dataset.id) : null,
    pending: li.classList.contains('pending'),
    text: li.querySelector('.text').textContent,
  })));
}

function assertClean(items, label) {
  const ids = items.map((m) => m.id);
  assert.ok(ids.every((id) => id !== null), `${label}: nothing left pending: ${JSON.stringify(items)}`);
  assert.equal(new Set(ids).size, ids.length, `${label}: no id twice: ${ids}`);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `${label}: in id order`);
  const texts = items.map((m) => m.text);
  assert.equal(new Set(texts).size, texts.length, `${label}: no text twice: ${texts}`);
}

// Going offline on purpose makes Chromium log failed connection attempts.
const NET_NOISE = [/ERR_INTERNET_DISCONNECTED/, /WebSocket connection to .* failed/, /net::ERR_/];

test('resident drops offline mid-chat and comes back without lost or doubled messages', async () => {
  const { adv, res, rp, panel } = await startChat(env.browser, env.srv.url);
  const advInput = panel.locator('textarea.msg-input');

  await rp.locator('#msg-input').fill('Ensimmäinen viesti');
  await rp.keyboard.press('Enter');
  await panel.locator('.messages li').filter({ hasText: 'Ensimmäinen viesti' }).waitFor();
  await advInput.fill('Vastaus ennen katkoa');
  await advInput.press('Enter');
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Vastaus ennen katkoa' }).waitFor();

  // The phone loses its network.
  await res.context.setOffline(true);
  await rp.locator('#conn-banner').filter({ hasText: 'Yhteys katkesi' }).waitFor();
  await screenshot(rp, 'resident-reconnecting-360');

  // Meanwhile the advisor writes, and so does the resident (it waits to be sent).
  await advInput.fill('Katkon aikana 1');
  await advInput.press('Enter');
  await advInput.fill('Katkon aikana 2');
  await advInput.press('Enter');
  await panel.locator('.messages li[data-id]').filter({ hasText: 'Katkon aikana 2' }).waitFor();
  await rp.locator('#msg-input').fill('Kirjoitin tämän ilman verkkoa');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li.pending').filter({ hasText: 'ilman verkkoa' }).waitFor();

  await res.context.setOffline(false);
  await rp.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Katkon aikana 2' }).waitFor();
  await rp.locator('#messages li[data-id]').filter({ hasText: 'ilman verkkoa' }).waitFor();
  await panel.locator('.messages li').filter({ hasText: 'ilman verkkoa' }).waitFor();

  const expected = ['Ensimmäinen viesti', 'Vastaus ennen katkoa', 'Katkon aikana 1', 'Katkon aikana 2', 'Kirjoitin tämän ilman verkkoa'];
  const r1 = await shown(rp, '#messages');
  assertClean(r1, 'resident');
  assert.deepEqual(r1.map((m) => m.text), expected);
  await rp.waitForTimeout(500);
  const a1 = await shown(adv.page, '.chat-panel:not([hidden]) .messages');
  assertClean(a1, 'advisor');
  assert.deepEqual(a1.map((m) => m.text), expected);

  // A reload (or the browser killing a background tab) resumes from sessionStorage.
  await rp.reload();
  await rp.locator('#messages li[data-id]').nth(expected.length - 1).waitFor();
  await rp.locator('#chat-h').filter({ hasText: ADVISOR.name }).waitFor();
  const r2 = await shown(rp, '#messages');
  assertClean(r2, 'resident after reload');
  assert.deepEqual(r2.map((m) => m.text), expected);

  // The advisor drops too, and comes back with its token.
  await adv.context.setOffline(true);
  await adv.page.locator('#conn-banner').waitFor({ state: 'visible' });
  await rp.locator('#msg-input').fill('Neuvojan katkon aikana');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li[data-id]').filter({ hasText: 'Neuvojan katkon aikana' }).waitFor();
  await advInput.fill('Kirjoitan vaikka verkko on poikki');
  await advInput.press('Enter');
  await adv.context.setOffline(false);
  await adv.page.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
  await panel.locator('.messages li[data-id]').filter({ hasText: 'Neuvojan katkon aikana' }).waitFor();
  await rp.locator('#messages li.msg-other').filter({ hasText: 'verkko on poikki' }).waitFor();
  const all = [...expected, 'Neuvojan katkon aikana', 'Kirjoitan vaikka verkko on poikki'];
  await adv.page.waitForTimeout(500);
  const a2 = await shown(adv.page, '.chat-panel:not([hidden]) .messages');
  assertClean(a2, 'advisor after its drop');
  assert.deepEqual(a2.map((m) => m.text), all);
  const r3 = await shown(rp, '#messages');
  assertClean(r3, 'resident after advisor drop');
  assert.deepEqual(r3.map((m) => m.text), all);

  // An advisor reload logs in again with the token from sessionStorage.
  await adv.page.reload();
  await adv.page.locator('#view-console').waitFor({ state: 'visible' });
  await adv.page.locator('.chat-panel:not([hidden]) .messages li[data-id]').nth(all.length - 1).waitFor();
  const a3 = await shown(adv.page, '.chat-panel:not([hidden]) .messages');
  assertClean(a3, 'advisor after reload');
  assert.deepEqual(a3.map((m) => m.text), all);

  const NOISE = [...NET_NOISE];
  assert.deepEqual(rp.problems.filter((p) => !NOISE.some((re) => re.test(p))), []);
  assert.deepEqual(adv.page.problems.filter((p) => !NOISE.some((re) => re.test(p))), []);
  await res.context.close();
  await adv.context.close();
});
