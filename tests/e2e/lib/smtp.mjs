// A real SMTP server for browser tests that follow an email: Debian's
// python3-aiosmtpd with its Mailbox handler, on a free loopback port,
// writing each message it accepts into a Maildir of its own.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server.mjs';

const PYTHON = '/usr/bin/python3';

/** True if python3-aiosmtpd is installed (else a test can skip its email part). */
export function smtpSinkAvailable() {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import aiosmtpd'], { encoding: 'utf8' }).status === 0;
}

function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * A single-part message as {headers (raw text), body (decoded text)}: base64
 * and quoted-printable bodies decoded as UTF-8, others as they are.
 */
export function parseMail(raw) {
  const cut = raw.search(/\r?\n\r?\n/);
  const headers = cut < 0 ? raw : raw.slice(0, cut);
  let body = cut < 0 ? '' : raw.slice(cut).replace(/^\r?\n\r?\n/, '');
  const cte = (headers.match(/^Content-Transfer-Encoding:\s*(\S+)/mi) || [])[1] || '';
  if (/^base64$/i.test(cte)) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else if (/^quoted-printable$/i.test(cte)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return { headers, body };
}

/**
 * Start the sink. Returns {url (for [smtp] url), messages() → [raw text],
 * wait(pred) → the first message (parseMail) pred(message) accepts, stop()}.
 */
export async function startSmtpSink() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neuvo-e2e-smtp-'));
  const box = path.join(dir, 'Maildir');
  const port = await freePort();
  const log = fs.openSync(path.join(dir, 'sink.log'), 'a');
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
    { stdio: ['ignore', log, log] });
  for (let i = 0; !(await listening(port)); i += 1) {
    if (proc.exitCode !== null || i > 300) {
      proc.kill('SIGKILL');
      throw new Error(`SMTP sink did not start: ${fs.readFileSync(path.join(dir, 'sink.log'), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  function messages() {
    const fresh = path.join(box, 'new');
    if (!fs.existsSync(fresh)) return [];
    return fs.readdirSync(fresh).sort().map((f) => fs.readFileSync(path.join(fresh, f), 'utf8'));
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async wait(pred = () => true, ms = 60000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const hit = messages().map(parseMail).find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching message reached the SMTP sink in ${ms} ms (${messages().length} others)`);
    },
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      fs.closeSync(log);
      if (!process.env.NEUVO_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
