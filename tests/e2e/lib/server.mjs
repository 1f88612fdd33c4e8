// Starts the real neuvo-server for a browser test: a temp directory with a
// config holding every key of CONTRACT section 2, a free loopback port, a
// temp SQLite file, web_root = the repository's client-web, and one advisor.
// Binaries come from $NEUVO_BUILD_DIR (default <repo>/build).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD = process.env.NEUVO_BUILD_DIR || path.join(REPO, 'build');
export const SERVER_BIN = path.join(BUILD, 'neuvo-server');
export const ADMIN_BIN = path.join(BUILD, 'neuvo-admin');
export const WEB_ROOT = path.join(REPO, 'client-web');

export const ADVISOR = { username: 'anna', name: 'Anna Neuvoja', password: 'kolme karhua ja kettu' };
export const TOPICS = ['income_support', 'housing', 'substance_use', 'daily_life', 'family', 'other'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function binariesPresent() {
  return fs.existsSync(SERVER_BIN) && fs.existsSync(ADMIN_BIN);
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free loopback port below Linux's ephemeral range, so no client socket takes it first. */
export async function freePort() {
  for (let i = 0; i < 200; i += 1) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port');
}

/** The INI text: every key of CONTRACT section 2, with overrides. */
export function configText({ port, dir, hours = 'open', exceptions = {}, over = {} }) {
  const week = {};
  for (const d of DAYS) {
    if (hours === 'open') week[d] = '00:00-24:00';
    else if (hours === 'closed') week[d] = 'closed';
    else week[d] = hours[d] || 'closed';
  }
  const sections = {
    server: {
      listen: '127.0.0.1',
      port: String(port),
      tls_cert: '',
      tls_key: '',
      allowed_origins: `http://127.0.0.1:${port}`,
      database: path.join(dir, 'neuvo.db'),
      web_root: WEB_ROOT,
    },
    hours: { timezone: 'Europe/Helsinki', ...week, holidays: 'none' },
    exceptions: { ...exceptions },
    queue: {
      max_length: '50',
      max_chats_per_advisor: '3',
      auto_assign: 'no',
      resume_grace_s: '120',
      idle_timeout_s: '900',
    },
    chat: {
      max_message_chars: '2000',
      languages: 'fi sv en',
      default_language: 'fi',
      topics: TOPICS.join(' '),
    },
    transcripts: { retention_days: '365' },
    smtp: { url: '', from: 'neuvonta@example.fi', username: '', password: '', starttls: 'required' },
  };
  for (const [k, v] of Object.entries(over)) {
    const [sec, key] = k.split('.');
    sections[sec] = sections[sec] || {};
    sections[sec][key] = String(v);
  }
  const lines = ['; written by tests/e2e/lib/server.mjs'];
  for (const [sec, keys] of Object.entries(sections)) {
    lines.push(`[${sec}]`);
    for (const [k, v] of Object.entries(keys)) lines.push(`${k} = ${v}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

async function waitHealthy(url, proc, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`neuvo-server exited with ${proc.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) {
        const body = await res.json();
        if (body.status === 'ok') return;
      }
    } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`neuvo-server not healthy in ${ms} ms: ${last}`);
}

/**
 * Start a server. options.hours: 'open' (00:00-24:00 every day), 'closed'
 * (every day), or {mon: '09:00-11:00', ...}; options.exceptions: {date: ranges};
 * options.over: {'queue.idle_timeout_s': 20, ...}.
 */
export async function startServer(options = {}) {
  if (!binariesPresent()) throw new Error(`neuvo binaries missing in ${BUILD}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neuvo-e2e-'));
  const port = await freePort();
  const config = path.join(dir, 'neuvo.ini');
  fs.writeFileSync(config, configText({ port, dir, ...options }));

  const check = spawnSync(SERVER_BIN, ['--config', config, '--check'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`config check failed: ${check.stdout}${check.stderr}`);

  const add = spawnSync(ADMIN_BIN, ['--config', config, 'advisor', 'add', ADVISOR.username, '--name', ADVISOR.name], {
    input: `${ADVISOR.password}\n`, encoding: 'utf8', timeout: 60000,
  });
  if (add.status !== 0) throw new Error(`advisor add failed: ${add.stdout}${add.stderr}`);

  const logPath = path.join(dir, 'server.log');
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(SERVER_BIN, ['--config', config], { cwd: dir, stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n${fs.readFileSync(logPath, 'utf8')}`);
  }

  return {
    url,
    port,
    dir,
    config,
    proc,
    log: () => fs.readFileSync(logPath, 'utf8'),
    async status() {
      const res = await fetch(`${url}/api/status`);
      return res.json();
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const code = await done;
      clearTimeout(timer);
      fs.closeSync(log);
      if (!process.env.NEUVO_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Local date in Europe/Helsinki, offset by days: "2026-11-25". */
export function helsinkiDate(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
