// CONTRACT section 7 in the browser: an advisor blocks the resident of a
// chat (a confirmation that says it hits the whole connection, an hours
// choice), the resident's page says the chat ended and, when it tries
// again, that it is blocked; then the resident page's own limits: messages
// while queued (the text comes back to the box) and too many new chats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';
import { startServer } from '../lib/server.mjs';

const env = useServerAndBrowser({ hours: 'open' });

test('an advisor blocks a resident; the resident is told when trying again', async () => {
  const { adv, res, ap, rp, panel } = await startChat(env.browser, env.srv.url);
  await rp.locator('#msg-input').fill('Asiatonta viestiä.');
  await rp.locator('#msg-input').press('Enter');
  await panel.locator('.messages li').filter({ hasText: 'Asiatonta viestiä.' }).waitFor();

  await panel.locator('.block-chat').click();
  const dialog = ap.locator('#block-dialog');
  await dialog.waitFor({ state: 'visible' });
  await dialog.filter({ hasText: 'samaa yhteyttä' }).waitFor();
  await ap.locator('#block-hours').selectOption('24');
  await screenshot(ap, 'console-block-dialog-1280');
  await axe(ap, 'console, block dialog');
  await ap.locator('#block-confirm').click();

  await ap.locator('.toast').filter({ hasText: 'estetty 24 tunniksi' }).waitFor();
  await panel.locator('.tag-form').waitFor({ state: 'visible' });
  assert.equal(await panel.locator('.block-chat').isHidden(), true);
  await rp.locator('#chat-h').filter({ hasText: 'päättynyt' }).waitFor();

  await rp.locator('#new-chat').click();
  await rp.locator('#start-btn').click();
  await rp.locator('#view-blocked').waitFor({ state: 'visible' });
  assert.equal(await rp.evaluate(() => document.activeElement.id), 'blocked-h');
  assert.equal(await rp.evaluate(() => sessionStorage.getItem('neuvo.resident')), null);
  await screenshot(rp, 'resident-blocked-360');
  await axe(rp, 'resident, blocked');
  assert.deepEqual(ap.problems, []);
  assert.deepEqual(rp.problems, []);
  await adv.context.close();
  await res.context.close();
});

test('a queued resident is asked to wait; too many new chats get their own page', async () => {
  const srv = await startServer({
    hours: 'open',
    over: { 'limits.max_queued_messages': 1, 'limits.max_new_chats_per_address_per_hour': 1 },
  });
  try {
    const { context, page } = await openPage(env.browser, { locale: 'en-GB', width: 360, height: 740, mobile: true });
    await page.goto(`${srv.url}/`);
    await page.locator('#start-btn').click();
    await page.locator('#messages li.system').first().waitFor();
    await page.locator('#msg-input').fill('First message');
    await page.locator('#msg-input').press('Enter');
    await page.locator('#messages li').filter({ hasText: 'First message' }).waitFor();
    await page.locator('#msg-input').fill('Second message');
    await page.locator('#msg-input').press('Enter');
    await page.locator('#conn-banner').filter({ hasText: 'wait for an advisor' }).waitFor();
    assert.equal(await page.locator('#msg-input').inputValue(), 'Second message');
    assert.equal(await page.locator('#messages li').filter({ hasText: 'Second message' }).count(), 0);
    await screenshot(page, 'resident-wait-for-advisor-360');

    // The one chat of this hour ends; the next one is refused with a page
    // of its own.
    await page.locator('#end-btn').click();
    await page.locator('#end-confirm').click();
    await page.locator('#chat-h').filter({ hasText: 'ended' }).waitFor();
    await page.goto(`${srv.url}/`);
    await page.locator('#start-btn').click();
    await page.locator('#view-limited').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'limited-h');
    await screenshot(page, 'resident-limited-360');
    await axe(page, 'resident, too many new chats');
    await page.locator('#limited-back').click();
    await page.locator('#view-start').waitFor({ state: 'visible' });
    assert.deepEqual(page.problems, []);
    await context.close();
  } finally {
    await srv.stop();
  }
});
