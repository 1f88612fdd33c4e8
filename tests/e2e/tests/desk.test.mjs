// The counselling desk in the console (CONTRACT section 8): a supervisor's
// board, watching a chat read-only and whispering to its advisor, the urgent
// mark and the supervisor's alert, and transfer to another advisor, each
// state checked with axe-core. One story in steps that share the people:
// Anna (advisor) chats with a resident, Sara (supervisor) watches the desk,
// Bea (advisor) takes the chat over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ADVISOR, ADMIN_BIN } from '../lib/server.mjs';
import { openPage, loginAdvisor, screenshot, axe, seriousProblems } from '../lib/browser.mjs';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

const env = useServerAndBrowser({
  hours: 'open',
  over: { 'limits.max_queued_per_address': 1000, 'limits.max_new_chats_per_address_per_hour': 1000000 },
});

const SARA = { username: 'sara', name: 'Sara Vuorovastaava', password: 'seitsemän sorsaa sillalla', role: 'supervisor' };
const BEA = { username: 'bea', name: 'Bea Neuvoja', password: 'kaksi kissaa ikkunalla', role: 'advisor' };

function addAdvisor(a) {
  const r = spawnSync(ADMIN_BIN, ['--config', env.srv.config, 'advisor', 'add', a.username, '--name', a.name, '--role', a.role], {
    input: `${a.password}\n`, encoding: 'utf8', timeout: 60000,
  });
  assert.equal(r.status, 0, `advisor add ${a.username}: ${r.stdout}${r.stderr}`);
}

// Filled step by step; closed at the end.
const S = {};

after(async () => {
  for (const c of [S.anna, S.res, S.sara, S.bea, S.waiting]) await c?.context.close();
});

/** A resident who only waits in the queue. */
async function waitingResident() {
  const r = await openPage(env.browser, { locale: 'fi-FI', width: 400, height: 700 });
  await r.page.goto(`${env.srv.url}/`);
  await r.page.locator('#start-btn').click();
  await r.page.locator('#chat-h').filter({ hasText: 'Olet jonossa' }).waitFor();
  return r;
}

test('a supervisor sees the board; an advisor does not', async () => {
  addAdvisor(SARA);
  addAdvisor(BEA);
  const { adv, res, panel } = await startChat(env.browser, env.srv.url);
  S.anna = adv;
  S.res = res;
  S.annaPanel = panel;
  S.chat = Number((await panel.getAttribute('id')).replace('panel-', ''));
  await res.page.locator('#msg-input').fill('Hei, minulla on kysymys vuokrasta');
  await res.page.keyboard.press('Enter');
  await panel.locator('li.msg-other').filter({ hasText: 'vuokrasta' }).waitFor();
  S.waiting = await waitingResident();

  assert.equal(await adv.page.locator('#board').isHidden(), true, 'no board for an advisor');
  assert.equal(await adv.page.locator('#me').innerText(), ADVISOR.name);

  S.sara = await openPage(env.browser, { locale: 'fi-FI', width: 1440, height: 900 });
  const sp = S.sara.page;
  await loginAdvisor(sp, env.srv.url, SARA);
  await sp.locator('#board').waitFor({ state: 'visible' });
  assert.match(await sp.locator('#me').innerText(), /Sara Vuorovastaava · vuorovastaava/);
  const row = sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` });
  await row.waitFor();
  assert.match(await row.innerText(), /Anna Neuvoja/);
  assert.match(await row.innerText(), /Kesto \d+:\d\d/);
  assert.match(await row.innerText(), /viimeisestä viestistä \d+:\d\d/);
  await sp.locator('#board-queue li').first().waitFor();
  assert.equal(await sp.locator('#board-queue li').count(), 1);
  assert.match(await sp.locator('#board-queue li').innerText(), /Odottanut \d+:\d\d/);
  const advisors = sp.locator('#board-advisors li');
  await advisors.filter({ hasText: 'Anna Neuvoja' }).filter({ hasText: 'keskusteluja 1' }).waitFor();
  assert.match(await advisors.filter({ hasText: 'Anna Neuvoja' }).innerText(), /vastaanottaa/);
  assert.match(await sp.locator('#board-summary').innerText(), /Ei pitkiä odotuksia/);
  assert.equal(await sp.locator('#board-chats li .b-flag').first().innerText(), '');
  await axe(sp, 'desk, board');

  // Eleven minutes on: the wait and the silence stand out, in words.
  await sp.clock.setFixedTime(new Date(Date.now() + 11 * 60 * 1000));
  await sp.locator('#board-queue li .b-flag').filter({ hasText: 'Pitkä odotus' }).waitFor();
  await row.locator('.b-flag').filter({ hasText: 'Pitkä hiljaisuus' }).waitFor();
  assert.equal(await row.evaluate((li) => li.classList.contains('is-late')), true);
  assert.match(await sp.locator('#board-summary').innerText(), /pitkiä odotuksia 1/i);
  assert.match(await sp.locator('#board-summary').innerText(), /pitkiä hiljaisuuksia 1/i);
  await screenshot(sp, 'desk-board-1440');
  await axe(sp, 'desk, board with long wait and silence');
  assert.deepEqual(sp.problems, []);
  // Back to real time for the rest: a new window (the fake clock stays with its context).
  await S.sara.context.close();
  S.sara = await openPage(env.browser, { locale: 'fi-FI', width: 1440, height: 900 });
  await loginAdvisor(S.sara.page, env.srv.url, SARA);
  await S.sara.page.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).waitFor();

  // The one waiting leaves the queue; the board follows.
  const wp = S.waiting.page;
  await wp.locator('#end-btn').click();
  await wp.locator('#end-confirm').click();
  await S.sara.page.locator('#board-queue-empty').waitFor({ state: 'visible' });
  assert.equal(await S.sara.page.locator('#board-queue li').count(), 0);
  assert.deepEqual(sp.problems, []);
});

test('a supervisor watches a chat read-only and whispers to its advisor', async () => {
  const sp = S.sara.page;
  const ap = S.anna.page;
  const rp = S.res.page;
  const row = sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` });
  await row.getByRole('button', { name: `Seuraa keskustelua ${S.chat}` }).click();
  const watched = sp.locator(`#panel-${S.chat}`);
  await watched.waitFor({ state: 'visible' });
  assert.equal(await sp.locator(`#tab-${S.chat}`).getAttribute('aria-selected'), 'true');
  await watched.locator('li.msg-other').filter({ hasText: 'vuokrasta' }).waitFor();
  assert.equal(await watched.locator('.composer-adv').isHidden(), true, 'no reply box for a watcher');
  assert.equal(await watched.locator('.end-chat').isHidden(), true);
  assert.equal(await watched.locator('.block-chat').isHidden(), true);
  assert.match(await watched.locator('.panel-advisor').innerText(), /Neuvoja: Anna Neuvoja/);
  const box = watched.locator('textarea.whisper-input');
  assert.equal(await box.evaluate((e) => e === document.activeElement), true, 'focus in the whisper box');
  assert.equal(await sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).locator('button').innerText(), 'Näytä');

  // The conversation goes on and the watcher sees it live.
  await S.annaPanel.locator('textarea.msg-input').fill('Kerro lisää tilanteestasi.');
  await ap.keyboard.press('Enter');
  await watched.locator('li.msg-self').filter({ hasText: 'Kerro lisää' }).waitFor();
  assert.match(await watched.locator('li.msg-self').filter({ hasText: 'Kerro lisää' }).innerText(), /Neuvoja/);

  // A whisper: to the advisor and the watcher, labelled internal; never to the resident.
  await box.fill('Kysy, onko hän hakenut asumistukea.');
  await sp.keyboard.press('Enter');
  const inAnna = S.annaPanel.locator('li.internal').filter({ hasText: 'hakenut asumistukea' });
  await inAnna.waitFor();
  assert.match(await inAnna.innerText(), /Vain neuvojalle/);
  assert.match(await inAnna.innerText(), /Sara Vuorovastaava/);
  const inSara = watched.locator('li.internal').filter({ hasText: 'hakenut asumistukea' });
  await inSara.waitFor();
  assert.match(await inSara.innerText(), /Vain neuvojalle/);
  assert.equal(await box.inputValue(), '');
  await S.annaPanel.locator('textarea.msg-input').fill('Oletko hakenut asumistukea?');
  await ap.keyboard.press('Enter');
  await rp.locator('#messages li').filter({ hasText: 'Oletko hakenut' }).waitFor();
  assert.equal(await rp.locator('#messages').innerText().then((s) => s.includes('Kysy, onko')), false, 'the resident never sees a whisper');
  await screenshot(sp, 'desk-watch-1440');
  await screenshot(ap, 'desk-whisper-advisor-1280');
  await axe(sp, 'desk, watching with a whisper');
  await axe(ap, 'console, a whisper received');

  // Stop watching: the tab goes.
  await watched.getByRole('button', { name: 'Lopeta seuraaminen' }).click();
  await sp.locator(`#tab-${S.chat}`).waitFor({ state: 'detached' });
  for (const p of [sp, ap, rp]) assert.deepEqual(p.problems, []);
});

test('an urgent mark alerts the supervisor loudly', async () => {
  const sp = S.sara.page;
  const ap = S.anna.page;
  const btn = S.annaPanel.getByRole('button', { name: 'Kiireellinen' });
  assert.equal(await btn.getAttribute('aria-pressed'), 'false');
  assert.equal(await btn.getAttribute('aria-keyshortcuts'), 'Alt+U');
  // The shortcut is documented in the console's shortcut list.
  await ap.locator('.shortcuts summary').click();
  assert.match(await ap.locator('.shortcuts').innerText(), /Alt\s*\+\s*U[\s\S]*kiireelliseksi/);
  const chimes = Number(await sp.evaluate(() => document.body.dataset.chimes || 0));

  await S.annaPanel.locator('textarea.msg-input').focus();
  await ap.keyboard.press('Alt+U');
  await S.annaPanel.locator('.urgent-btn[aria-pressed="true"]').waitFor();
  await ap.locator(`#tab-${S.chat}`).filter({ hasText: 'Kiireellinen' }).waitFor();

  const dlg = sp.locator('#alert-dialog');
  await dlg.waitFor({ state: 'visible' });
  assert.match(await dlg.innerText(), new RegExp(`Anna Neuvoja merkitsi keskustelun ${S.chat} kiireelliseksi`));
  const watchBtn = dlg.getByRole('button', { name: `Seuraa keskustelua ${S.chat}` });
  assert.equal(await watchBtn.evaluate((e) => e === document.activeElement), true, 'focus on Watch in the dialog');
  assert.ok((await sp.title()).startsWith('(!) '), 'a mark in the title');
  assert.equal(Number(await sp.evaluate(() => document.body.dataset.chimes)), chimes + 1, 'a sound');
  await sp.locator('#board-chats li.is-urgent').filter({ hasText: `Keskustelu ${S.chat}` }).waitFor();
  assert.match(await sp.locator('#board-summary').innerText(), /kiireellisiä 1/i);
  await screenshot(sp, 'desk-alert-1440');
  await axe(sp, 'desk, urgent alert dialog');

  await watchBtn.click();
  const watched = sp.locator(`#panel-${S.chat}`);
  await watched.waitFor({ state: 'visible' });
  await watched.locator('.urgent-mark').filter({ hasText: 'Kiireellinen' }).waitFor();
  assert.equal(await watched.locator('.urgent-btn').isHidden(), true, 'a watcher cannot unmark');
  assert.ok(!(await sp.title()).startsWith('('), 'the title mark goes with the dialog');
  await axe(sp, 'desk, watching an urgent chat');

  // The advisor takes the mark off with the button.
  await S.annaPanel.locator('.urgent-btn').click();
  await S.annaPanel.locator('.urgent-btn[aria-pressed="false"]').waitFor();
  await watched.locator('.urgent-mark').waitFor({ state: 'hidden' });
  for (const p of [sp, ap]) assert.deepEqual(p.problems, []);
});

test('a chat is transferred with a note; a refused transfer says why', async () => {
  const sp = S.sara.page;
  const ap = S.anna.page;
  const rp = S.res.page;
  S.bea = await openPage(env.browser, { locale: 'fi-FI' });
  const bp = S.bea.page;
  await loginAdvisor(bp, env.srv.url, BEA);
  await sp.locator('#board-advisors li').filter({ hasText: 'Bea Neuvoja' }).waitFor();

  // An advisor types the username; a wrong one is refused clearly.
  await S.annaPanel.getByRole('button', { name: 'Siirrä…' }).click();
  const dlg = ap.locator('#transfer-dialog');
  await dlg.waitFor({ state: 'visible' });
  assert.equal(await ap.locator('#transfer-pick').isHidden(), true, 'an advisor has no board to pick from');
  assert.equal(await ap.evaluate(() => document.activeElement.id), 'transfer-user');
  await ap.locator('#transfer-user').fill('eiketaan');
  await ap.locator('#transfer-send').click();
  await ap.locator('#transfer-result.error').filter({ hasText: 'Siirto ei onnistunut' }).waitFor();
  assert.equal(await dlg.isVisible(), true, 'the dialog stays open with the error');
  await screenshot(ap, 'desk-transfer-refused-1280');
  await axe(ap, 'console, transfer refused');

  await ap.locator('#transfer-user').fill(BEA.username);
  await ap.locator('#transfer-note').fill('Asiakas kysyy vuokravakuudesta; sinä tunnet asian.');
  await ap.locator('#transfer-send').click();
  await dlg.waitFor({ state: 'hidden' });
  await ap.locator(`#tab-${S.chat}`).waitFor({ state: 'detached' });
  await ap.locator('#toasts .toast').filter({ hasText: `siirrettiin neuvojalle Bea Neuvoja` }).waitFor();

  // Bea has the history and the note, marked internal.
  const bpanel = bp.locator(`#panel-${S.chat}`);
  await bpanel.waitFor({ state: 'visible' });
  await bpanel.locator('li.msg-other').filter({ hasText: 'vuokrasta' }).waitFor();
  const note = bpanel.locator('li.internal-note');
  await note.waitFor();
  assert.match(await note.innerText(), /Vain neuvojalle/);
  assert.match(await note.innerText(), /Anna Neuvoja/);
  assert.match(await note.innerText(), /vuokravakuudesta/);
  assert.equal(await bpanel.locator('textarea.msg-input').isVisible(), true, 'Bea can answer');
  // Anna's words are not labelled as Bea's own.
  assert.match(await bpanel.locator('li.msg-from-advisor').filter({ hasText: 'Kerro lisää' }).locator('.who').innerText(), /^Neuvoja$/);
  // The resident sees the new name and nothing of the note.
  await rp.locator('#messages li.system.joined').filter({ hasText: 'Bea Neuvoja' }).waitFor();
  assert.equal((await rp.locator('#messages').innerText()).includes('vuokravakuudesta'), false);
  await bpanel.locator('textarea.msg-input').fill('Hei, jatkan tästä.');
  await bp.keyboard.press('Enter');
  await rp.locator('#messages li').filter({ hasText: 'jatkan tästä' }).waitFor();
  await screenshot(bp, 'desk-transferred-in-1280');
  await axe(bp, 'console, a transferred chat with its note');

  // The supervisor picks from the advisors logged in, here back to Anna.
  await sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).filter({ hasText: 'Bea Neuvoja' }).waitFor();
  // Sara still watches (since the alert): she saw the move.
  const watched = sp.locator(`#panel-${S.chat}`);
  await watched.locator('.panel-advisor').filter({ hasText: 'Bea Neuvoja' }).waitFor();
  await watched.locator('li.system').filter({ hasText: 'siirrettiin neuvojalle Bea Neuvoja' }).waitFor();
  await sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).getByRole('button', { name: /Näytä keskustelu/ }).click();
  await watched.waitFor({ state: 'visible' });
  await watched.getByRole('button', { name: 'Siirrä…' }).click();
  await sp.locator('#transfer-dialog').waitFor({ state: 'visible' });
  assert.equal(await sp.locator('#transfer-user').isHidden(), true);
  const options = await sp.locator('#transfer-pick option').allInnerTexts();
  assert.ok(options.some((o) => o.includes('Anna Neuvoja (anna)')), options.join(' | '));
  await axe(sp, 'desk, transfer dialog');
  await sp.locator('#transfer-pick').selectOption(ADVISOR.username);
  await sp.locator('#transfer-send').click();
  await sp.locator('#transfer-dialog').waitFor({ state: 'hidden' });
  await watched.locator('.panel-advisor').filter({ hasText: 'Anna Neuvoja' }).waitFor();
  await bp.locator(`#tab-${S.chat}`).waitFor({ state: 'detached' });
  await sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).filter({ hasText: 'Anna Neuvoja' }).waitFor();
  const back = ap.locator(`#panel-${S.chat}`);
  await back.locator('li.internal-note').filter({ hasText: 'Sara Vuorovastaava' }).waitFor();
  await back.locator('li.msg-self, li.msg-other').filter({ hasText: 'jatkan tästä' }).waitFor();
  await rp.locator('#messages li.system.joined').filter({ hasText: 'Anna Neuvoja' }).last().waitFor();

  // A narrower screen: the board goes below the chats and stays reachable.
  await sp.setViewportSize({ width: 1024, height: 768 });
  await sp.locator('#board-h').scrollIntoViewIfNeeded();
  assert.equal(await sp.locator('#board-h').isVisible(), true);
  await screenshot(sp, 'desk-board-1024');
  await axe(sp, 'desk, 1024 px');
  for (const p of [sp, ap, bp, rp]) assert.deepEqual(p.problems, []);
});

test('a watch comes back after the supervisor\'s link drops', async () => {
  const sp = S.sara.page;
  const rp = S.res.page;
  const watched = sp.locator(`#panel-${S.chat}`);
  await watched.locator('textarea.whisper-input').waitFor({ state: 'visible' });
  await S.sara.context.setOffline(true);
  await sp.locator('#conn-banner').waitFor({ state: 'visible' });
  await rp.locator('#msg-input').fill('Kirjoitan, kun vuorovastaavan verkko on poikki');
  await rp.keyboard.press('Enter');
  await rp.locator('#messages li[data-id]').filter({ hasText: 'verkko on poikki' }).waitFor();
  await S.sara.context.setOffline(false);
  await sp.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
  // Watched again: what was written meanwhile is there, and the chat is not
  // taken for lost once the console has sorted its chats out.
  await watched.locator('li.msg-other').filter({ hasText: 'verkko on poikki' }).waitFor();
  await sp.waitForTimeout(2500);
  assert.equal(await watched.locator('textarea.whisper-input').isVisible(), true);
  assert.equal(await watched.locator('.panel-state').isHidden(), true);
  await watched.locator('textarea.whisper-input').fill('Olen taas linjoilla.');
  await sp.keyboard.press('Enter');
  await S.annaPanel.locator('li.internal').filter({ hasText: 'taas linjoilla' }).waitFor();
  await sp.locator('#board-chats li').filter({ hasText: `Keskustelu ${S.chat}` }).waitFor();
  assert.deepEqual(seriousProblems(sp, { allow: [/WebSocket|ERR_INTERNET_DISCONNECTED|net::/] }), []);
});

test('an advisor who reloads the console sees the chat\'s whispers again', async () => {
  const ap = S.anna.page;
  await ap.reload();
  await ap.locator('#view-console').waitFor({ state: 'visible' });
  const panel = ap.locator(`#panel-${S.chat}`);
  await panel.locator('li.msg-other').filter({ hasText: 'verkko on poikki' }).waitFor();
  // Both of Sara's whispers, each once, still marked internal.
  for (const text of ['hakenut asumistukea', 'taas linjoilla']) {
    const line = panel.locator('li.internal').filter({ hasText: text });
    await line.waitFor();
    assert.equal(await line.count(), 1, text);
    assert.match(await line.innerText(), /Vain neuvojalle/);
  }
  assert.deepEqual(seriousProblems(ap, { allow: [/WebSocket|ERR_INTERNET_DISCONNECTED|net::/] }), []);
});
