// The advisor console's end of a session (CONTRACT section 7): the Logout
// button revokes the token on the server (a token login with it is refused
// afterwards) and forgets it in the page; a session that neuvo-admin
// `advisor passwd` revokes from another process goes back to the login form
// and says why. The token lives in sessionStorage only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ADVISOR, ADMIN_BIN } from '../lib/server.mjs';
import { openPage, loginAdvisor, screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });
const TOKEN_KEY = 'neuvo.advisor.token';

/** A token login from the page's own origin: the server's answer. */
function tryToken(page, token) {
  return page.evaluate((tok) => new Promise((resolve) => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws`, 'neuvo.advisor.v1');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'login', token: tok }));
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'login_ok' || m.type === 'error') {
        resolve(m);
        ws.close();
      }
    };
    ws.onclose = () => resolve(null);
  }), token);
}

function passwd(password) {
  const r = spawnSync(ADMIN_BIN, ['--config', env.srv.config, 'advisor', 'passwd', ADVISOR.username], {
    input: `${password}\n`, encoding: 'utf8', timeout: 60000,
  });
  assert.equal(r.status, 0, r.stderr);
}

test('logout revokes the token on the server and forgets it in the page', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI' });
  await loginAdvisor(page, env.srv.url, ADVISOR);
  const token = await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY);
  assert.ok(token, 'a token in sessionStorage');
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), TOKEN_KEY), null);
  await page.locator('#logout').click();
  await page.locator('#login-result').filter({ hasText: 'Olet kirjautunut ulos' }).waitFor();
  assert.equal(await page.locator('#view-login').isVisible(), true);
  assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null);
  const answer = await tryToken(page, token);
  assert.equal(answer?.code, 'auth_failed', JSON.stringify(answer));
  // A reload stays logged out.
  await page.reload();
  await page.locator('#view-login').waitFor({ state: 'visible' });
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a session revoked by advisor passwd returns to the login form saying so', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'en-GB' });
  await loginAdvisor(page, env.srv.url, ADVISOR);
  const t0 = Date.now();
  passwd('a new password for the test');
  try {
    await page.locator('#login-result').filter({ hasText: 'Your session has ended' }).waitFor({ timeout: 15000 });
    console.log(`console back at the login form ${Date.now() - t0} ms after advisor passwd`);
    assert.equal(await page.locator('#view-login').isVisible(), true);
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), TOKEN_KEY), null);
    await screenshot(page, 'console-session-ended-1280');
    await axe(page, 'console, session ended');
  } finally {
    passwd(ADVISOR.password);
  }
  await context.close();
});
