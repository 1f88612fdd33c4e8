'use strict';
/*
 * relay.js - the Node relay that tests/bench/run.sh measures neuvo against:
 * what a competent team would write in Node for the resident subset of
 * neuvo's protocol (CONTRACT.md section 4), done fairly:
 *
 *   - ws for WebSocket (no permessage-deflate, 16 KiB frames, Origin
 *     checked), better-sqlite3 for storage;
 *   - WAL with synchronous=FULL, and group commit: every message of one
 *     event-loop turn goes into one transaction, committed in a
 *     setImmediate, and only then echoed and relayed (nothing is shown that
 *     is not on disk, as in neuvo);
 *   - regex redaction of the same four kinds before anything is stored:
 *     identity codes (checksum-checked), phone numbers, emails, IBANs
 *     (mod-97 checked);
 *   - a fixed one-second window of 10 frames per connection (rate_limited
 *     beyond), a cid remembered per chat and sender (a resent message is
 *     answered with the stored one), a bounded send buffer per socket;
 *   - hello -> queued, position pushes, advisor login/status/take, msg
 *     both ways, end; auto_assign like neuvo's (least-loaded advisor).
 *
 * Not here: opening hours, resume, email copies, statistics events and
 * scrypt (advisor logins compare a password from a file; logins are not
 * part of what the benchmark measures).
 *
 *   node relay.js --port P --db FILE --password-file F
 *                 [--host 127.0.0.1] [--max-chats 60] [--auto-assign yes]
 *                 [--origin http://127.0.0.1:P]
 */
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');
const Database = require('better-sqlite3');

const RATE_LIMIT = 10;
const MAX_FRAME = 16 * 1024;
const MAX_TEXT = 2000;
const MAX_BUFFERED = 1024 * 1024;

function parseArgs(argv) {
  const o = { host: '127.0.0.1', port: 8095, db: 'relay.db', maxChats: 60,
              autoAssign: true, origin: null, passwordFile: null };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error(`missing value for ${k}`);
    if (k === '--port') o.port = Number(v);
    else if (k === '--host') o.host = v;
    else if (k === '--db') o.db = v;
    else if (k === '--max-chats') o.maxChats = Number(v);
    else if (k === '--auto-assign') o.autoAssign = v === 'yes';
    else if (k === '--origin') o.origin = v;
    else if (k === '--password-file') o.passwordFile = v;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!o.passwordFile) throw new Error('--password-file is required');
  o.password = fs.readFileSync(o.passwordFile, 'utf8').split(/\r?\n/)[0];
  o.origin = o.origin || `http://${o.host}:${o.port}`;
  return o;
}

/* ------------------------------------------------------------ redaction */

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi;
const HETU = /\b(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])\b/gi;
const PHONE = /(?<![\w+])(?:\+358|00358|0)[ -]?\(?\d{1,3}\)?(?:[ -]?\d){4,10}(?!\w)/g;

function ibanValid(s) {
  const t = s.replace(/ /g, '').toUpperCase();
  if (t.length < 15 || t.length > 34) return false;
  const r = t.slice(4) + t.slice(0, 4);
  let m = 0;
  for (const ch of r) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    m = v >= 10 ? (m * 100 + v) % 97 : (m * 10 + v) % 97;
  }
  return m === 1;
}

function hetuValid(dd, mm, yy, nnn, check) {
  const d = Number(dd), m = Number(mm);
  if (d < 1 || d > 31 || m < 1 || m > 12) return false;
  return HETU_CHECK[Number(dd + mm + yy + nnn) % 31] === check.toUpperCase();
}

/* Returns [text, redacted]. Same order as neuvo: email, IBAN, hetu, phone. */
function redact(text) {
  let hit = false;
  let t = text.replace(EMAIL, () => { hit = true; return '[email]'; });
  t = t.replace(IBAN, (m) => (ibanValid(m) ? (hit = true, '[iban]') : m));
  t = t.replace(HETU, (m, dd, mm, yy, sep, nnn, c) =>
    (hetuValid(dd, mm, yy, nnn, c) ? (hit = true, '[hetu]') : m));
  t = t.replace(PHONE, () => { hit = true; return '[phone]'; });
  return [t, hit];
}

/* -------------------------------------------------------------- storage */

function openDb(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS chats (
      id INTEGER PRIMARY KEY, lang TEXT NOT NULL, topic TEXT,
      started_at INTEGER NOT NULL, taken_at INTEGER, ended_at INTEGER,
      advisor TEXT, ended_by TEXT);
    CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL REFERENCES chats(id),
      seq INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
      at INTEGER NOT NULL, redacted INTEGER NOT NULL, cid TEXT);
    CREATE INDEX IF NOT EXISTS messages_chat ON messages(chat_id, seq);`);
  return {
    db,
    newChat: db.prepare('INSERT INTO chats (lang, topic, started_at) VALUES (?, ?, ?)'),
    takeChat: db.prepare('UPDATE chats SET taken_at = ?, advisor = ? WHERE id = ?'),
    endChat: db.prepare('UPDATE chats SET ended_at = ?, ended_by = ? WHERE id = ?'),
    addMsg: db.prepare(`INSERT INTO messages (chat_id, seq, sender, text, at,
                        redacted, cid) VALUES (?, ?, ?, ?, ?, ?, ?)`),
  };
}

/* ---------------------------------------------------------------- relay */

function main() {
  const opt = parseArgs(process.argv);
  const st = openDb(opt.db);
  const queue = [];             // chats waiting, oldest first
  const advisors = new Set();   // logged-in advisor connections
  const chats = new Map();      // id -> chat
  let pending = [];             // writes of this turn, committed together
  let flushScheduled = false;
  let queueDirty = false;

  const nowIso = () => new Date().toISOString();

  function send(ws, obj) {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) { ws.terminate(); return; }
    ws.send(JSON.stringify(obj));
  }

  function error(ws, code, message) {
    send(ws, { type: 'error', code, message });
    if (++ws.errors >= 20) ws.close(1008, 'too many errors');
  }

  /* Group commit: every write of this turn in one transaction, then the
   * frames that depend on it. */
  const commit = st.db.transaction((items) => {
    for (const it of items) it.write();
  });

  function flush() {
    flushScheduled = false;
    const items = pending;
    pending = [];
    try {
      commit(items);
    } catch (e) {
      for (const it of items) if (it.ws) error(it.ws, 'unavailable', 'not saved');
      return;
    }
    for (const it of items) it.after();
  }

  function later(ws, write, after) {
    pending.push({ ws, write, after });
    if (!flushScheduled) { flushScheduled = true; setImmediate(flush); }
  }

  function queueView() {
    const now = Date.now();
    return {
      type: 'queue', length: queue.length,
      waiting: queue.map((c) => ({ chat: c.id, waited_s: Math.floor((now - c.startedAt) / 1000),
                                   lang: c.lang, topic: c.topic })),
    };
  }

  /* Positions and the queue view, at most once a turn. */
  function queueChanged() {
    if (queueDirty) return;
    queueDirty = true;
    setImmediate(() => {
      queueDirty = false;
      queue.forEach((c, i) => {
        if (c.position !== i + 1 && c.resident) {
          c.position = i + 1;
          send(c.resident, { type: 'position', position: i + 1, estimated_wait_s: null });
        }
      });
      const view = queueView();
      for (const a of advisors) send(a, view);
    });
  }

  function msgFrame(c, m, cid, forAdvisor) {
    const f = { type: 'msg', id: m.seq, from: m.from, text: m.text, at: m.at,
                redacted: m.redacted };
    if (cid !== undefined) f.cid = cid;
    if (forAdvisor) f.chat = c.id;
    return f;
  }

  function bestAdvisor() {
    let best = null;
    for (const a of advisors)
      if (a.available && a.chats.size < opt.maxChats && (!best || a.chats.size < best.chats.size))
        best = a;
    return best;
  }

  function assign(a, c) {
    queue.splice(queue.indexOf(c), 1);
    c.state = 'active';
    c.advisor = a;
    a.chats.add(c.id);
    const at = Math.floor(Date.now() / 1000);
    later(null, () => st.takeChat.run(at, a.username, c.id), () => {
      send(a, { type: 'chat', chat: c.id, lang: c.lang, topic: c.topic,
                history: c.history.map((m) => msgFrame(c, m, undefined, true)) });
      if (c.resident) send(c.resident, { type: 'assigned', advisor: a.displayName });
    });
    queueChanged();
  }

  function assignWaiting() {
    if (!opt.autoAssign) return;
    let a;
    while (queue.length && (a = bestAdvisor())) assign(a, queue[0]);
  }

  function endChat(c, by) {
    if (c.state === 'ended') return;
    const wasQueued = c.state === 'queued';
    c.state = 'ended';
    const i = queue.indexOf(c);
    if (wasQueued && i >= 0) { queue.splice(i, 1); queueChanged(); }
    const a = c.advisor;
    if (a) a.chats.delete(c.id);
    c.cids = null;
    const at = Math.floor(Date.now() / 1000);
    later(null, () => st.endChat.run(at, by, c.id), () => {
      if (c.resident) send(c.resident, { type: 'ended', by });
      if (a) send(a, { type: 'ended', chat: c.id, by });
      chats.delete(c.id);
      assignWaiting();
    });
  }

  /* A message into chat c from `from`; stored, then echoed and relayed. */
  function postMessage(ws, c, from, text, cid) {
    if (typeof text !== 'string' || !text.length) return error(ws, 'bad_field', 'text');
    if ([...text].length > MAX_TEXT) return error(ws, 'too_long', 'text too long');
    const key = cid === undefined ? null : `${from}:${cid}`;
    if (key && c.cids.has(key)) {
      const old = c.cids.get(key);
      return send(ws, msgFrame(c, old, cid, from === 'advisor'));
    }
    const [clean, hit] = from === 'resident' ? redact(text) : [text, false];
    const m = { seq: ++c.seq, from, text: clean, at: nowIso(), redacted: hit };
    if (key) c.cids.set(key, m);
    const atS = Math.floor(Date.now() / 1000);
    later(ws, () => st.addMsg.run(c.id, m.seq, from, clean, atS, hit ? 1 : 0,
                                  cid === undefined ? null : String(cid)), () => {
      if (c.state === 'queued') c.history.push(m);
      if (c.resident) send(c.resident, msgFrame(c, m, from === 'resident' ? cid : undefined, false));
      if (c.advisor) send(c.advisor, msgFrame(c, m, from === 'advisor' ? cid : undefined, true));
    });
  }

  function onResident(ws, m) {
    const c = ws.chat;
    switch (m.type) {
    case 'hello': {
      if (c) return error(ws, 'not_allowed', 'already said hello');
      const lang = typeof m.lang === 'string' ? m.lang : 'fi';
      const topic = typeof m.topic === 'string' ? m.topic : null;
      const chat = { id: 0, lang, topic, state: 'queued', resident: ws, advisor: null,
                     seq: 0, history: [], cids: new Map(), position: 0,
                     startedAt: Date.now() };
      ws.chat = chat;
      later(ws, () => { chat.id = Number(st.newChat.run(lang, topic, Math.floor(Date.now() / 1000)).lastInsertRowid); }, () => {
        if (chat.state !== 'queued') return;
        chats.set(chat.id, chat);
        queue.push(chat);
        chat.position = queue.length;
        send(ws, { type: 'queued', chat: chat.id, token: crypto.randomBytes(16).toString('hex'),
                   position: chat.position, estimated_wait_s: null });
        queueChanged();
        assignWaiting();
      });
      return;
    }
    case 'msg':
      if (!c || c.state === 'ended' || !c.id) return error(ws, 'not_allowed', 'no open chat');
      return postMessage(ws, c, 'resident', m.text, m.cid);
    case 'end':
      if (!c || !c.id) return error(ws, 'not_allowed', 'no open chat');
      return endChat(c, 'resident');
    default:
      return error(ws, 'bad_type', 'unknown type');
    }
  }

  function onAdvisor(ws, m) {
    if (m.type === 'login') {
      if (m.password !== opt.password || typeof m.username !== 'string') {
        error(ws, 'auth_failed', 'wrong username or password');
        return ws.close(1008, 'auth failed');
      }
      for (const a of advisors)
        if (a.username === m.username) { advisors.delete(a); a.close(1000, 'logged in elsewhere'); }
      ws.username = m.username;
      ws.displayName = m.username;
      ws.available = false;
      ws.chats = new Set();
      advisors.add(ws);
      send(ws, { type: 'login_ok', name: ws.displayName,
                 token: crypto.randomBytes(16).toString('hex'), available: false });
      send(ws, queueView());
      return;
    }
    if (!ws.username) return error(ws, 'not_allowed', 'log in first');
    const c = m.chat !== undefined ? chats.get(m.chat) : null;
    switch (m.type) {
    case 'status':
      ws.available = m.available === true;
      return assignWaiting();
    case 'take': {
      if (ws.chats.size >= opt.maxChats) return error(ws, 'too_many_chats', 'full');
      const target = m.chat !== undefined ? queue.find((q) => q.id === m.chat) : queue[0];
      if (!target) return error(ws, m.chat !== undefined ? 'unknown_chat' : 'queue_empty', 'nothing to take');
      return assign(ws, target);
    }
    case 'msg':
      if (!c || c.advisor !== ws || c.state !== 'active') return error(ws, 'unknown_chat', 'not yours');
      return postMessage(ws, c, 'advisor', m.text, m.cid);
    case 'end':
      if (!c || c.advisor !== ws) return error(ws, 'unknown_chat', 'not yours');
      return endChat(c, 'advisor');
    default:
      return error(ws, 'bad_type', 'unknown type');
    }
  }

  function onFrame(ws, data, isBinary) {
    const now = Date.now();
    if (now - ws.windowStart >= 1000) { ws.windowStart = now; ws.frames = 0; }
    if (++ws.frames > RATE_LIMIT) return error(ws, 'rate_limited', 'slow down');
    if (isBinary) return error(ws, 'bad_json', 'text frames only');
    let m;
    try { m = JSON.parse(data.toString('utf8')); } catch (e) { return error(ws, 'bad_json', 'not JSON'); }
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return error(ws, 'bad_type', 'no type');
    if (ws.protocol === 'neuvo.advisor.v1') onAdvisor(ws, m); else onResident(ws, m);
  }

  function onClose(ws) {
    if (ws.protocol === 'neuvo.advisor.v1') {
      if (!advisors.delete(ws)) return;
      for (const id of ws.chats) {
        const c = chats.get(id);
        if (c) endChat(c, 'disconnect');
      }
      return;
    }
    if (ws.chat) { ws.chat.resident = null; endChat(ws.chat, 'disconnect'); }
  }

  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/healthz' ? '{"status":"ok"}' : '{}');
  });
  const wss = new WebSocketServer({
    server, path: '/ws', maxPayload: MAX_FRAME, perMessageDeflate: false,
    verifyClient: (info) => info.origin === opt.origin,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p === 'neuvo.resident.v1' || p === 'neuvo.advisor.v1') return p;
      return false;
    },
  });
  wss.on('connection', (ws) => {
    ws.errors = 0; ws.frames = 0; ws.windowStart = Date.now();
    ws.on('message', (data, isBinary) => onFrame(ws, data, isBinary));
    ws.on('close', () => onClose(ws));
    ws.on('error', () => {});
  });
  server.listen(opt.port, opt.host, () => {
    process.stderr.write(`node relay listening on ${opt.host} port ${opt.port}\n`);
  });
  const stop = () => {
    for (const ws of wss.clients) ws.close(1001, 'going away');
    server.close();
    if (pending.length) flush();
    st.db.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
