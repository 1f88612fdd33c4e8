// The server's disk full (CONTRACT section 7): the resident's message is
// not shown as sent, the page says it will try again, and once space
// returns it goes by itself, once. The database lives on a small tmpfs
// mounted for this file (root and mount(8) needed; skipped otherwise).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useServerAndBrowser, startChat } from '../lib/setup.mjs';

const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'neuvo-e2e-disk-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', disk]).status === 0;
const filler = path.join(disk, 'filler');

const env = useServerAndBrowser(
  { hours: 'open', over: mounted ? { 'server.database': path.join(disk, 'neuvo.db') } : {} },
  { exitZero: true },
);

after(() => {
  if (!mounted) return;
  if (spawnSync('umount', [disk]).status !== 0) spawnSync('umount', ['-l', disk]);
  fs.rmSync(disk, { recursive: true, force: true });
});

function fill() {
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(65536);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    assert.equal(e.code, 'ENOSPC');
  }
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(512));
  } catch { /* full to the last block */ }
  fs.closeSync(fd);
}

test('a message the full disk refused goes by itself when space returns', { skip: !mounted && 'mount not allowed' }, async () => {
  const { adv, res, rp, panel } = await startChat(env.browser, env.srv.url);
  fill();
  await rp.locator('#msg-input').fill('Levy on täynnä');
  await rp.keyboard.press('Enter');
  await rp.locator('#conn-banner').filter({ hasText: 'tallennettua' }).waitFor();
  await rp.locator('#messages li.msg-self.pending').filter({ hasText: 'Levy on täynnä' }).waitFor();
  const health = await fetch(`${env.srv.url}/healthz`);
  assert.equal(health.status, 503);
  assert.equal((await health.json()).status, 'unavailable');
  assert.equal(await panel.locator('.messages li').filter({ hasText: 'Levy on täynnä' }).count(), 0);

  fs.unlinkSync(filler);
  await rp.locator('#messages li.msg-self[data-id]').filter({ hasText: 'Levy on täynnä' }).waitFor({ timeout: 30000 });
  await panel.locator('.messages li').filter({ hasText: 'Levy on täynnä' }).waitFor();
  await rp.locator('#conn-banner').waitFor({ state: 'hidden' });
  await rp.waitForTimeout(1500); // room for a wrong resend to show up
  assert.equal(await panel.locator('.messages li').filter({ hasText: 'Levy on täynnä' }).count(), 1);
  assert.equal(await rp.locator('#messages li').filter({ hasText: 'Levy on täynnä' }).count(), 1);
  await res.context.close();
  await adv.context.close();
});
