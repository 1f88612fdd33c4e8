// A full queue: the next resident gets a clear page and can try again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open', over: { 'queue.max_length': 1 } });

test('the queue-full page', async () => {
  const first = await openPage(env.browser, { locale: 'fi-FI' });
  await first.page.goto(`${env.srv.url}/`);
  await first.page.locator('#start-btn').click();
  await first.page.locator('#chat-sub').filter({ hasText: 'sijalla 1' }).waitFor();

  for (const width of [360, 1280]) {
    const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width, height: 700, mobile: width < 500 });
    await page.goto(`${env.srv.url}/`);
    await page.locator('#start-btn').click();
    await page.locator('#view-full').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'full-h');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('neuvo.resident')), null);
    await screenshot(page, `resident-full-${width}`);
    await axe(page, `queue full ${width}`);
    if (width === 1280) {
      // The first resident leaves; trying again now works.
      await first.page.locator('#end-btn').click();
      await first.page.locator('#end-confirm').click();
      await first.page.locator('#chat-h').filter({ hasText: 'päättynyt' }).waitFor();
      await page.locator('#full-retry').click();
      await page.locator('#start-btn').click();
      await page.locator('#chat-sub').filter({ hasText: 'sijalla 1' }).waitFor();
    }
    assert.deepEqual(page.problems, []);
    await context.close();
  }
  await first.context.close();
});
