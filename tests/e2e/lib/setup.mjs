// The setup every browser test file shares: one real server (lib/server.mjs)
// and one Chromium (lib/browser.mjs), started before the file's first test
// and stopped after its last, plus the few steps many tests begin with.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ADVISOR, SERVER_BIN } from './server.mjs';
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

/**
 * Restart srv as an upgrade does (CONTRACT section 7): SIGTERM, which must
 * exit 0, then the same binary and config again, healthy. `during` (async,
 * optional) runs while the server is down. srv.proc becomes the new process
 * and srv.stop() stops that one (and cleans up as before).
 */
export async function restartServer(srv, { during } = {}) {
  const exited = once(srv.proc, 'exit');
  srv.proc.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, 'server exits 0 on SIGTERM');
  if (during) await during();
  const log = fs.openSync(path.join(srv.dir, 'server.log'), 'a');
  const proc = spawn(SERVER_BIN, ['--config', srv.config], { cwd: srv.dir, stdio: ['ignore', log, log] });
  for (let i = 0; ; i += 1) {
    assert.equal(proc.exitCode, null, `server exited at restart:\n${srv.log()}`);
    try {
      const res = await fetch(`${srv.url}/healthz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    assert.ok(i < 100, 'server not healthy 10 s after the restart');
    await new Promise((r) => setTimeout(r, 100));
  }
  const stopFirst = srv.stop;
  srv.proc = proc;
  srv.stop = async () => {
    let exit = proc.exitCode;
    if (exit === null) {
      const done = once(proc, 'exit');
      proc.kill('SIGTERM');
      [exit] = await done;
    }
    fs.closeSync(log);
    await stopFirst();
    return exit;
  };
  return srv;
}
