// The manager's report (`neuvo-admin report`) of real chats: residents and an
// advisor go through the real server over WebSocket (from a Chromium page on
// the server's origin), a few more knock while it is closed (after a SIGHUP
// reload), then the report is rendered and opened in headless Chromium. It
// must make no request of its own, show its charts, and it is screenshotted
// to tests/artifacts/report.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ADMIN_BIN, ADVISOR, configText, helsinkiDate } from '../lib/server.mjs';
import { ARTIFACTS, openPage, screenshot } from '../lib/browser.mjs';
import { useServerAndBrowser } from '../lib/setup.mjs';

const env = useServerAndBrowser({ hours: 'open' });

// Residents: served ones are tagged and rate the chat; the rest leave.
const PLANS = [
  { lang: 'fi', topic: 'housing', tags: ['housing'], outcome: 'answered', rating: 5 },
  { lang: 'fi', topic: 'income_support', tags: ['income_support', 'housing'], outcome: 'referred', rating: 4 },
  { lang: 'sv', topic: null, tags: ['daily_life'], outcome: 'answered', rating: 5 },
  { lang: 'fi', topic: 'substance_use', tags: [], outcome: 'referred', rating: 3 },
  { lang: 'en', topic: 'family', tags: ['family'], outcome: 'answered', rating: 4 },
  { lang: 'fi', topic: 'other', leave: true },
  { lang: 'fi', topic: null, leave: true },
];

/** In the page: a tiny WebSocket client with recv(type). */
function installClient() {
  window.neuvoConnect = (protocol) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, protocol);
    const c = { inbox: [], waiters: [] };
    ws.onmessage = (e) => {
      c.inbox.push(JSON.parse(e.data));
      c.waiters.splice(0).forEach((f) => f());
    };
    ws.onopen = () => resolve(c);
    ws.onerror = () => reject(new Error('websocket failed'));
    c.send = (o) => ws.send(JSON.stringify(o));
    c.close = () => ws.close();
    c.recv = (type) => new Promise((done) => {
      const look = () => {
        const i = c.inbox.findIndex((m) => m.type === type);
        if (i >= 0) done(c.inbox.splice(i, 1)[0]);
        else c.waiters.push(look);
      };
      look();
    });
  });
}

/** In the page: the chats of PLANS through the real server. */
async function runChats({ plans, advisor }) {
  const adv = await window.neuvoConnect('neuvo.advisor.v1');
  adv.send({ type: 'login', username: advisor.username, password: advisor.password });
  await adv.recv('login_ok');
  for (const p of plans) {
    // The advisor sends five frames a chat: stay under 10 a second.
    await new Promise((done) => setTimeout(done, 1100));
    const r = await window.neuvoConnect('neuvo.resident.v1');
    r.send({ type: 'hello', lang: p.lang, ...(p.topic ? { topic: p.topic } : {}) });
    const q = await r.recv('queued');
    r.send({ type: 'msg', text: 'Hei, minulla olisi kysymys.' });
    await r.recv('msg');
    if (p.leave) {
      r.send({ type: 'end' });
      await r.recv('ended');
      r.close();
      continue;
    }
    adv.send({ type: 'take', chat: q.chat });
    await adv.recv('chat');
    adv.send({ type: 'msg', chat: q.chat, text: 'Hei! Autan mielelläni.' });
    await r.recv('assigned');
    adv.send({ type: 'tag', chat: q.chat, topics: p.tags, outcome: p.outcome });
    await adv.recv('tagged');
    adv.send({ type: 'end', chat: q.chat });
    await r.recv('ended');
    r.send({ type: 'feedback', rating: p.rating });
    await r.recv('thanks');
    r.close();
  }
  adv.close();
}

/** In the page: `n` residents who find the chat closed. */
async function knockWhileClosed(n) {
  for (let i = 0; i < n; i += 1) {
    const r = await window.neuvoConnect('neuvo.resident.v1');
    r.send({ type: 'hello' });
    await r.recv('closed');
  }
}

/** Rewrite the server's config with other hours and reload it (SIGHUP). */
async function reloadHours(hours) {
  fs.writeFileSync(env.srv.config, configText({ port: env.srv.port, dir: env.srv.dir, hours }));
  env.srv.proc.kill('SIGHUP');
  const want = hours === 'closed' ? false : undefined;
  for (let i = 0; i < 50 && want !== undefined; i += 1) {
    if ((await env.srv.status()).open === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Weekday hours 09:00-11:00 and 13:00-15:00, and today also the hour now,
 * when these chats came: the opening hours the report shades. */
function reportHours() {
  const now = new Date();
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', hour: '2-digit', hourCycle: 'h23' }).format(now));
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Helsinki', weekday: 'short' }).format(now).toLowerCase();
  const hours = { mon: '09:00-11:00, 13:00-15:00', tue: '09:00-11:00', wed: '09:00-11:00', thu: '09:00-11:00, 13:00-15:00', fri: '09:00-11:00' };
  const pad = (h) => String(h).padStart(2, '0');
  const ranges = (hours[day] || '').split(', ').filter(Boolean).filter((r) => {
    const [a, b] = r.split('-').map((t) => Number(t.slice(0, 2)));
    return hour + 1 <= a || hour >= b;
  });
  ranges.push(`${pad(hour)}:00-${hour === 23 ? '24' : pad(hour + 1)}:00`);
  ranges.sort();
  hours[day] = ranges.join(', ');
  return hours;
}

test('the report of real chats is self-contained and shows its charts', async () => {
  const { context, page } = await openPage(env.browser, { locale: 'en-GB' });
  await page.goto(`${env.srv.url}/`);
  await page.evaluate(installClient);
  await page.evaluate(runChats, { plans: PLANS, advisor: ADVISOR });
  await reloadHours('closed');
  await page.evaluate(knockWhileClosed, 3);
  await reloadHours(reportHours());
  await context.close();

  const out = path.join(env.srv.dir, 'report.html');
  const r = spawnSync(ADMIN_BIN, ['--config', env.srv.config, 'report', '--from', helsinkiDate(-6),
    '--to', helsinkiDate(0), '--out', out, '--title', 'Neuvonta chat: weekly report', '--lang', 'en'],
  { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const html = fs.readFileSync(out, 'utf8');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.copyFileSync(out, path.join(ARTIFACTS, 'report.html'));
  assert.doesNotMatch(html, /https?:|<script|src=/);

  const view = await openPage(env.browser, { locale: 'en-GB', width: 1100, height: 900 });
  const requests = [];
  view.page.on('request', (req) => requests.push(req.url()));
  await view.page.goto(pathToFileURL(out).href);
  await view.page.getByRole('heading', { name: 'Are we open when people try to reach us?' }).waitFor();

  assert.deepEqual(requests, [pathToFileURL(out).href], 'the report loads nothing else');
  const charts = view.page.locator('svg');
  assert.ok(await charts.count() >= 6, 'week, waits, abandoned, topics, outcomes, feedback');
  for (let i = 0; i < await charts.count(); i += 1) {
    const box = await charts.nth(i).boundingBox();
    assert.ok(box && box.width > 200 && box.height > 30, `chart ${i} is visible: ${JSON.stringify(box)}`);
  }
  // Real figures: 7 queued, 5 served, 3 tried while closed.
  const tiles = await view.page.locator('.tile').allInnerTexts();
  assert.ok(tiles.some((t) => /^7\s+queued/.test(t)), tiles.join(' | '));
  assert.ok(tiles.some((t) => /^5\s+served/.test(t)), tiles.join(' | '));
  assert.ok(tiles.some((t) => /^3\s+tried while closed/.test(t)), tiles.join(' | '));
  const bars = await view.page.locator('svg').first().locator('rect[fill="#c2413b"]').count();
  assert.ok(bars >= 1, 'closed-time attempts are drawn');
  assert.deepEqual(view.page.problems, []);
  await screenshot(view.page, 'report', { fullPage: true });
  await view.context.close();
});
