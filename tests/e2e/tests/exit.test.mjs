// Quick exit (CONTRACT section 9): the button and Escape pressed three
// times replace the chat with the neutral site of [chat] exit_url, end the
// chat by:"resident", and leave nothing behind: Back does not return to the
// chat, and localStorage, cookies, IndexedDB and sessionStorage are empty.
// The same on a 360 px phone (the button first and on screen) and from a
// municipality's page that carries embed.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR } from '../lib/server.mjs';
import { openPage, screenshot, axe, loginAdvisor } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

const EXIT = 'https://neutral.example/';
const env = useServerAndBrowser({ hours: 'open', over: { 'chat.exit_url': EXIT } });

/** The neutral site, served by the test for every page of the context. */
async function neutralSite(context) {
  await context.route(`${EXIT}**`, (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><html lang="en"><title>Weather</title><h1>Weather</h1></html>',
  }));
}

/** What the chat's origin keeps in this tab and context, after it left. */
async function traces(page) {
  return page.evaluate(async () => ({
    session: sessionStorage.length,
    local: localStorage.length,
    cookie: document.cookie,
    idb: indexedDB.databases ? (await indexedDB.databases()).length : 0,
  }));
}

/** A municipality's page (about:blank origin) carrying the snippet. */
async function municipalityPage(locale, lang, scriptAttrs = '') {
  const opened = await openPage(env.browser, { locale, width: 1280, height: 700 });
  await neutralSite(opened.context);
  await opened.page.setContent(`<!doctype html><html lang="${lang}"><head><title>Municipality</title></head>
    <body><h1>Social services</h1><p>The municipality's page.</p>
    <script src="${env.srv.url}/embed.js" ${scriptAttrs} async></script></body></html>`);
  return opened;
}

async function queueLength() {
  return (await env.srv.status()).queue_length;
}

async function waitFor(what, fn) {
  for (let i = 0; i < 300; i += 1) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('on a 360 px phone the quick exit is on screen and first in the tab order', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 360, height: 640, mobile: true });
  await neutralSite(context);
  await page.goto(`${env.srv.url}/`);
  await page.locator('#view-start').waitFor({ state: 'visible' });
  const exit = page.locator('#quick-exit');
  const inView = async () => {
    const box = await exit.boundingBox();
    return box && box.x >= 0 && box.y >= 0 && box.x + box.width <= 360 && box.y + box.height <= 640;
  };
  assert.ok(await inView(), 'inside the viewport at the top');
  assert.match(await exit.innerText(), /Poistu nopeasti/);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'quick-exit', 'first Tab stop');
  // Still there at the bottom of a long page (sticky).
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  assert.ok(await inView(), 'on screen after scrolling down');
  // The page says it keeps no trace, and links the accessibility statement.
  assert.match(await page.locator('#site-footer').innerText(), /selaimen historiassa/);
  assert.equal(await page.locator('#a11y-link').getAttribute('href'), 'accessibility?lang=fi');
  const statement = await fetch(new URL('accessibility?lang=fi', `${env.srv.url}/`));
  assert.equal(statement.status, 200);
  assert.match(await statement.text(), /<html lang="fi"/);
  await screenshot(page, 'resident-exit-button-360', { fullPage: true });
  await axe(page, 'start with the quick exit, 360');
  // In the chat too, where the page is exactly the screen's height.
  await page.locator('#start-btn').click();
  await page.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  assert.ok(await inView(), 'on screen in the chat');
  await screenshot(page, 'resident-exit-button-chat-360');
  await axe(page, 'queued with the quick exit, 360');
  // A modal dialog makes the page behind it inert: it has an exit of its own.
  await page.locator('#end-btn').click();
  await page.locator('#end-dialog').waitFor({ state: 'visible' });
  const inDialog = page.locator('#end-dialog [data-quick-exit]');
  assert.ok(await inDialog.isVisible());
  await axe(page, 'end dialog with its quick exit, 360');
  await inDialog.click();
  await page.waitForURL(EXIT);
  await waitFor('the queue to be empty', async () => (await queueLength()) === 0);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('the button ends a chat, and Back does not return to it', async () => {
  const { adv, res, rp, panel } = await startChat(env.browser, env.srv.url, {
    route: async (page) => {
      await neutralSite(page.context());
      // Somewhere before the chat in this tab's history (same origin).
      await page.goto(`${env.srv.url}/healthz`);
    },
  });
  await rp.locator('#msg-input').fill('Kukaan ei saa nähdä tätä.');
  await rp.keyboard.press('Enter');
  await panel.locator('li.msg-other').filter({ hasText: 'Kukaan ei saa' }).waitFor();
  assert.ok(await rp.evaluate(() => sessionStorage.getItem('neuvo.resident')), 'a session before');

  await rp.locator('#quick-exit').click();
  await rp.waitForURL(EXIT);
  assert.equal(await rp.locator('h1').innerText(), 'Weather');
  // The advisor sees that the resident ended it (not a lost link).
  await panel.locator('.panel-state').filter({ hasText: 'Asiakas lopetti keskustelun' }).waitFor();

  // Back goes to what came before the chat, never to the chat.
  await rp.goBack();
  assert.equal(new URL(rp.url()).pathname, '/healthz');
  assert.deepEqual(await traces(rp), { session: 0, local: 0, cookie: '', idb: 0 });
  assert.deepEqual(await res.context.cookies(), []);
  assert.deepEqual(rp.problems, []);
  await res.context.close();
  await adv.context.close();
});

test('Escape three times leaves from the queue, after the language was changed', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 1280, height: 800 });
  await neutralSite(context);
  await page.goto(`${env.srv.url}/healthz`);
  await page.goto(`${env.srv.url}/`);
  await page.locator('#langs button[data-lang="sv"]').click();
  await page.locator('#quick-exit').filter({ hasText: 'Lämna snabbt' }).waitFor();
  await page.locator('#start-btn').click();
  await page.locator('#chat-h').filter({ hasText: /kö/ }).waitFor();
  await waitFor('the resident in the queue', async () => (await queueLength()) === 1);
  // The chosen language lives in sessionStorage only.
  assert.equal(await page.evaluate(() => sessionStorage.getItem('neuvo.lang')), 'sv');
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  // Two presses do nothing yet (say, closing a dialog); the third leaves.
  await page.locator('#msg-input').focus();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  assert.equal(new URL(page.url()).pathname, '/');
  await page.keyboard.press('Escape');
  await page.waitForURL(EXIT);
  // Ended by the resident at once, not after the resume grace of a lost link.
  await waitFor('the queue to be empty', async () => (await queueLength()) === 0);
  await page.goBack();
  assert.equal(new URL(page.url()).pathname, '/healthz');
  assert.deepEqual(await traces(page), { session: 0, local: 0, cookie: '', idb: 0 });
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('embed.js: the quick exit on the municipality page takes the chat window along', async () => {
  const { context, page } = await municipalityPage('fi-FI', 'fi', `data-exit-url="${EXIT}"`);
  const exit = page.locator('#neuvo-quick-exit');
  await exit.waitFor();
  assert.equal(await exit.innerText(), 'Poistu nopeasti');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'neuvo-quick-exit', 'first Tab stop of the host page');
  await screenshot(page, 'embed-exit-1280');
  await axe(page, 'embed with quick exit');
  const [chat] = await Promise.all([context.waitForEvent('page'), page.locator('#neuvo-chat-button').click()]);
  chat.problems = [];
  chat.on('pageerror', (e) => chat.problems.push(e.message));
  await chat.locator('#start-btn').click();
  await chat.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  await waitFor('the resident in the queue', async () => (await queueLength()) === 1);

  await page.bringToFront();
  await page.locator('h1').click();
  for (let i = 0; i < 3; i += 1) await page.keyboard.press('Escape');
  await page.waitForURL(EXIT);
  await chat.waitForURL(EXIT);
  await waitFor('the queue to be empty', async () => (await queueLength()) === 0);
  assert.deepEqual(chat.problems, []);
  await context.close();
});

test('embed.js: the quick exit in the chat window takes the municipality page along', async () => {
  const { context, page } = await municipalityPage('en-GB', 'en');
  const [chat] = await Promise.all([context.waitForEvent('page'), page.locator('#neuvo-chat-button').click()]);
  await chat.locator('#start-btn').click();
  await chat.locator('#chat-h').filter({ hasText: /queue/ }).waitFor();
  await chat.locator('#quick-exit').filter({ hasText: 'Quick exit' }).click();
  await chat.waitForURL(EXIT);
  await page.waitForURL(EXIT);
  await waitFor('the queue to be empty', async () => (await queueLength()) === 0);
  await context.close();
});

test('the console keeps its language across visits; the resident page does not', async () => {
  const adv = await openPage(env.browser, { locale: 'fi-FI' });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  await adv.page.locator('#langs button[data-lang="en"]').click();
  await adv.page.locator('#take-next').filter({ hasText: 'Take next' }).waitFor();
  assert.equal(await adv.page.evaluate(() => localStorage.getItem('neuvo.lang')), 'en');
  await adv.context.close();
});
