// A whole chat: a resident page and an advisor console in two browser
// contexts against the real server, with screenshots and axe-core checks of
// each state on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR } from '../lib/server.mjs';
import { openPage, screenshot, axe, loginAdvisor } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' }, { exitZero: true });

const XSS = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';

test('a whole chat from the queue to feedback and tags', async () => {
  // Advisor logs in first so that the resident sees an estimate.
  const adv = await openPage(env.browser, { locale: 'fi-FI', width: 1280, height: 800 });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  await adv.page.locator('#me').filter({ hasText: ADVISOR.name }).waitFor();
  assert.equal(await adv.page.locator('#available').isChecked(), true);
  await screenshot(adv.page, 'console-empty-1280');
  await axe(adv.page, 'console, empty');

  // Resident: the open page, by keyboard.
  const res = await openPage(env.browser, { locale: 'fi-FI', width: 360, height: 740, mobile: true });
  const rp = res.page;
  await rp.goto(`${env.srv.url}/`);
  await rp.locator('#view-start').waitFor({ state: 'visible' });
  await rp.locator('#start-open').filter({ hasText: /auki/i }).waitFor();
  assert.match(await rp.locator('#start-today').innerText(), /Tänään: 00:00–24:00/);
  assert.match(await rp.locator('#view-start .notice').innerText(), /henkilötunnus/);
  await screenshot(rp, 'resident-open-360', { fullPage: true });
  await axe(rp, 'resident, open');
  await rp.locator('#topic').selectOption('housing');
  await rp.locator('#start-btn').focus();
  await rp.keyboard.press('Enter');

  // Queued: position 1, the estimate, the chance to write already.
  await rp.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  await rp.locator('#chat-sub').filter({ hasText: 'sijalla 1' }).waitFor();
  const token = await rp.evaluate(() => JSON.parse(sessionStorage.getItem('neuvo.resident')).token);
  assert.ok(token && token.length > 20, 'token kept in sessionStorage');
  await rp.locator('#msg-input').fill('Hei, kysyisin asumistuesta.');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'asumistuesta' }).waitFor();
  await screenshot(rp, 'resident-queued-360');
  await axe(rp, 'resident, queued');

  // Advisor: the queue shows the wait, language and topic, live.
  const item = adv.page.locator('#queue-list li.q-item');
  await item.first().waitFor();
  assert.equal(await item.count(), 1);
  assert.match(await item.first().innerText(), /suomi/i);
  assert.match(await item.first().innerText(), /Asuminen/);
  assert.equal(await adv.page.locator('#queue-count').innerText(), '1');
  await screenshot(adv.page, 'console-queue-1280');
  await axe(adv.page, 'console, queue');
  await item.first().locator('button').click();

  // The chat opens as a tab with the message written while queued.
  const panel = adv.page.locator('.chat-panel:not([hidden])');
  await panel.locator('.messages li.msg-other').filter({ hasText: 'asumistuesta' }).waitFor();
  await adv.page.locator('#queue-list li').first().waitFor({ state: 'detached' });
  assert.equal(await adv.page.locator('#queue-count').innerText(), '0');

  // The resident hears that an advisor joined.
  await rp.locator('#messages li.system.joined').filter({ hasText: `${ADVISOR.name} tuli keskusteluun` }).waitFor();
  await rp.locator('#chat-h').filter({ hasText: ADVISOR.name }).waitFor();
  assert.match(await rp.locator('#announcer').innerText(), /tuli keskusteluun/);

  // Typing indicator, resident side.
  const advInput = panel.locator('textarea.msg-input');
  await advInput.focus();
  await adv.page.keyboard.type('Hei');
  await rp.locator('#typing').waitFor({ state: 'visible' });
  await advInput.fill('');

  // Typing indicator, advisor side.
  await rp.locator('#msg-input').focus();
  await rp.keyboard.type('Kir');
  await panel.locator('.typing').waitFor({ state: 'visible' });
  await rp.locator('#msg-input').fill('');

  // A canned answer, inserted and sent.
  const canned = panel.locator('select.canned');
  await canned.selectOption({ label: 'Perustoimeentulotuki Kelasta' });
  await panel.locator('button.insert-canned').click();
  assert.match(await advInput.inputValue(), /Kelasta/);
  await adv.page.keyboard.press('Enter');
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Perustoimeentulotukea haetaan' }).waitFor();
  assert.equal(await rp.locator('#typing').isHidden(), true, 'typing indicator hides with the message');
  assert.match(await rp.locator('#announcer').innerText(), /Perustoimeentulotukea/);

  // A link from the advisor is a link; still no HTML.
  await advInput.fill('Katso https://www.kela.fi/toimeentulotuki.');
  await adv.page.keyboard.press('Enter');
  const link = rp.locator('#messages li.msg-other a[href="https://www.kela.fi/toimeentulotuki"]');
  await link.waitFor();
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');

  // Personal data is removed, and the resident is told.
  await rp.locator('#msg-input').fill('Henkilötunnukseni on 131052-308T ja puhelin 040 123 4567');
  await rp.locator('#send-btn').click();
  const redacted = rp.locator('#messages li.msg-self[data-id]').filter({ hasText: '[hetu]' });
  await redacted.waitFor();
  assert.match(await redacted.locator('.note').innerText(), /poistettiin henkilötietoja/);
  assert.doesNotMatch(await rp.locator('#messages').innerText(), /131052-308T/);
  await panel.locator('.messages li.msg-other').filter({ hasText: '[hetu]' }).waitFor();
  assert.doesNotMatch(await panel.locator('.messages').innerText(), /131052-308T/);

  // Markup from either side is text, never HTML.
  await rp.locator('#msg-input').fill(XSS);
  await rp.locator('#send-btn').click();
  await panel.locator('.messages li.msg-other .text').filter({ hasText: '<img src=x' }).waitFor();
  await advInput.fill(`${XSS} <script>window.__xss=99</script>`);
  await adv.page.keyboard.press('Enter');
  await rp.locator('#messages li.msg-other .text').filter({ hasText: '<script>' }).waitFor();
  await rp.waitForTimeout(300);
  for (const p of [rp, adv.page]) {
    assert.equal(await p.evaluate(() => window.__xss), undefined, 'no injected handler ran');
    assert.equal(await p.locator('.messages img, .messages script').count(), 0, 'no element from message text');
  }

  await screenshot(rp, 'resident-chatting-360');
  await axe(rp, 'resident, chatting');
  await screenshot(adv.page, 'console-chatting-1280');
  await axe(adv.page, 'console, chatting');

  // Email copy: without SMTP the server answers email_unavailable; the page says so clearly.
  await rp.locator('#email-toggle').click();
  await rp.locator('#email-dialog').waitFor({ state: 'visible' });
  assert.equal(await rp.evaluate(() => document.activeElement.id), 'email-to');
  await rp.locator('#email-to').fill('not-an-address');
  await rp.locator('#email-send').click();
  await rp.locator('#email-result.error').filter({ hasText: 'Tarkista sähköpostiosoite' }).waitFor();
  await rp.locator('#email-to').fill('asukas@example.fi');
  await rp.locator('#email-send').click();
  await rp.locator('#email-result.error').filter({ hasText: 'ei juuri nyt voi lähettää' }).waitFor();
  assert.equal(await rp.locator('#email-result').isVisible(), true);
  await screenshot(rp, 'resident-email-unavailable-360');
  await axe(rp, 'resident, email error');
  await rp.keyboard.press('Escape');
  await rp.locator('#email-dialog').waitFor({ state: 'hidden' });

  // The same chat at desktop width.
  await rp.setViewportSize({ width: 1280, height: 800 });
  await screenshot(rp, 'resident-chatting-1280');
  await rp.setViewportSize({ width: 360, height: 740 });

  // The advisor ends the chat (with a confirmation).
  await panel.locator('button.end-chat').click();
  await adv.page.locator('#end-dialog').waitFor({ state: 'visible' });
  await adv.page.locator('#end-confirm').click();
  await rp.locator('#chat-h').filter({ hasText: 'Chat on päättynyt' }).waitFor();
  await rp.locator('#messages li.system.ended').filter({ hasText: 'Neuvoja lopetti chatin' }).waitFor();
  assert.equal(await rp.locator('#composer').isHidden(), true);

  // Tags before closing: an outcome is required.
  const tagForm = panel.locator('form.tag-form');
  await tagForm.waitFor({ state: 'visible' });
  assert.equal(await tagForm.locator('input[value="housing"]').isChecked(), true, 'resident topic preselected');
  await screenshot(adv.page, 'console-tagging-1280');
  await axe(adv.page, 'console, tagging');
  await tagForm.locator('button[type="submit"]').click();
  await tagForm.locator('.tag-result.error').waitFor();
  await tagForm.locator('input[value="answered"]').check();
  await tagForm.locator('button[type="submit"]').click();
  await adv.page.locator('#tabs [role="tab"]').first().waitFor({ state: 'detached' });
  await adv.page.locator('#no-chats').waitFor({ state: 'visible' });

  // Feedback 1-5 after the end.
  await rp.locator('#feedback-panel').waitFor({ state: 'visible' });
  await screenshot(rp, 'resident-ended-360', { fullPage: true });
  await axe(rp, 'resident, ended');
  await rp.locator('label.rating-option', { hasText: '4' }).click();
  await rp.locator('#feedback-send').click();
  await rp.locator('#feedback-result.ok').filter({ hasText: 'Kiitos palautteestasi' }).waitFor();

  assert.deepEqual(rp.problems, []);
  assert.deepEqual(adv.page.problems, []);
  await res.context.close();
  await adv.context.close();
});

test('a resident can leave the queue, and the queue empties for the advisor', async () => {
  const adv = await openPage(env.browser, { locale: 'en-GB' });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  const res = await openPage(env.browser, { locale: 'en-GB', width: 1280 });
  const rp = res.page;
  await rp.goto(`${env.srv.url}/`);
  await rp.locator('#start-btn').click();
  await rp.locator('#chat-h').filter({ hasText: 'You are in the queue' }).waitFor();
  await adv.page.locator('#queue-list li.q-item').first().waitFor();
  assert.match(await adv.page.locator('#queue-list li.q-item').first().innerText(), /no topic/);
  await screenshot(rp, 'resident-queued-1280');
  await rp.locator('#end-btn').click();
  await rp.locator('#end-dialog').waitFor({ state: 'visible' });
  await axe(rp, 'resident, end dialog');
  await rp.locator('#end-confirm').click();
  await rp.locator('#chat-h').filter({ hasText: 'The chat has ended' }).waitFor();
  assert.equal(await rp.locator('#feedback-panel').isHidden(), true, 'no rating without an advisor');
  await adv.page.locator('#queue-empty').waitFor({ state: 'visible' });
  await rp.locator('#new-chat').click();
  await rp.locator('#view-start').waitFor({ state: 'visible' });
  assert.equal(await rp.evaluate(() => sessionStorage.getItem('neuvo.resident')), null);
  assert.deepEqual(rp.problems, []);
  await res.context.close();
  await adv.context.close();
});
