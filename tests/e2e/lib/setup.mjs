// The setup every browser test file shares: one real server (lib/server.mjs)
// and one Chromium (lib/browser.mjs), started before the file's first test
// and stopped after its last, plus the few steps many tests begin with.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADVISOR } from './server.mjs';
import { launch, openPage, loginAdvisor } from './browser.mjs';

/**
 * Register the file's before/after hooks and return the object they fill:
 * env.srv (startServer's handle) and env.browser, both set once `before`
 * has run. serverOptions go to startServer. exitZero: after the last test,
 * assert that the server exits 0 on SIGTERM.
 */
export function useServerAndBrowser(serverOptions = {}, { exitZero = false } = {}) {
  const env = { srv: undefined, browser: undefined };

  before(async () => {
    env.srv = await startServer(serverOptions);
    env.browser = await launch();
  });

  after(async () => {
    await env.browser?.close();
    const code = await env.srv?.stop();
    if (exitZero) assert.equal(code, 0, 'server exits 0 on SIGTERM');
  });

  return env;
}

/**
 * An advisor console logged in as ADVISOR and a resident page (phone-sized)
 * whose chat that advisor has taken: { adv, res, ap, rp, panel }, where adv
 * and res are openPage's { context, page }, ap and rp their pages, and
 * panel the advisor's open chat panel. url: the server's; route(page), when
 * given, is called on the resident's page before it loads (to shape its link).
 * The resident waits as the one in the queue; the advisor takes with
 * "take next".
 */
export async function startChat(browser, url, { route } = {}) {
  const adv = await openPage(browser, { locale: 'fi-FI' });
  await loginAdvisor(adv.page, url, ADVISOR);
  const res = await openPage(browser, { locale: 'fi-FI', width: 360, height: 740, mobile: true });
  if (route) await route(res.page);
  const rp = res.page;
  await rp.goto(`${url}/`);
  await rp.locator('#start-btn').click();
  await rp.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  await rp.locator('#chat-sub').filter({ hasText: 'sijalla 1' }).waitFor();
  await adv.page.locator('#take-next').click();
  await rp.locator('#messages li.system.joined').waitFor();
  const panel = adv.page.locator('.chat-panel:not([hidden])');
  await panel.locator('textarea.msg-input').waitFor();
  return { adv, res, ap: adv.page, rp, panel };
}
