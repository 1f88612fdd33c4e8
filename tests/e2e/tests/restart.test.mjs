// An upgrade during opening hours (CONTRACT section 7): SIGTERM and a start
// are a pause for both pages, not an end. Both show the calm line, then the
// same chat goes on with its whole history, and a message the resident wrote
// while the server was down is delivered once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, startChat, restartServer } from '../lib/setup.mjs';
import { seriousProblems } from '../lib/browser.mjs';

const env = useServerAndBrowser({ hours: 'open' }, { exitZero: true });

const CALM = 'Yhteys katkesi hetkeksi, jatketaan…';

async function copies(locator, text) {
  return locator.filter({ hasText: text }).count();
}

test('a server restart is a pause: both sides carry on, nothing lost or doubled', async () => {
  const { adv, res, rp, ap, panel } = await startChat(env.browser, env.srv.url);
  await rp.locator('#msg-input').fill('Ennen katkoa asukkaalta');
  await rp.keyboard.press('Enter');
  await panel.locator('.messages li').filter({ hasText: 'Ennen katkoa asukkaalta' }).waitFor();
  await panel.locator('textarea.msg-input').fill('Ennen katkoa neuvojalta');
  await panel.locator('textarea.msg-input').press('Enter');
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Ennen katkoa neuvojalta' }).waitFor();

  await restartServer(env.srv, {
    during: async () => {
      // Both pages say it calmly; nothing says the chat ended.
      await rp.locator('#conn-banner').filter({ hasText: CALM }).waitFor();
      await ap.locator('#conn-banner').filter({ hasText: CALM }).waitFor();
      assert.equal(await rp.locator('#messages li.system.ended').count(), 0);
      // Written while the server is away: waits, then goes.
      await rp.locator('#msg-input').fill('Kirjoitettu katkon aikana');
      await rp.keyboard.press('Enter');
      await rp.locator('#messages li.msg-self.pending').filter({ hasText: 'Kirjoitettu katkon aikana' }).waitFor();
    },
  });

  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Kirjoitettu katkon aikana' })
    .waitFor({ timeout: 30000 });
  await panel.locator('.messages li').filter({ hasText: 'Kirjoitettu katkon aikana' }).waitFor({ timeout: 30000 });
  await rp.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
  await ap.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
  // The chat goes on, both ways.
  await panel.locator('textarea.msg-input').fill('Jatketaan tästä');
  await panel.locator('textarea.msg-input').press('Enter');
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Jatketaan tästä' }).waitFor();
  await rp.waitForTimeout(1500); // room for a wrong resend to show up
  for (const text of ['Ennen katkoa asukkaalta', 'Ennen katkoa neuvojalta', 'Kirjoitettu katkon aikana', 'Jatketaan tästä']) {
    assert.equal(await copies(rp.locator('#messages li'), text), 1, `resident page: "${text}" once`);
    assert.equal(await copies(panel.locator('.messages li'), text), 1, `advisor page: "${text}" once`);
  }
  assert.equal(await rp.locator('#messages li.system.ended').count(), 0, 'not ended');
  assert.equal(await rp.locator('#messages li.pending').count(), 0, 'nothing left "sending"');
  const allow = [/WebSocket|ERR_CONNECTION_REFUSED|net::/];
  assert.deepEqual(seriousProblems(rp, { allow }), []);
  assert.deepEqual(seriousProblems(ap, { allow }), []);
  await res.context.close();
  await adv.context.close();
});
