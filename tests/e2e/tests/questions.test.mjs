// "Closed? Leave a question." (CONTRACT section 9) end to end: a resident
// finds the chat closed and leaves one question (with an email address for
// the answer), gets a pickup code shown large and copyable, finds no answer
// yet; an advisor answers it in the console's questions panel; the resident
// picks the answer up with the code, and it reaches a real SMTP server
// once. Also: the pickup form on the open page, wrong codes and their
// throttle. axe-core in every new state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADVISOR, helsinkiDate, startServer } from '../lib/server.mjs';
import { launch, openPage, screenshot, axe, loginAdvisor } from '../lib/browser.mjs';
import { smtpSinkAvailable, startSmtpSink } from '../lib/smtp.mjs';

const CODE_SHOWN = /^[A-Z2-9]{4} [A-Z2-9]{4} [A-Z2-9]{4}$/;
const QUESTION = 'Voinko hakea toimeentulotukea, vaikka opiskelen? Numeroni on 040 123 4567.';
const ANSWER = 'Voit hakea. Ota yhteys Kelaan ensin (viite QX7ANSWER).';
const EMAIL = 'asukas@example.fi';

// The SMTP sink first, then the server that sends to it (so not
// useServerAndBrowser, whose server would start before this file's hooks).
const env = { srv: undefined, browser: undefined };
let sink = null;
before(async () => {
  const over = {
    'smtp.starttls': 'no',
    // All from 127.0.0.1: room for the many questions of the list test.
    'limits.questions_per_address_per_hour': '40',
    'limits.max_new_chats_per_address_per_hour': '100',
  };
  if (smtpSinkAvailable()) {
    sink = await startSmtpSink();
    over['smtp.url'] = sink.url;
  }
  env.srv = await startServer({ hours: 'closed', exceptions: { [helsinkiDate(2)]: '09:00-11:00' }, over });
  env.browser = await launch();
});
after(async () => {
  await env.browser?.close();
  await env.srv?.stop();
  await sink?.stop();
});

const shared = { code: null };

async function pickup(page, code) {
  await page.locator('#pickup-code').fill(code);
  await page.locator('#pickup-send').click();
  // The click resets the result at once; then it is either found or refused.
  await page.locator('#pickup-result.ok, #pickup-result.error').waitFor();
  return page.locator('#pickup-result').innerText();
}

test('a question left while closed, answered in the console, picked up with its code', async () => {
  const status = await env.srv.status();
  assert.equal(status.open, false);
  assert.equal(status.questions, true);
  const res = await openPage(env.browser, { locale: 'fi-FI', width: 360, height: 740, mobile: true });
  await res.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.srv.url });
  const rp = res.page;
  await rp.goto(`${env.srv.url}/`);
  await rp.locator('#view-closed').waitFor({ state: 'visible' });
  await rp.locator('#ask').waitFor({ state: 'visible' });
  assert.equal(await rp.locator('#ask-count').innerText(), '0/2000 merkkiä');
  await axe(rp, 'closed, ask form');

  // Nothing to send yet: said next to the box, nothing lost.
  await rp.locator('#ask-send').click();
  await rp.locator('#ask-result.error').filter({ hasText: 'Kirjoita ensin kysymyksesi' }).waitFor();
  assert.equal(await rp.evaluate(() => document.activeElement.id), 'ask-text');
  await rp.locator('#ask-text').fill(QUESTION);
  assert.equal(await rp.locator('#ask-count').innerText(), `${QUESTION.length}/2000 merkkiä`);
  await rp.locator('#ask-email').fill('ei osoite');
  await rp.locator('#ask-send').click();
  await rp.locator('#ask-result.error').filter({ hasText: 'Tarkista sähköpostiosoite' }).waitFor();
  await axe(rp, 'closed, ask form with an error');
  if (sink) await rp.locator('#ask-email').fill(EMAIL);
  else await rp.locator('#ask-email').fill('');
  await rp.locator('#ask-send').click();

  // The code: large, in groups of four, focus on its heading, copyable.
  await rp.locator('#ask-done').waitFor({ state: 'visible' });
  const shown = await rp.locator('#ask-code').innerText();
  assert.match(shown, CODE_SHOWN, shown);
  shared.code = shown.replace(/ /g, '');
  assert.equal(await rp.evaluate(() => document.activeElement.id), 'ask-done-h');
  assert.equal(await rp.locator('#ask-form').isHidden(), true, 'one question per visit');
  const size = await rp.locator('#ask-code').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 24, `code shown large (${size}px)`);
  await rp.locator('#ask-copy').click();
  await rp.locator('#ask-copied').filter({ hasText: 'Koodi kopioitu' }).waitFor();
  assert.equal(await rp.evaluate(() => navigator.clipboard.readText()), shown);
  // Written down, not stored: the browser keeps no trace of it.
  assert.equal(await rp.evaluate(() => localStorage.length + sessionStorage.length), 0);
  await screenshot(rp, 'resident-question-saved-360', { fullPage: true });
  await axe(rp, 'question saved, code shown');

  // No answer yet.
  await rp.locator('#ask-check').click();
  await rp.locator('#view-answer').waitFor({ state: 'visible' });
  assert.equal(await rp.locator('#pickup-code').inputValue(), shown, 'the code filled in');
  assert.match(await pickup(rp, shown), /ei ole vielä vastattu/);
  await rp.locator('#pickup-answer').waitFor({ state: 'visible' });
  const asked = await rp.locator('#pickup-q').innerText();
  assert.ok(asked.includes('[phone]') && !asked.includes('123 4567'), `redacted: ${asked}`);
  assert.match(await rp.locator('#pickup-a').innerText(), /ei ole vielä vastattu/);
  await axe(rp, 'pickup, no answer yet');

  // The console lists it with its language and age, and takes the answer.
  const adv = await openPage(env.browser, { locale: 'fi-FI', width: 1280, height: 800 });
  const ap = adv.page;
  await loginAdvisor(ap, env.srv.url, ADVISOR);
  const panel = ap.locator('#questions');
  await panel.waitFor({ state: 'visible' });
  await ap.locator('#questions-count').filter({ hasText: '1' }).waitFor();
  const item = panel.locator('li.question-item');
  assert.equal(await item.count(), 1);
  assert.match(await item.locator('.question-lang').innerText(), /suomi/i);
  assert.match(await item.locator('.question-age').innerText(), /min/);
  assert.ok((await item.locator('.question-text').innerText()).includes('[phone]'));
  assert.match(await ap.locator('#questions-summary').innerText(), /1 vastaamatta, vanhin/);
  await axe(ap, 'console, a question');
  await item.locator('summary').click();
  await item.locator('textarea').waitFor({ state: 'visible' });
  assert.equal(await item.locator('textarea').evaluate((e) => e === document.activeElement), true);
  await item.locator('button[type="submit"]').click();
  await item.locator('.form-result.error').filter({ hasText: 'Kirjoita ensin vastaus' }).waitFor();
  await item.locator('textarea').fill(ANSWER);
  await screenshot(ap, 'console-question-1280');
  await axe(ap, 'console, answering');
  await item.locator('button[type="submit"]').click();
  await ap.locator('#questions-empty').waitFor({ state: 'visible' });
  assert.equal(await item.count(), 0);
  assert.equal(await ap.locator('#questions-count').innerText(), '0');
  await ap.locator('#toasts').filter({ hasText: 'Vastaus tallennettu' }).waitFor();
  await axe(ap, 'console, answered');

  // The resident picks it up, typed as people type codes.
  const typed = `${shared.code.slice(0, 6).toLowerCase()}-${shared.code.slice(6)}`;
  assert.match(await pickup(rp, typed), /on vastattu/);
  await rp.locator('#pickup-a').filter({ hasText: 'QX7ANSWER' }).waitFor();
  assert.match(await rp.locator('#pickup-at').innerText(), /^Vastattu .+/);
  await screenshot(rp, 'resident-answer-360', { fullPage: true });
  await axe(rp, 'pickup, answered');

  if (sink) {
    const mail = await sink.wait((m) => m.body.includes('QX7ANSWER'));
    assert.match(mail.headers, /^To: asukas@example\.fi$/mi);
    assert.ok(mail.body.includes('[phone]') && !mail.body.includes('123 4567'), 'the question in the email is redacted');
    assert.equal(sink.messages().length, 1, 'sent once');
  }
  assert.deepEqual(rp.problems, []);
  assert.deepEqual(ap.problems, []);
  await adv.context.close();
  await res.context.close();
});

test('the answer form is reachable on the open page too, in Swedish', async () => {
  assert.ok(shared.code, 'the first test left a question');
  const { context, page } = await openPage(env.browser, { locale: 'sv-FI', width: 1280, height: 800 });
  await page.route('**/api/status', async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), open: true, closes_at: null } });
  });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#view-start').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#ask').isHidden(), true, 'no question form while open');
  assert.match(await page.locator('#privacy-h + ul').innerText(), /chef läsa med/);
  await page.locator('#footer-answer').filter({ hasText: 'Se svaret på din fråga' }).click();
  await page.locator('#answer-h').filter({ hasText: 'Se svaret på din fråga' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'answer-h');
  await page.locator('#pickup-code').fill(shared.code);
  await page.locator('#pickup-send').click();
  await page.locator('#pickup-a').filter({ hasText: 'QX7ANSWER' }).waitFor();
  await axe(page, 'pickup on the open page, sv');
  await page.locator('#pickup-back').click();
  await page.locator('#view-start').waitFor({ state: 'visible' });
  assert.deepEqual(page.problems, []);
  await context.close();
});

/** Leave n questions from a page of the service, straight over the socket. */
async function leaveMany(page, n) {
  return page.evaluate(async (count) => {
    const codes = [];
    for (let i = 0; i < count; i += 1) {
      codes.push(await new Promise((resolve, reject) => {
        const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws`, 'neuvo.resident.v1');
        ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', lang: 'sv' }));
        ws.onmessage = (ev) => {
          const m = JSON.parse(ev.data);
          if (m.type === 'closed') ws.send(JSON.stringify({ type: 'question', text: `Fråga nummer ${i + 1}`, lang: 'sv' }));
          else if (m.type === 'question_saved') { ws.close(); resolve(m.code); } else { ws.close(); reject(new Error(ev.data)); }
        };
        ws.onerror = () => reject(new Error('socket'));
      }));
    }
    return codes;
  }, n);
}

test('the console lists the oldest questions and counts the rest', async () => {
  const res = await openPage(env.browser, { locale: 'sv-FI' });
  await res.page.goto(`${env.srv.url}/`);
  await res.page.locator('#view-closed').waitFor({ state: 'visible' });
  const adv = await openPage(env.browser, { locale: 'sv-FI', width: 1280, height: 800 });
  const ap = adv.page;
  await loginAdvisor(ap, env.srv.url, ADVISOR);
  await ap.locator('#questions').waitFor({ state: 'visible' });
  await ap.locator('#questions-empty').waitFor({ state: 'visible' });
  // Pushed while the console is open: no reload.
  assert.equal((await leaveMany(res.page, 21)).length, 21);
  await ap.locator('#questions-count').filter({ hasText: /^21$/ }).waitFor();
  const items = ap.locator('#questions-list li.question-item');
  assert.equal(await items.count(), 20, 'the server lists twenty');
  assert.match(await items.first().locator('.question-text').innerText(), /^Fråga nummer 1$/);
  assert.match(await items.first().locator('.question-lang').innerText(), /svenska/i);
  assert.match(await ap.locator('#questions-more').innerText(), /Dessutom 1 nyare/);
  assert.match(await ap.locator('#questions-summary').innerText(), /^21 obesvarade, äldsta /);
  // A half-written answer survives the pushes of other changes.
  const second = items.nth(1);
  await second.locator('summary').click();
  await second.locator('textarea').fill('Halvfärdigt svar');
  await items.first().locator('summary').click();
  await items.first().locator('textarea').fill('Svar på den första.');
  await items.first().locator('button[type="submit"]').click();
  await ap.locator('#questions-count').filter({ hasText: /^20$/ }).waitFor();
  await ap.locator('#questions-more').waitFor({ state: 'hidden' });
  assert.equal(await items.count(), 20);
  assert.match(await items.last().locator('.question-text').innerText(), /^Fråga nummer 21$/);
  assert.equal(await items.first().locator('textarea').inputValue(), 'Halvfärdigt svar');
  await axe(ap, 'console, a long list of questions');
  assert.deepEqual(ap.problems, []);
  await adv.context.close();
  await res.context.close();
});

test('wrong codes are refused, and too many of them are stopped', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'en-GB', width: 360, height: 740, mobile: true });
  await page.goto(`${env.srv.url}/`);
  await page.locator('#view-closed').waitFor({ state: 'visible' });
  await page.locator('#footer-answer').click();
  await page.locator('#pickup-send').click();
  await page.locator('#pickup-result.error').filter({ hasText: 'Enter the code.' }).waitFor();
  let said = '';
  for (let i = 0; i < 12 && !/Too many/.test(said); i += 1) {
    said = await pickup(page, `AAAA BBBB CC${'23456789'[i % 8]}${'23456789'[(i + 3) % 8]}`);
    if (i === 0) {
      assert.match(said, /No question was found with this code/);
      assert.equal(await page.locator('#pickup-code').getAttribute('aria-invalid'), 'true');
      await axe(page, 'pickup, wrong code');
    }
  }
  assert.match(said, /Too many wrong codes from this connection/);
  await axe(page, 'pickup, rate limited');
  assert.deepEqual(page.problems, []);
  await context.close();
});
