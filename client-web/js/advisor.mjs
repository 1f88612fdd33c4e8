// The advisor's console (CONTRACT section 4, neuvo.advisor.v1).
import * as i18n from './i18n.mjs';
import { t, setText } from './i18n.mjs';
import {
  $, el, showOnly, fetchStatus, setTimeZone, elapsed, topicLabel, DEFAULT_TOPICS,
  newCid, cleanText, TitleBadge, announcer, serverUrl,
} from './util.mjs';
import { Connection, restartLike } from './socket.mjs';
import { Transcript } from './chatlog.mjs';
import { createDesk } from './desk.mjs';
import { QuestionsPanel } from './questions.mjs';

const TOKEN_KEY = 'neuvo.advisor.token';
const SOUND_KEY = 'neuvo.advisor.sound';
const OUTCOMES = ['answered', 'referred', 'guidance_given', 'other'];

const views = ['view-loading', 'view-login', 'view-console'].map((id) => document.getElementById(id));
const ui = {
  tools: $('#tools'),
  me: $('#me'),
  available: $('#available'),
  sound: $('#sound'),
  logout: $('#logout'),
  langs: $('#langs'),
  banner: $('#conn-banner'),
  loginForm: $('#login-form'),
  username: $('#username'),
  password: $('#password'),
  loginBtn: $('#login-btn'),
  loginResult: $('#login-result'),
  queueCount: $('#queue-count'),
  queueList: $('#queue-list'),
  queueEmpty: $('#queue-empty'),
  queueMore: $('#queue-more'),
  takeNext: $('#take-next'),
  tabs: $('#tabs'),
  panels: $('#panels'),
  noChats: $('#no-chats'),
  template: $('#chat-template'),
  toasts: $('#toasts'),
  endDialog: $('#end-dialog'),
  blockDialog: $('#block-dialog'),
  blockHours: $('#block-hours'),
};

const say = announcer($('#announcer'));
const badge = new TitleBadge();

const A = {
  token: readToken(),
  creds: null,
  usingToken: false,
  loggedIn: false,
  name: '',
  available: true,
  status: null,
  canned: {},
  queue: { length: 0, waiting: [], at: Date.now() },
  queueItems: new Map(),
  seenWaiting: new Set(),
  firstQueue: true,
  chats: new Map(),
  selected: null,
  loginSeq: 0,
  loggingOut: false,
  logoutTimer: null,
  retryTimer: null,       // a resend after `unavailable`
  endTarget: null,
  blockTarget: null,
  blockPending: null,     // a chat whose `block` awaits its answer
  view: 'view-loading',
};

function readToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

function writeToken(tok) {
  A.token = tok || null;
  try {
    if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage off: a reload asks for the password again */ }
}

function show(id) {
  const changed = A.view !== id;
  A.view = id;
  showOnly(views, id);
  ui.tools.hidden = id !== 'view-console';
  if (changed && id === 'view-login') ui.username.focus();
}

function toast(key, params, kind = 'info') {
  const p = el('p', `toast toast-${kind}`);
  setText(p, key, params);
  ui.toasts.append(p);
  setTimeout(() => p.remove(), 6000);
  while (ui.toasts.children.length > 4) ui.toasts.firstChild.remove();
}

function loginMsg(key, kind = '', params = undefined) {
  if (!key) { ui.loginResult.textContent = ''; ui.loginResult.className = 'form-result'; return; }
  setText(ui.loginResult, key, params);
  ui.loginResult.className = `form-result ${kind}`.trim();
}

function banner(key) {
  ui.banner.hidden = !key;
  if (key) setText(ui.banner, key);
  else ui.banner.textContent = '';
}

/* ------------------------------------------------------------- sound */

let actx = null;
function audio() {
  if (!actx) {
    const C = window.AudioContext || window.webkitAudioContext;
    if (!C) return null;
    try { actx = new C(); } catch { return null; }
  }
  return actx;
}

// Browsers start audio only after a gesture: unlock on the first one.
for (const ev of ['pointerdown', 'keydown']) {
  window.addEventListener(ev, () => {
    const c = audio();
    if (c && c.state === 'suspended') c.resume().catch(() => {});
  }, { capture: true });
}

/** A short two-note chime made with WebAudio: no sound file. */
function chime(kind) {
  document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
  if (!ui.sound.checked) return;
  const c = audio();
  if (!c) return;
  if (c.state === 'suspended') c.resume().catch(() => {});
  const notes = kind === 'queue' ? [[660, 0], [880, 0.18]]
    : kind === 'alert' ? [[988, 0], [740, 0.2], [988, 0.4], [740, 0.6]] : [[880, 0], [1175, 0.14]];
  const now = c.currentTime + 0.01;
  for (const [f, dt] of notes) {
    const o = c.createOscillator();
    const g = c.createGain();
    o.type = 'sine';
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, now + dt);
    g.gain.exponentialRampToValueAtTime(0.2, now + dt + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, now + dt + 0.4);
    o.connect(g);
    g.connect(c.destination);
    o.start(now + dt);
    o.stop(now + dt + 0.45);
  }
}

/** Sound and title count when the console is in the background. */
function notify(kind) {
  if (!document.hidden) return;
  badge.bump();
  chime(kind);
}

try { ui.sound.checked = localStorage.getItem(SOUND_KEY) !== 'off'; } catch { /* default on */ }
ui.sound.addEventListener('change', () => {
  try { localStorage.setItem(SOUND_KEY, ui.sound.checked ? 'on' : 'off'); } catch { /* ignore */ }
  if (ui.sound.checked) chime('msg');
});

/* ------------------------------------------------------------ socket */

const conn = new Connection({
  protocol: 'neuvo.advisor.v1',
  onOpen,
  onMessage,
  onDown,
  shouldReconnect,
  probe: () => conn.send({ type: 'status', available: A.available }),
});

function onOpen() {
  if (A.creds) {
    const { username, password } = A.creds;
    A.creds = null;
    A.usingToken = false;
    conn.send({ type: 'login', username, password });
  } else if (A.token) {
    A.usingToken = true;
    conn.send({ type: 'login', token: A.token });
  } else {
    conn.stop();
    show('view-login');
  }
}

function shouldReconnect({ code }) {
  if (A.loggingOut) {
    finishLogout();
    return false;
  }
  if (code === 1008) return false;
  if (code === 1000) {
    // Logged in from another window: that one has the session now.
    A.loggedIn = false;
    writeToken(null);
    resetConsole();
    show('view-login');
    loginMsg('login.elsewhere', 'error');
    banner(null);
    return false;
  }
  return !!A.token;
}

function onDown({ code, dropped }) {
  // Keep p.sent: resync() on the resumed `chat` push decides which sent
  // ones the server already has (their echo may have been lost). A restart
  // (1012) or a lost link: log in again with the token, which gives back
  // login_ok and one `chat` per open chat.
  if (A.loggedIn) {
    A.loggedIn = false;
    const key = dropped || restartLike(code) ? 'conn.resuming' : 'conn.reconnecting';
    banner(key);
    say(t(key));
  }
}

function onMessage(m) {
  switch (m.type) {
    case 'login_ok': return onLoginOk(m);
    case 'status':
      A.available = !!m.available;
      ui.available.checked = A.available;
      return undefined;
    case 'queue': return onQueue(m);
    case 'chat': return onChat(m);
    case 'msg': return onMsg(m);
    case 'typing': return onTyping(m);
    case 'ended': return onEnded(m);
    case 'tagged': return removeChat(Number(m.chat));
    case 'logged_out': return finishLogout();
    case 'blocked': return onBlocked(m);
    case 'questions': return questions.onList(m);
    case 'answered': return questions.onAnswered(m);
    case 'error': return questions.onError(m) || onError(m);
    default: return desk.onMessage(m);
  }
}

function onLoginOk(m) {
  const wasDown = !ui.banner.hidden;
  writeToken(m.token);
  A.loggedIn = true;
  A.loginSeq += 1;
  A.name = m.name || '';
  ui.me.textContent = A.name;
  if (A.usingToken && A.loginSeq > 1 && typeof m.available === 'boolean' && m.available !== A.available) {
    // Back after a server restart, which does not keep availability: the
    // console knows what the advisor had chosen.
    conn.send({ type: 'status', available: A.available });
  } else if (typeof m.available === 'boolean') {
    A.available = m.available;
  }
  ui.available.checked = A.available;
  ui.loginBtn.disabled = false;
  ui.password.value = '';
  loginMsg(null);
  banner(null);
  const firstShow = A.view !== 'view-console';
  show('view-console');
  if (firstShow) $('#console-h').focus();
  if (wasDown) say(t('conn.restored'));
  desk.onLogin(m);
  questions.request();
  // Chats the server no longer gives back after a reconnect are not ours now.
  const seq = A.loginSeq;
  setTimeout(() => {
    if (seq !== A.loginSeq) return;
    for (const c of A.chats.values()) {
      if (c.state === 'active' && c.seq !== seq) setChatState(c, 'gone');
    }
  }, 2000);
}

// Seconds to show from an error's retry hint.
function retrySeconds(m) {
  const s = Number(m.retry_after_s);
  return Number.isFinite(s) && s > 0 ? Math.ceil(s) : 5;
}

// auth_failed: a live session ended (revoked by an administrator, or its
// 12 hours are over), a stored token refused, a login paused after failed
// tries, or a wrong password. Each says so on the login form.
function onAuthFailed(m) {
  const wasIn = A.loggedIn;
  A.loggedIn = false;
  ui.loginBtn.disabled = false;
  if (wasIn || A.usingToken) {
    writeToken(null);
    resetConsole();
    loginMsg(wasIn ? 'login.ended' : 'login.expired', 'error');
  } else if (m.retry_after_s !== undefined) {
    loginMsg('login.paused', 'error', { s: retrySeconds(m) });
  } else {
    loginMsg('login.failed', 'error');
  }
  banner(null);
  show('view-login');
  ui.password.value = '';
  ui.password.focus();
}

function onError(m) {
  if (desk.onError(m)) return undefined;
  switch (m.code) {
    case 'auth_failed': return onAuthFailed(m);
    case 'unavailable':
      // Logged in (or by token): the store could not take a write, so
      // what was sent is resent shortly. A password login the server could
      // not take now (too many being checked): try again shortly.
      if (A.loggedIn || A.usingToken) return onUnavailable();
      ui.loginBtn.disabled = false;
      loginMsg('login.busy', 'error', { s: retrySeconds(m) });
      show('view-login');
      return undefined;
    case 'queue_empty': return toast('errors.queue_empty');
    case 'too_many_chats': return toast('errors.too_many_chats', undefined, 'warn');
    case 'unknown_chat': return toast('errors.unknown_chat', undefined, 'warn');
    case 'too_long': return toast('errors.too_long', undefined, 'warn');
    case 'rate_limited': return toast('errors.rate_limited', undefined, 'warn');
    case 'wait_for_advisor': return toast('errors.wait_for_advisor', undefined, 'warn');
    case 'chat_full': return toast('errors.chat_full', undefined, 'warn');
    case 'not_allowed':
      if (A.blockPending !== null) {
        A.blockPending = null;
        return toast('errors.block_unknown', undefined, 'warn');
      }
      return toast('errors.not_allowed', undefined, 'warn');
    default:
      console.warn('neuvo:', m.code, m.message);
      return toast('errors.other', { code: String(m.code || '') }, 'warn');
  }
  console.warn('neuvo:', m.code, m.message);
  return toast('errors.other', { code: String(m.code || '') }, 'warn');
}

/* The server could not store (its disk): messages waiting are kept and
 * sent again in a while with the same cids; a refused token login is
 * tried again; anything else is the advisor's to repeat. */
function onUnavailable() {
  for (const c of A.chats.values()) {
    for (const p of c.transcript.pending) p.sent = false;
  }
  clearTimeout(A.retryTimer);
  A.retryTimer = setTimeout(() => {
    if (!conn.up) return;
    if (!A.loggedIn && A.token) onOpen();
    else for (const c of A.chats.values()) if (c.state === 'active') flushChat(c);
  }, 5000);
  if (!A.loggedIn && !A.token) {
    ui.loginBtn.disabled = false;
    loginMsg('errors.unavailable', 'error');
    show('view-login');
    return undefined;
  }
  return toast('errors.unavailable', undefined, 'warn');
}

/* ------------------------------------------------------------- queue */

function langName(l) {
  const key = `lang.${l}`;
  const s = t(key);
  return s === key ? String(l || '').toUpperCase() : s;
}

function onQueue(m) {
  const waiting = Array.isArray(m.waiting) ? m.waiting : [];
  A.queue = { length: Number(m.length) || waiting.length, waiting, at: Date.now() };
  let fresh = 0;
  for (const w of waiting) {
    if (!A.seenWaiting.has(w.chat)) { A.seenWaiting.add(w.chat); fresh += 1; }
  }
  if (fresh && !A.firstQueue) {
    notify('queue');
    say(t('queue_adv.new', { n: A.queue.length }));
  }
  A.firstQueue = false;
  renderQueue();
}

function queueItemLabel(w) {
  const parts = [langName(w.lang)];
  parts.push(w.topic ? topicLabel(w.topic) : t('queue_adv.no_topic'));
  return parts;
}

function renderQueue() {
  const { waiting, length } = A.queue;
  ui.queueCount.textContent = String(length);
  ui.queueEmpty.hidden = length > 0;
  ui.takeNext.disabled = length === 0;
  const focused = document.activeElement;
  let lostFocus = false;
  const keep = new Set(waiting.map((w) => w.chat));
  for (const [id, li] of A.queueItems) {
    if (!keep.has(id)) {
      if (li.contains(focused)) lostFocus = true;
      li.remove();
      A.queueItems.delete(id);
    }
  }
  let prev = null;
  for (const w of waiting) {
    let li = A.queueItems.get(w.chat);
    if (!li) {
      li = el('li', 'q-item');
      li.dataset.chat = String(w.chat);
      const info = el('div', 'q-info');
      const wait = el('span', 'q-wait');
      const lang = el('span', 'q-lang');
      const topic = el('span', 'q-topic');
      info.append(wait, lang, topic);
      const b = el('button', 'btn btn-small q-take');
      b.type = 'button';
      b.addEventListener('click', () => take(w.chat));
      li.append(info, b);
      A.queueItems.set(w.chat, li);
    }
    li._w = w;
    fillQueueItem(li);
    const want = prev ? prev.nextSibling : ui.queueList.firstChild;
    if (want !== li) ui.queueList.insertBefore(li, want);
    prev = li;
  }
  if (length > waiting.length) {
    ui.queueMore.hidden = false;
    setText(ui.queueMore, 'queue_adv.more', { n: length - waiting.length });
  } else ui.queueMore.hidden = true;
  if (lostFocus) ui.takeNext.disabled ? $('#queue-h').focus() : ui.takeNext.focus();
}

function fillQueueItem(li) {
  const w = li._w;
  const secs = w.waited_s + (Date.now() - A.queue.at) / 1000;
  const [langTxt, topicTxt] = queueItemLabel(w);
  li.querySelector('.q-wait').textContent = elapsed(secs);
  li.querySelector('.q-lang').textContent = langTxt;
  li.querySelector('.q-topic').textContent = topicTxt;
  li.classList.toggle('long-wait', secs >= 600);
  const b = li.querySelector('.q-take');
  b.textContent = t('queue_adv.take');
  b.setAttribute('aria-label', t('queue_adv.take_label', {
    wait: Math.max(1, Math.round(secs / 60)), lang: langTxt, topic: topicTxt,
  }));
}

setInterval(() => {
  for (const li of A.queueItems.values()) {
    const w = li._w;
    const secs = w.waited_s + (Date.now() - A.queue.at) / 1000;
    li.querySelector('.q-wait').textContent = elapsed(secs);
    li.classList.toggle('long-wait', secs >= 600);
  }
}, 1000);

function take(chat) {
  const msg = chat === undefined ? { type: 'take' } : { type: 'take', chat };
  if (!conn.send(msg)) toast('errors.offline', undefined, 'warn');
}

ui.takeNext.addEventListener('click', () => take());

/* ------------------------------------------------------------- chats */

function cannedFor(lang) {
  const c = A.canned || {};
  return c[lang] || c[A.status?.default_language] || c.fi || { answers: [], links: [] };
}

function fillCanned(chat) {
  const sel = chat.els.canned;
  const keep = sel.value;
  const set = cannedFor(chat.lang);
  sel.replaceChildren();
  const none = el('option', null, t('chat_adv.canned_choose'));
  none.value = '';
  sel.append(none);
  const groups = [['answers', 'chat_adv.canned_answers'], ['links', 'chat_adv.canned_links']];
  for (const [kind, key] of groups) {
    const list = Array.isArray(set[kind]) ? set[kind] : [];
    if (!list.length) continue;
    const g = el('optgroup');
    g.label = t(key);
    list.forEach((item, i) => {
      const o = el('option', null, String(item.title || item.text || item.url || ''));
      o.value = `${kind}:${i}`;
      g.append(o);
    });
    sel.append(g);
  }
  sel.value = keep;
}

function insertCanned(chat) {
  const v = chat.els.canned.value;
  if (!v) return;
  const [kind, idx] = v.split(':');
  const item = (cannedFor(chat.lang)[kind] || [])[Number(idx)];
  if (!item) return;
  const text = kind === 'links' ? `${item.title ? `${item.title}: ` : ''}${item.url}` : String(item.text || '');
  const ta = chat.els.input;
  const start = ta.selectionStart ?? ta.value.length;
  const end = ta.selectionEnd ?? ta.value.length;
  const before = ta.value.slice(0, start);
  const sep = before && !/\s$/.test(before) ? ' ' : '';
  ta.value = before + sep + text + ta.value.slice(end);
  const pos = (before + sep + text).length;
  ta.focus();
  ta.setSelectionRange(pos, pos);
  chat.els.canned.value = '';
}

function topicsList() {
  const s = A.status;
  return s && Array.isArray(s.topics) && s.topics.length ? s.topics : DEFAULT_TOPICS;
}

function fillTagForm(chat) {
  const f = chat.els.tagForm;
  const topicsBox = f.querySelector('.tag-topics .checks');
  const outBox = f.querySelector('.tag-outcome .checks');
  const checked = new Set([...topicsBox.querySelectorAll('input:checked')].map((i) => i.value));
  if (!topicsBox.children.length && chat.topic) checked.add(chat.topic);
  const outcome = (outBox.querySelector('input:checked') || {}).value;
  topicsBox.replaceChildren();
  for (const id of topicsList()) {
    const lab = el('label', 'check');
    const inp = el('input');
    inp.type = 'checkbox';
    inp.name = 'topics';
    inp.value = id;
    inp.checked = checked.has(id);
    lab.append(inp, el('span', null, topicLabel(id)));
    topicsBox.append(lab);
  }
  outBox.replaceChildren();
  for (const id of OUTCOMES) {
    const lab = el('label', 'check');
    const inp = el('input');
    inp.type = 'radio';
    inp.name = `outcome-${chat.id}`;
    inp.value = id;
    inp.checked = outcome === id;
    lab.append(inp, el('span', null, t(`outcome.${id}`)));
    outBox.append(lab);
  }
}

function chatTitle(chat) { return t('chat_adv.title', { id: chat.id }); }

function renderChatHead(chat) {
  const e = chat.els;
  e.title.textContent = chatTitle(chat);
  const bits = [langName(chat.lang), chat.topic ? topicLabel(chat.topic) : t('queue_adv.no_topic')];
  if (typeof chat.waited === 'number') bits.push(t('chat_adv.waited', { time: elapsed(chat.waited) }));
  e.meta.textContent = bits.join(' \u00b7 ');
  // The tab: title, state and unread count.
  // The tab's accessible name is its text: visible bits plus a few words
  // for screen readers only.
  e.tabPrefix.textContent = `${t('chat_adv.tab_prefix')} `;
  e.tabName.textContent = `${chat.id} \u00b7 ${String(chat.lang || '').toUpperCase()}`;
  e.tabTopic.textContent = chat.topic ? topicLabel(chat.topic) : '';
  e.tabState.textContent = chat.state === 'active' ? '' : t(`chat_adv.tab_${chat.state}`);
  e.unread.hidden = !chat.unread;
  e.unreadNum.textContent = String(chat.unread);
  e.unreadWord.textContent = ` ${t('chat_adv.unread_word')}`;
  e.tab.classList.toggle('has-unread', chat.unread > 0);
  e.tab.classList.toggle('is-ended', chat.state !== 'active');
}

function createChat(m) {
  const id = Number(m.chat);
  const frag = ui.template.content.cloneNode(true);
  const panel = frag.querySelector('.chat-panel');
  panel.id = `panel-${id}`;
  const tab = el('button', 'tab');
  tab.type = 'button';
  tab.setAttribute('role', 'tab');
  tab.id = `tab-${id}`;
  tab.setAttribute('aria-controls', panel.id);
  tab.setAttribute('aria-selected', 'false');
  tab.tabIndex = -1;
  const tabPrefix = el('span', 'sr-only');
  const tabName = el('span', 'tab-name');
  const tabTopic = el('span', 'tab-topic');
  const tabState = el('span', 'tab-state');
  const unread = el('span', 'unread');
  const unreadNum = el('span');
  const unreadWord = el('span', 'sr-only');
  unread.append(unreadNum, unreadWord);
  unread.hidden = true;
  tab.append(tabPrefix, tabName, ' ', tabTopic, ' ', tabState, ' ', unread);
  panel.setAttribute('aria-labelledby', tab.id);
  const els = {
    panel, tab, tabPrefix, tabName, tabTopic, tabState, unread, unreadNum, unreadWord,
    title: panel.querySelector('.panel-title'),
    meta: panel.querySelector('.panel-meta'),
    state: panel.querySelector('.panel-state'),
    scroll: panel.querySelector('.panel-scroll'),
    list: panel.querySelector('.messages'),
    typing: panel.querySelector('.typing'),
    composer: panel.querySelector('.composer-adv'),
    input: panel.querySelector('.msg-input'),
    canned: panel.querySelector('.canned'),
    endBtn: panel.querySelector('.end-chat'),
    blockBtn: panel.querySelector('.block-chat'),
    tagForm: panel.querySelector('.tag-form'),
    tagResult: panel.querySelector('.tag-result'),
  };
  els.input.id = `input-${id}`;
  panel.querySelector('.msg-label').htmlFor = els.input.id;
  els.canned.id = `canned-${id}`;
  panel.querySelector('.canned-label').htmlFor = els.canned.id;
  els.input.maxLength = Number(A.status?.max_message_chars) > 0 ? Number(A.status.max_message_chars) : 2000;
  const chat = {
    id, lang: m.lang, topic: m.topic || null, waited: m.waited_s, state: 'active', endedBy: null, watching: !!m.watching,
    unread: 0, els, seq: A.loginSeq, typingOn: false, typingSentAt: 0, typingTimer: null, peerTimer: null,
  };
  chat.transcript = new Transcript(els.list, {
    self: 'advisor',
    label(from, who) { setText(who, from === 'advisor' ? (chat.watching ? 'chat.advisor' : 'chat.you') : 'chat_adv.resident'); },
    linkify: (from) => from === 'advisor',
  });
  i18n.apply(panel);
  fillCanned(chat);
  fillTagForm(chat);
  wireChat(chat);
  ui.tabs.append(tab);
  ui.panels.append(frag);
  panel.hidden = true;
  A.chats.set(id, chat);
  renderChatHead(chat);
  updateEmpty();
  return chat;
}

function wireChat(chat) {
  const e = chat.els;
  e.tab.addEventListener('click', () => select(chat.id, { focus: 'input' }));
  e.tab.addEventListener('keydown', (ev) => {
    const ids = [...A.chats.keys()];
    const i = ids.indexOf(chat.id);
    let j = null;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') j = (i + 1) % ids.length;
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') j = (i - 1 + ids.length) % ids.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = ids.length - 1;
    if (j === null) return;
    ev.preventDefault();
    select(ids[j], { focus: 'tab' });
  });
  e.composer.addEventListener('submit', (ev) => { ev.preventDefault(); sendMsg(chat); });
  e.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      sendMsg(chat);
    }
  });
  e.input.addEventListener('input', () => { if (e.input.value.trim()) typing(chat); });
  e.panel.querySelector('.insert-canned').addEventListener('click', () => insertCanned(chat));
  e.canned.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); insertCanned(chat); }
  });
  e.blockBtn.addEventListener('click', () => {
    A.blockTarget = chat.id;
    ui.blockHours.value = '1';
    ui.blockDialog.showModal();
  });
  e.endBtn.addEventListener('click', () => {
    A.endTarget = chat.id;
    ui.endDialog.showModal();
  });
  e.tagForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const topics = [...e.tagForm.querySelectorAll('input[name="topics"]:checked')].map((i) => i.value);
    const out = e.tagForm.querySelector(`input[name="outcome-${chat.id}"]:checked`);
    if (!out) {
      setText(e.tagResult, 'tag.need_outcome');
      e.tagResult.className = 'form-result tag-result error';
      e.tagForm.querySelector(`input[name="outcome-${chat.id}"]`).focus();
      return;
    }
    if (chat.state === 'gone') { removeChat(chat.id); return; }
    if (!conn.send({ type: 'tag', chat: chat.id, topics, outcome: out.value })) {
      setText(e.tagResult, 'errors.offline');
      e.tagResult.className = 'form-result tag-result error';
      return;
    }
    setText(e.tagResult, 'tag.saving');
    e.tagResult.className = 'form-result tag-result';
  });
}

function select(id, { focus } = {}) {
  const chat = A.chats.get(id);
  if (!chat) return;
  A.selected = id;
  for (const c of A.chats.values()) {
    const on = c.id === id;
    c.els.tab.setAttribute('aria-selected', String(on));
    c.els.tab.tabIndex = on ? 0 : -1;
    c.els.tab.classList.toggle('active', on);
    c.els.panel.hidden = !on;
  }
  if (!document.hidden) {
    chat.unread = 0;
    renderChatHead(chat);
  }
  chat.els.scroll.scrollTop = chat.els.scroll.scrollHeight;
  if (focus === 'tab') chat.els.tab.focus();
  else if (focus === 'input' && chat.state === 'active') chat.els.input.focus();
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden || A.selected === null) return;
  const c = A.chats.get(A.selected);
  if (c && c.unread) { c.unread = 0; renderChatHead(c); }
});

function updateEmpty() {
  ui.noChats.hidden = A.chats.size > 0;
  ui.tabs.hidden = A.chats.size === 0;
}

function removeChat(id) {
  const chat = A.chats.get(id);
  if (!chat) return;
  const ids = [...A.chats.keys()];
  const i = ids.indexOf(id);
  clearTimeout(chat.typingTimer);
  clearTimeout(chat.peerTimer);
  chat.els.tab.remove();
  chat.els.panel.remove();
  A.chats.delete(id);
  updateEmpty();
  if (A.selected === id) {
    A.selected = null;
    const rest = [...A.chats.keys()];
    if (rest.length) select(rest[Math.min(i, rest.length - 1)], { focus: 'tab' });
    else ui.takeNext.disabled ? $('#queue-h').focus() : ui.takeNext.focus();
  }
  say(t('chat_adv.closed', { id }));
}

function setChatState(chat, state, by) {
  chat.state = state;
  if (by !== undefined) chat.endedBy = by;
  const e = chat.els;
  const active = state === 'active';
  e.composer.hidden = !active;
  e.endBtn.hidden = !active;
  // The server keeps an ended chat for its advisor a while: a resident who
  // writes abuse and leaves can still be blocked.
  e.blockBtn.hidden = state === 'gone' || !!chat.blocked;
  e.tagForm.hidden = active;
  if (!active) {
    clearTimeout(chat.peerTimer);
    e.typing.hidden = true;
    stopTyping(chat, false);
  }
  if (!active) requestAnimationFrame(() => { e.scroll.scrollTop = e.scroll.scrollHeight; });
  if (state === 'ended') setText(e.state, `ended_adv.${['resident', 'advisor', 'timeout', 'closing', 'disconnect'].includes(chat.endedBy) ? chat.endedBy : 'other'}`);
  else if (state === 'gone') setText(e.state, 'chat_adv.gone');
  else e.state.textContent = '';
  e.state.hidden = active;
  desk.onState(chat);
  renderChatHead(chat);
}

function onChat(m) {
  const id = Number(m.chat);
  let chat = A.chats.get(id);
  const history = Array.isArray(m.history) ? m.history : [];
  if (chat) {
    chat.seq = A.loginSeq;
    chat.lang = m.lang || chat.lang;
    chat.topic = m.topic ?? chat.topic;
    const { added } = chat.transcript.resync(history);
    for (const x of added) if (x.from === 'resident') bumpUnread(chat, x);
    desk.onChat(m, chat);
    if (chat.state !== 'active') setChatState(chat, 'active');
    flushChat(chat);
    renderChatHead(chat);
    return;
  }
  chat = createChat(m);
  for (const x of history) chat.transcript.add(x);
  desk.onChat(m, chat);
  setChatState(chat, 'active');
  if (!m.resumed || A.selected === null) {
    select(id, { focus: m.resumed ? undefined : 'input' });
  }
  if (!m.resumed && !m.watching) say(t('chat_adv.taken', { id }));
  else if (A.selected !== id) renderChatHead(chat);
}

function bumpUnread(chat, msg) {
  const seen = A.selected === chat.id && !document.hidden;
  if (!seen) {
    chat.unread += 1;
    renderChatHead(chat);
  }
  notify('msg');
  if (A.selected !== chat.id) say(`${chatTitle(chat)}: ${Transcript.spoken(t('chat_adv.resident'), msg)}`);
  else say(Transcript.spoken(t('chat_adv.resident'), msg));
}

function onMsg(m) {
  const chat = A.chats.get(Number(m.chat));
  if (!chat) return;
  const atBottom = chat.els.scroll.scrollHeight - chat.els.scroll.scrollTop - chat.els.scroll.clientHeight < 120;
  const fresh = m.from === 'advisor' && m.cid !== undefined ? chat.transcript.confirm(m) : chat.transcript.add(m);
  if (!fresh) return;
  if (m.from === 'resident') {
    clearTimeout(chat.peerTimer);
    chat.els.typing.hidden = true;
    bumpUnread(chat, m);
  }
  if (atBottom || m.from === 'advisor') chat.els.scroll.scrollTop = chat.els.scroll.scrollHeight;
}

function onTyping(m) {
  const chat = A.chats.get(Number(m.chat));
  if (!chat || chat.state !== 'active') return;
  clearTimeout(chat.peerTimer);
  chat.els.typing.hidden = !m.on;
  if (m.on) chat.peerTimer = setTimeout(() => { chat.els.typing.hidden = true; }, 15000);
}

function onEnded(m) {
  const chat = A.chats.get(Number(m.chat));
  if (!chat) return;
  setChatState(chat, 'ended', m.by);
  if (A.endTarget === chat.id && ui.endDialog.open) ui.endDialog.close();
  fillTagForm(chat);
  say(`${chatTitle(chat)}: ${chat.els.state.textContent}`);
  if (m.by !== 'advisor') {
    if (A.selected !== chat.id) { chat.unread += 1; renderChatHead(chat); }
    notify('msg');
  }
  if (A.selected === chat.id && chat.els.panel.contains(document.activeElement)) {
    const first = chat.els.tagForm.querySelector('input');
    if (first) first.focus();
  }
}

function sendMsg(chat) {
  const text = cleanText(chat.els.input.value);
  if (!text.trim() || chat.state !== 'active') return;
  chat.els.input.value = '';
  stopTyping(chat, true);
  chat.transcript.addPending(newCid(), text);
  flushChat(chat);
  chat.els.scroll.scrollTop = chat.els.scroll.scrollHeight;
}

function flushChat(chat) {
  for (const p of chat.transcript.pending) {
    if (p.sent) continue;
    if (!conn.send({ type: 'msg', chat: chat.id, text: p.text, cid: p.cid })) break;
    p.sent = true;
  }
}

function typing(chat) {
  if (chat.state !== 'active') return;
  const now = Date.now();
  if (!chat.typingOn || now - chat.typingSentAt > 3000) {
    if (conn.send({ type: 'typing', chat: chat.id, on: true })) {
      chat.typingOn = true;
      chat.typingSentAt = now;
    }
  }
  clearTimeout(chat.typingTimer);
  chat.typingTimer = setTimeout(() => stopTyping(chat, true), 4000);
}

function stopTyping(chat, send) {
  clearTimeout(chat.typingTimer);
  if (chat.typingOn && send) conn.send({ type: 'typing', chat: chat.id, on: false });
  chat.typingOn = false;
}

/* Block (CONTRACT section 7): ends the chat and refuses new chats from the
 * resident's connection for the hours chosen; confirmed in a dialog that
 * says it hits everyone on that connection. */
function onBlocked(m) {
  const chat = A.chats.get(Number(m.chat));
  if (A.blockPending === Number(m.chat)) A.blockPending = null;
  if (!chat) return;
  chat.blocked = true;
  chat.els.blockBtn.hidden = true;
  toast('chat_adv.blocked', { hours: String(m.hours) });
  say(t('chat_adv.blocked', { hours: String(m.hours) }));
}

$('#block-cancel').addEventListener('click', () => ui.blockDialog.close());
$('#block-confirm').addEventListener('click', () => {
  ui.blockDialog.close();
  const id = A.blockTarget;
  const hours = Number(ui.blockHours.value);
  if (id === null || !conn.send({ type: 'block', chat: id, hours })) {
    toast('errors.offline', undefined, 'warn');
    return;
  }
  A.blockPending = id;
});
ui.blockDialog.addEventListener('close', () => {
  const c = A.chats.get(A.blockTarget);
  if (c && !c.els.blockBtn.hidden) c.els.blockBtn.focus();
});

$('#end-cancel').addEventListener('click', () => ui.endDialog.close());
$('#end-confirm').addEventListener('click', () => {
  ui.endDialog.close();
  const id = A.endTarget;
  if (id === null || !conn.send({ type: 'end', chat: id })) toast('errors.offline', undefined, 'warn');
});
ui.endDialog.addEventListener('close', () => {
  const c = A.chats.get(A.endTarget);
  if (c && c.state === 'active') c.els.endBtn.focus();
});

/* ------------------------------------------------------ login, tools */

ui.loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (!username || !password) {
    loginMsg('login.missing', 'error');
    (username ? ui.password : ui.username).focus();
    return;
  }
  A.creds = { username, password };
  ui.password.value = '';
  ui.loginBtn.disabled = true;
  loginMsg('login.checking');
  conn.stop();
  conn.start();
});

ui.available.addEventListener('change', () => {
  const want = ui.available.checked;
  if (!conn.send({ type: 'status', available: want })) {
    ui.available.checked = A.available;
    toast('errors.offline', undefined, 'warn');
    return;
  }
  A.available = want;
});

function resetConsole() {
  for (const id of [...A.chats.keys()]) {
    const c = A.chats.get(id);
    c.els.tab.remove();
    c.els.panel.remove();
    A.chats.delete(id);
  }
  A.selected = null;
  A.queueItems.clear();
  ui.queueList.replaceChildren();
  A.seenWaiting.clear();
  A.firstQueue = true;
  questions.clear();
  updateEmpty();
  desk.reset();
}

// The server's `logged_out` (or its close, or 3 s without either): the
// token is revoked there, the chats are back in the queue.
function finishLogout() {
  if (!A.loggingOut) return;
  A.loggingOut = false;
  clearTimeout(A.logoutTimer);
  conn.stop();
  A.loggedIn = false;
  resetConsole();
  banner(null);
  show('view-login');
  loginMsg('login.logged_out', 'ok');
}

ui.logout.addEventListener('click', () => {
  const open = [...A.chats.values()].some((c) => c.state === 'active');
  // eslint-disable-next-line no-alert
  if (open && !window.confirm(t('console.logout_confirm'))) return;
  // Forgotten here at once; `logout` revokes it on the server too. Offline,
  // the server's copy lapses at its 12 hours.
  writeToken(null);
  A.loggingOut = true;
  if (conn.send({ type: 'logout' })) A.logoutTimer = setTimeout(finishLogout, 3000);
  else finishLogout();
});

/* ----------------------------------------------------------- start */

async function loadCanned() {
  try {
    const res = await fetch(serverUrl('canned.json'), { cache: 'no-cache' });
    if (res.ok) A.canned = await res.json();
  } catch (e) {
    console.warn('canned.json:', e);
  }
}

i18n.onChange(() => {
  badge.setBase(t('console.page_title'));
  for (const li of A.queueItems.values()) fillQueueItem(li);
  for (const c of A.chats.values()) {
    fillCanned(c);
    fillTagForm(c);
    setChatState(c, c.state);
    for (const who of c.els.list.querySelectorAll('.who[data-i18n]')) who.textContent = t(who.getAttribute('data-i18n'));
  }
});

const desk = createDesk({
  conn, A, say, toast, chime, notify, badge, select, removeChat, chatTitle, langName, renderChatHead,
});

const questions = new QuestionsPanel($('#questions'), {
  send: (m) => conn.send(m), toast, say, notify, maxChars: () => A.status?.max_message_chars,
});

async function main() {
  // The console may remember its language across visits (the resident page may not).
  try { i18n.useStorage(window.localStorage); } catch { /* storage off */ }
  try {
    A.status = await fetchStatus();
    setTimeZone(A.status.timezone);
  } catch (e) {
    console.warn(e);
  }
  await i18n.init(i18n.pickLanguage(i18n.supported(), 'fi'));
  i18n.buildSwitch(ui.langs);
  badge.setBase(t('console.page_title'));
  await loadCanned();
  updateEmpty();
  if (A.token) {
    show('view-loading');
    conn.start();
  } else {
    show('view-login');
  }
}

main().catch((e) => {
  console.error(e);
  show('view-login');
});
