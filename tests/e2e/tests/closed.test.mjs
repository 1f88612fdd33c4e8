// The closed page: closed every day of the week, with one exception date
// two days ahead so that the next opening shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helsinkiDate } from '../lib/server.mjs';
import { openPage, screenshot, axe } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'closed', exceptions: { [helsinkiDate(2)]: '09:00-11:00' } });

for (const width of [360, 1280]) {
  test(`closed page at ${width} px`, async () => {
    const status = await env.srv.status();
    assert.equal(status.open, false);
    assert.ok(status.next_open, 'next_open within 14 days');
    const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width, height: 800, mobile: width < 500 });
    await page.goto(`${env.srv.url}/`);
    await page.locator('#view-closed').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#view-start').isHidden(), true);
    assert.equal(await page.locator('#start-btn').isVisible(), false, 'no way to start while closed');
    const next = await page.locator('#closed-next').innerText();
    assert.match(next, /^Aukeaa .+ klo 9\.00\.$/, next);
    assert.match(await page.locator('#closed-today').innerText(), /Tänään: suljettu/);
    const rows = page.locator('#closed-hours tbody tr');
    assert.equal(await rows.count(), 7);
    for (const text of await rows.allInnerTexts()) assert.match(text, /suljettu/);
    assert.equal(await page.locator('#closed-hours tr[aria-current="date"]').count(), 1);
    await screenshot(page, `resident-closed-${width}`, { fullPage: true });
    await axe(page, `closed ${width}`);
    assert.deepEqual(page.problems, []);
    await context.close();
  });
}

test('a hello while closed gets the closed page (server says closed)', async () => {
  // Even a page that thought the chat was open ends up on the closed page.
  const { context, page } = await openPage(env.browser, { locale: 'en-GB' });
  await page.route('**/api/status', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    await route.fulfill({ response: res, json: { ...body, open: true, closes_at: null } });
  });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#view-start').waitFor({ state: 'visible' });
  await page.unroute('**/api/status');
  await page.locator('#start-btn').click();
  await page.locator('#view-closed').waitFor({ state: 'visible' });
  assert.match(await page.locator('#closed-next').innerText(), /^Opens .+ at 9:00\.$/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('neuvo.resident')), null);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'closed-h', 'focus moves to the new heading');
  assert.deepEqual(page.problems, []);
  await context.close();
});
