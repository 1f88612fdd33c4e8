// Links that fail in the ways phones' links fail, and an advisor who does not
// come back: nothing lost, nothing doubled, and the resident is told the truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { startServer, ADVISOR, SERVER_BIN } from '../lib/server.mjs';
import { openPage, loginAdvisor, screenshot, axe, seriousProblems } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

// A short grace time so that "the advisor did not come back" takes seconds.
const env = useServerAndBrowser({ hours: 'open', over: { 'queue.resume_grace_s': 3 } }, { exitZero: true });

async function copies(locator, text) {
  return locator.filter({ hasText: text }).count();
}

test('a message whose echo is lost with the link is not sent twice', async () => {
  const { adv, res, rp, ap, panel } = await startChat(env.browser, env.srv.url);
  // The frame leaves, then the link is dropped in the same task: the echo
  // can only come back in the resumed history.
  await rp.evaluate(() => {
    const input = document.querySelector('#msg-input');
    input.value = 'Kaikuviesti asukkaalta';
    document.querySelector('#composer').requestSubmit();
    window.dispatchEvent(new Event('offline'));
    setTimeout(() => window.dispatchEvent(new Event('online')), 300);
  });
  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Kaikuviesti asukkaalta' }).waitFor();
  await panel.locator('.messages li').filter({ hasText: 'Kaikuviesti asukkaalta' }).waitFor();
  // The same for the advisor.
  await ap.evaluate(() => {
    const input = document.querySelector('.chat-panel:not([hidden]) textarea.msg-input');
    input.value = 'Kaikuviesti neuvojalta';
    input.closest('form').requestSubmit();
    window.dispatchEvent(new Event('offline'));
    setTimeout(() => window.dispatchEvent(new Event('online')), 300);
  });
  await panel.locator('.messages li[data-id]').filter({ hasText: 'Kaikuviesti neuvojalta' }).waitFor({ timeout: 20000 });
  await rp.locator('#messages li.msg-other').filter({ hasText: 'Kaikuviesti neuvojalta' }).waitFor();
  await rp.waitForTimeout(2000); // room for a wrong resend to show up
  assert.equal(await copies(rp.locator('#messages li'), 'Kaikuviesti asukkaalta'), 1, 'resident: own message once');
  assert.equal(await copies(panel.locator('.messages li'), 'Kaikuviesti asukkaalta'), 1, 'advisor: resident message once');
  assert.equal(await copies(panel.locator('.messages li'), 'Kaikuviesti neuvojalta'), 1, 'advisor: own message once');
  assert.equal(await copies(rp.locator('#messages li'), 'Kaikuviesti neuvojalta'), 1, 'resident: advisor message once');
  assert.equal(await rp.locator('#conn-banner').isHidden(), true, 'reconnected');
  const allow = [/WebSocket|ERR_INTERNET_DISCONNECTED|net::/];
  assert.deepEqual(seriousProblems(rp, { allow }), []);
  assert.deepEqual(seriousProblems(ap, { allow }), []);
  await res.context.close();
  await adv.context.close();
});

test('a link that silently stops answering is replaced after a send', async () => {
  // A proxy in the page that can swallow every frame of the first socket
  // both ways, as a NAT timeout or a network change does: no close, no
  // "offline" event, nothing.
  let blackhole = false;
  let sockets = 0;
  const route = (page) => page.routeWebSocket(/\/ws$/, (ws) => {
    sockets += 1;
    const first = sockets === 1;
    const server = ws.connectToServer();
    ws.onMessage((m) => { if (!(blackhole && first)) server.send(m); });
    server.onMessage((m) => { if (!(blackhole && first)) ws.send(m); });
  });
  const { adv, res, rp, panel } = await startChat(env.browser, env.srv.url, { route });
  blackhole = true;
  await rp.locator('#msg-input').fill('Viesti kuolleeseen yhteyteen');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li.msg-self.pending').filter({ hasText: 'Viesti kuolleeseen yhteyteen' }).waitFor();
  // Within about 15 s the page gives up on the socket, resumes and resends.
  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Viesti kuolleeseen yhteyteen' }).waitFor({ timeout: 30000 });
  assert.ok(sockets >= 2, 'a new socket was opened');
  await panel.locator('.messages li').filter({ hasText: 'Viesti kuolleeseen yhteyteen' }).waitFor();
  assert.equal(await copies(panel.locator('.messages li'), 'Viesti kuolleeseen yhteyteen'), 1);
  assert.equal(await copies(rp.locator('#messages li'), 'Viesti kuolleeseen yhteyteen'), 1);
  await res.context.close();
  await adv.context.close();
});

test('an advisor who does not come back: the resident is told and queued again', async () => {
  const { adv, res, rp } = await startChat(env.browser, env.srv.url);
  await adv.context.close(); // gone for good; grace is 3 s
  await rp.locator('#messages li.system.requeued').waitFor({ timeout: 20000 });
  await rp.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  await rp.locator('#chat-sub').filter({ hasText: 'sijalla 1' }).waitFor();
  assert.match(await rp.locator('#announcer').innerText(), /yhteys katkesi/);
  assert.equal(await rp.locator('#email-toggle').isHidden(), true);
  await screenshot(rp, 'resident-requeued-360');
  await axe(rp, 'resident, queued again');
  // The resident can still write; the next advisor sees it in the history.
  await rp.locator('#msg-input').fill('Odotan edelleen');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Odotan edelleen' }).waitFor();

  const adv2 = await openPage(env.browser, { locale: 'fi-FI' });
  await loginAdvisor(adv2.page, env.srv.url, ADVISOR);
  await adv2.page.locator('#queue-list li.q-item button').first().click();
  const panel = adv2.page.locator('.chat-panel:not([hidden])');
  await panel.locator('.messages li').filter({ hasText: 'Odotan edelleen' }).waitFor();
  await rp.locator('#messages li.system.joined').nth(1).waitFor();
  await rp.locator('#chat-h').filter({ hasText: ADVISOR.name }).waitFor();
  await res.context.close();
  await adv2.context.close();
});

test('pasted text with control characters or broken surrogates is still delivered', async () => {
  const { adv, res, rp, panel } = await startChat(env.browser, env.srv.url);
  // A bell, a lone surrogate and a right-to-left override, as pasted from elsewhere.
  await rp.evaluate(() => {
    document.querySelector('#msg-input').value = 'Liitetty\u0007 teksti \ud800 ja \u202eloppu';
    document.querySelector('#composer').requestSubmit();
  });
  const mine = rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Liitetty' });
  await mine.waitFor();
  const shown = await panel.locator('.messages li').filter({ hasText: 'Liitetty' }).locator('.text').innerText();
  assert.doesNotMatch(shown, /\u0007/);
  assert.match(shown, /\ufffd/);
  assert.equal(await rp.locator('#messages li.pending').count(), 0, 'nothing left "sending"');
  await res.context.close();
  await adv.context.close();
});

test('a server restart does not end the chat (CONTRACT section 7)', async () => {
  const own = await startServer({ hours: 'open' });
  let again;
  try {
    const { adv, res, rp } = await startChat(env.browser, own.url);
    // SIGTERM: connections close with 1012 and the chat is kept; the same
    // config comes back up.
    own.proc.kill('SIGTERM');
    await once(own.proc, 'exit');
    await rp.locator('#conn-banner').filter({ hasText: 'jatketaan' }).waitFor();
    again = spawn(SERVER_BIN, ['--config', own.config], { cwd: own.dir, stdio: 'ignore' });
    // The page resumes the same chat and keeps its token.
    await rp.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
    assert.ok(await rp.evaluate(() => !!sessionStorage.getItem('neuvo.resident')));
    assert.equal(await rp.locator('#messages li.system.ended').count(), 0);
    assert.equal(await rp.locator('#new-chat').isVisible(), false);
    await res.context.close();
    await adv.context.close();
  } finally {
    if (again) {
      const gone = once(again, 'exit');
      again.kill('SIGTERM');
      await gone;
    }
    fs.rmSync(own.dir, { recursive: true, force: true });
  }
});
