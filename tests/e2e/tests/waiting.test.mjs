// Honest waiting (CONTRACT section 9): the chat closes in ten minutes and no
// advisor is on duty, so `queued` carries may_not_be_served. The page says
// so calmly in a status region with the other ways to get help (the
// administrator's [chat] other_help, or the page's own text per language),
// and the resident may stay in the queue and be served after all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR, helsinkiDate } from '../lib/server.mjs';
import { openPage, screenshot, axe, loginAdvisor } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const OTHER_HELP = 'Soita sosiaalipalvelujen neuvontaan arkisin klo 9–15 tai käy Palvelutorilla.';

/** "00:00-HH:MM" ending `minutes` from now in Helsinki, or null near midnight. */
function closingIn(minutes) {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date());
  const h = Number(parts.find((p) => p.type === 'hour').value);
  const m = Number(parts.find((p) => p.type === 'minute').value);
  const end = h * 60 + m + minutes;
  if (end >= 24 * 60) return null;
  const pad = (n) => String(n).padStart(2, '0');
  return `00:00-${pad(Math.floor(end / 60))}:${pad(end % 60)}`;
}

const today = closingIn(10);
const env = useServerAndBrowser({
  hours: 'closed',
  exceptions: today ? { [helsinkiDate(0)]: today } : {},
  over: { 'chat.other_help': OTHER_HELP },
});
const skip = today ? false : 'too near midnight for a closing ten minutes ahead';

test('queued past closing: the page says so, with the other ways to get help', { skip }, async () => {
  const status = await env.srv.status();
  assert.equal(status.open, true);
  assert.equal(status.other_help, OTHER_HELP);
  const { context, page } = await openPage(env.browser, { locale: 'fi-FI', width: 360, height: 740, mobile: true });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#start-btn').click();
  await page.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  const notice = page.locator('#wait-notice');
  await notice.filter({ hasText: 'Chat saattaa sulkeutua ennen kuin on sinun vuorosi' }).waitFor();
  assert.equal(await notice.getAttribute('role'), 'status');
  const text = await notice.innerText();
  assert.match(text, /tänään klo \d{1,2}\.\d{2} asti/, text);
  assert.match(text, /Voit silti jäädä jonoon/);
  assert.ok(text.includes(OTHER_HELP), text);
  assert.match(text, /112/);
  assert.ok(await notice.isVisible());
  await screenshot(page, 'resident-waiting-late-360');
  await axe(page, 'queued, may not be served');

  // Staying is allowed: write while waiting; an advisor comes after all.
  await page.locator('#msg-input').fill('Odotan silti.');
  await page.keyboard.press('Enter');
  await page.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Odotan silti' }).waitFor();
  const adv = await openPage(env.browser, { locale: 'fi-FI' });
  await loginAdvisor(adv.page, env.srv.url, ADVISOR);
  await adv.page.locator('#take-next').click();
  await page.locator('#messages li.system.joined').waitFor();
  assert.equal(await notice.innerText(), '', 'the notice goes once an advisor is there');
  assert.deepEqual(page.problems, []);
  await adv.context.close();
  await context.close();
});

test('without the administrator\'s text the page gives its own, per language', { skip }, async () => {
  const { context, page } = await openPage(env.browser, { locale: 'en-GB', width: 1280, height: 800 });
  await page.route('**/api/status', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), other_help: null } });
  });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#start-btn').click();
  const notice = page.locator('#wait-notice');
  await notice.filter({ hasText: 'The chat may close before it is your turn.' }).waitFor();
  assert.match(await notice.innerText(), /Other ways to get help: call the social services advice line/);
  await page.locator('#langs button[data-lang="sv"]').click();
  await notice.filter({ hasText: 'Chatten kan stängas innan det är din tur.' }).waitFor();
  assert.match(await notice.innerText(), /Andra sätt att få hjälp/);
  await axe(page, 'queued, may not be served, sv');
  await page.locator('#end-btn').click();
  await page.locator('#end-confirm').click();
  await page.locator('#chat-h').filter({ hasText: /avslutad|slut/i }).waitFor();
  assert.equal(await notice.innerText(), '');
  assert.deepEqual(page.problems, []);
  await context.close();
});
