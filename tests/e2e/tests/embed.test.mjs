// The one-line snippet a municipality puts on its own site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });

test('embed.js adds a chat button that opens the chat in a new window', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 1280, height: 700 });
  // A stand-in for the municipality's page, on another origin (about:blank).
  await page.setContent(`<!doctype html><html lang="sv"><head><title>Kommunen</title></head>
    <body><h1>Socialservice</h1><p>Kommunens sida.</p>
    <script src="${env.srv.url}/embed.js" async></script></body></html>`);
  const button = page.locator('#neuvo-chat-button');
  await button.waitFor();
  assert.equal(await button.innerText(), 'Chatta med socialrådgivningen');
  assert.equal(await button.getAttribute('href'), `${env.srv.url}/?lang=sv`);
  assert.match(await button.getAttribute('aria-label'), /nytt fönster/);
  await screenshot(page, 'embed-button-1280');
  const [chat] = await Promise.all([context.waitForEvent('page'), button.click()]);
  await chat.waitForLoadState();
  await chat.locator('#start-h').filter({ hasText: 'Fråga om socialservice' }).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});
