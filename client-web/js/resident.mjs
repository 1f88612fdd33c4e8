// The resident's chat page (CONTRACT section 4, neuvo.resident.v1).
import * as i18n from './i18n.mjs';
import { t, setText } from './i18n.mjs';
import {
  $, el, showOnly, fetchStatus, setTimeZone, when, clock, weekdayOf, weekdayName,
  WEEKDAYS, rangesText, dayKey, waitText, topicLabel, DEFAULT_TOPICS, newCid, cleanText, TitleBadge, announcer,
} from './util.mjs';
import { Connection, restartLike } from './socket.mjs';
import { Transcript } from './chatlog.mjs';
import { installQuickExit } from './exit.mjs';
import { setupAsk } from './ask.mjs';

const SESSION_KEY = 'neuvo.resident';
const STATUS_POLL_MS = 30000;
const TYPING_IDLE_MS = 4000;

const views = ['view-loading', 'view-error', 'view-closed', 'view-full', 'view-limited', 'view-blocked', 'view-start', 'view-chat', 'view-answer'].map((id) => document.getElementById(id));
const ui = {
  main: $('#main'),
  langs: $('#langs'),
  closedNext: $('#closed-next'),
  closedToday: $('#closed-today'),
  closedHours: $('#closed-hours tbody'),
  closedTz: $('#closed-tz'),
  startOpen: $('#start-open'),
  startQueue: $('#start-queue'),
  startToday: $('#start-today'),
  startHours: $('#start-hours tbody'),
  startForm: $('#start-form'),
  startBtn: $('#start-btn'),
  topic: $('#topic'),
  chatTitle: $('#chat-h'),
  chatSub: $('#chat-sub'),
  connBanner: $('#conn-banner'),
  emailToggle: $('#email-toggle'),
  emailDialog: $('#email-dialog'),
  emailForm: $('#email-form'),
  emailTo: $('#email-to'),
  emailSend: $('#email-send'),
  emailResult: $('#email-result'),
  endBtn: $('#end-btn'),
  scroll: $('#chat-scroll'),
  messages: $('#messages'),
  typing: $('#typing'),
  typingText: $('#typing-text'),
  after: $('#after'),
  feedbackPanel: $('#feedback-panel'),
  feedbackForm: $('#feedback-form'),
  feedbackResult: $('#feedback-result'),
  newChat: $('#new-chat'),
  composer: $('#composer'),
  input: $('#msg-input'),
  count: $('#msg-count'),
  idleDialog: $('#idle-dialog'),
  idleLeft: $('#idle-left'),
  endDialog: $('#end-dialog'),
  waitNotice: $('#wait-notice'),
  a11yLink: $('#a11y-link'),
};

const say = announcer($('#announcer'));
const badge = new TitleBadge();

const S = {
  status: null,
  view: 'view-loading',
  phase: 'idle',          // idle | connecting | queued | chatting | ended | lost
  session: null,          // {token, chat, assigned, advisor, feedback, email}
  position: null,
  wait: null,
  mayNotBeServed: false,  // the wait runs past closing (CONTRACT section 9)
  endedBy: null,
  resuming: false,        // a resume is in flight
  elsewhere: false,       // closed because the chat was opened in another window
  waitBanner: false,      // the banner says wait_for_advisor
  emailPending: false,
  typingOn: false,
  typingSentAt: 0,
  typingTimer: null,
  peerTypingTimer: null,
  idleWarnTimer: null,
  idleTick: null,
  idleDeadline: 0,
  pollTimer: null,
  unavailable: false,     // the server could not store: resending soon
  retryTimer: null,
  firstView: true,
};

/* ----------------------------------------------------------- session */

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

function saveSession() {
  try {
    if (S.session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(S.session));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* storage off: no resume after reload, the live link still works */ }
}

/* ---------------------------------------------------------- messages */

const transcript = new Transcript(ui.messages, {
  self: 'resident',
  label(from, who) {
    if (from === 'resident') setText(who, 'chat.you');
    else if (S.session && S.session.advisor) {
      who.removeAttribute('data-i18n');
      who.textContent = S.session.advisor;
    } else setText(who, 'chat.advisor');
  },
  linkify: (from) => from === 'advisor',
});

function nearBottom() {
  const s = ui.scroll;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}

function scrollDown(force) {
  if (force || nearBottom()) {
    requestAnimationFrame(() => { ui.scroll.scrollTop = ui.scroll.scrollHeight; });
  }
}

const conn = new Connection({
  protocol: 'neuvo.resident.v1',
  onOpen,
  onMessage,
  onDown,
  shouldReconnect,
  probe: () => conn.send({ type: 'ping' }),
});

/* ------------------------------------------------------------- views */

function show(id, { focus = true } = {}) {
  const changed = S.view !== id;
  S.view = id;
  showOnly(views, id);
  document.body.classList.toggle('in-chat', id === 'view-chat');
  if (id === 'view-start' || id === 'view-closed') startPolling();
  else stopPolling();
  if (changed && focus && !S.firstView) {
    const h = document.getElementById(id).querySelector('h1');
    if (h) h.focus({ preventScroll: false });
  }
  S.firstView = false;
}

function tableRows(tbody, status) {
  tbody.replaceChildren();
  const today = weekdayOf(new Date());
  const hours = (status && status.hours) || {};
  for (const key of WEEKDAYS) {
    const tr = el('tr');
    const th = el('th', null, weekdayName(key));
    th.scope = 'row';
    const td = el('td', null, rangesText(hours[key]));
    tr.append(th, td);
    if (key === today) {
      tr.className = 'today';
      tr.setAttribute('aria-current', 'date');
    }
    tbody.append(tr);
  }
}

function sameDay(iso) {
  // A range ending at 24:00 closes at 00:00 of the next day: still "today".
  const d = new Date(new Date(iso).getTime() - 60000);
  return dayKey(d) === dayKey(new Date());
}

function todayRanges(status) {
  if (status.today && typeof status.today.hours === 'string') return status.today.hours;
  return (status.hours || {})[weekdayOf(new Date())] || [];
}

function renderStatus() {
  const st = S.status;
  if (!st) return;
  // Closed page.
  if (st.next_open) setText(ui.closedNext, 'closed.next', { when: when(st.next_open) });
  else setText(ui.closedNext, 'closed.no_next');
  setText(ui.closedToday, 'hours.today', { hours: rangesText(todayRanges(st)) });
  setText(ui.startToday, 'hours.today', { hours: rangesText(todayRanges(st)) });
  tableRows(ui.closedHours, st);
  tableRows(ui.startHours, st);
  if (st.timezone) setText(ui.closedTz, 'hours.tz_note', { tz: st.timezone });
  // Open page. Open past today (round the clock): no closing time to tell.
  if (st.closes_at && sameDay(st.closes_at)) setText(ui.startOpen, 'status.open_until', { time: clock(st.closes_at) });
  else setText(ui.startOpen, 'status.open');
  const q = Number(st.queue_length) || 0;
  if (st.advisors_available === 0) setText(ui.startQueue, 'status.no_advisors', { n: q });
  else if (q === 0) setText(ui.startQueue, 'status.no_queue');
  else setText(ui.startQueue, 'status.queue', { n: q, wait: waitText(st.estimated_wait_s) });
  ask.render();
}

function fillTopics() {
  const ids = (S.status && Array.isArray(S.status.topics) && S.status.topics.length) ? S.status.topics : DEFAULT_TOPICS;
  const keep = ui.topic.value;
  const first = ui.topic.options[0];
  ui.topic.replaceChildren(first);
  for (const id of ids) {
    const o = el('option', null, topicLabel(id));
    o.value = id;
    ui.topic.append(o);
  }
  ui.topic.value = keep;
}

function showStatusView() {
  if (!S.status) { show('view-error'); return; }
  renderStatus();
  show(S.status.open ? 'view-start' : 'view-closed');
}

async function refreshStatus() {
  try {
    S.status = await fetchStatus();
    setTimeZone(S.status.timezone);
    return true;
  } catch (e) {
    console.warn(e);
    return false;
  }
}

function startPolling() {
  if (S.pollTimer) return;
  S.pollTimer = setInterval(async () => {
    if (document.hidden) return;
    if (!(await refreshStatus())) return;
    if (S.view !== 'view-start' && S.view !== 'view-closed') return;
    renderStatus();
    const want = S.status.open ? 'view-start' : 'view-closed';
    if (want !== S.view) {
      show(want);
      say(t(S.status.open ? 'status.now_open' : 'closed.title'));
    }
  }, STATUS_POLL_MS);
}

function stopPolling() {
  clearInterval(S.pollTimer);
  S.pollTimer = null;
}

/* -------------------------------------------------------- chat state */

function renderChat() {
  const s = S.session || {};
  const ph = S.phase;
  ui.emailToggle.hidden = !(s.assigned && (ph === 'chatting' || ph === 'ended'));
  if (ui.emailToggle.hidden && ui.emailDialog.open) ui.emailDialog.close();
  ui.endBtn.hidden = !(ph === 'queued' || ph === 'chatting' || ph === 'connecting');
  setText(ui.endBtn, ph === 'queued' ? 'queue.leave' : 'chat.end');
  ui.composer.hidden = !(ph === 'queued' || ph === 'chatting' || ph === 'connecting');
  ui.after.hidden = !(ph === 'ended' || ph === 'lost');
  ui.feedbackPanel.hidden = !(ph === 'ended' && s.assigned);
  if (s.feedback) {
    ui.feedbackForm.hidden = true;
    setText(ui.feedbackResult, 'feedback.thanks');
  }
  if (ph === 'connecting') {
    setText(ui.chatTitle, 'chat.connecting');
    ui.chatSub.textContent = '';
  } else if (ph === 'queued') {
    setText(ui.chatTitle, 'queue.title');
    if (S.position) setText(ui.chatSub, 'queue.position', { n: S.position, wait: waitText(S.wait) });
    else ui.chatSub.textContent = '';
  } else if (ph === 'chatting') {
    if (s.advisor) setText(ui.chatTitle, 'chat.with', { name: s.advisor });
    else setText(ui.chatTitle, 'chat.with_advisor');
    setText(ui.chatSub, 'chat.privacy_reminder');
  } else if (ph === 'ended') {
    setText(ui.chatTitle, 'chat.ended_title');
    setText(ui.chatSub, endedKey(S.endedBy));
  } else if (ph === 'lost') {
    setText(ui.chatTitle, 'chat.lost_title');
    setText(ui.chatSub, 'chat.lost_body');
  }
  renderWaitNotice();
  updateCount();
}

/*
 * Honest waiting: while queued past what the day's hours allow, say so
 * calmly, with the other ways to get help. The resident may stay queued.
 * The region stays in the page (role=status) and is only filled or emptied,
 * so that screen readers hear the change.
 */
function renderWaitNotice() {
  const want = S.phase === 'queued' && S.mayNotBeServed;
  const st = S.status || {};
  // Rebuilt only when what it says changes: a position push must not make
  // a screen reader read the whole notice again.
  const key = want ? `${i18n.lang()}|${st.closes_at || ''}|${st.other_help || ''}` : '';
  if (ui.waitNotice.dataset.key === key) return;
  ui.waitNotice.dataset.key = key;
  if (!want) {
    ui.waitNotice.replaceChildren();
    return;
  }
  const head = el('p', 'wait-head');
  setText(head, 'waiting.title');
  const body = el('p');
  if (st.closes_at && sameDay(st.closes_at)) setText(body, 'waiting.body_until', { time: clock(st.closes_at) });
  else setText(body, 'waiting.body');
  const help = el('p', 'wait-help');
  if (typeof st.other_help === 'string' && st.other_help.trim()) help.textContent = st.other_help.trim();
  else setText(help, 'other_help');
  const sos = el('p', 'emergency');
  setText(sos, 'common.emergency');
  ui.waitNotice.replaceChildren(head, body, help, sos);
}

function endedKey(by) {
  const known = ['resident', 'advisor', 'timeout', 'closing', 'disconnect'];
  return `ended.${known.includes(by) ? by : 'other'}`;
}

function setPhase(ph) {
  S.phase = ph;
  if (ph !== 'chatting') cancelIdle();
  if (ph === 'ended' || ph === 'lost') {
    hidePeerTyping();
    stopTyping(false);
  }
  renderChat();
}

function banner(key, params) {
  if (!key) {
    ui.connBanner.hidden = true;
    ui.connBanner.replaceChildren();
    return;
  }
  ui.connBanner.hidden = false;
  const p = el('span');
  setText(p, key, params);
  ui.connBanner.replaceChildren(p);
  if (key === 'conn.elsewhere') {
    const b = el('button', 'btn btn-small');
    b.type = 'button';
    setText(b, 'conn.continue_here');
    b.addEventListener('click', () => {
      S.elsewhere = false;
      banner('conn.reconnecting');
      conn.start();
    });
    ui.connBanner.append(' ', b);
  }
}

/* ------------------------------------------------------------ socket */

function onOpen() {
  if (S.session && S.session.token) {
    S.resuming = true;
    conn.send({ type: 'resume', token: S.session.token });
  } else {
    const hello = { type: 'hello', lang: i18n.lang() };
    if (S.pendingTopic) hello.topic = S.pendingTopic;
    conn.send(hello);
  }
}

function shouldReconnect({ code }) {
  if (code === 1008) return false;
  if (code === 1000) {
    // A normal close we did not ask for: the chat was resumed elsewhere
    // (another tab of the same session). Do not fight over it.
    if (S.phase === 'queued' || S.phase === 'chatting' || S.phase === 'ended') {
      S.elsewhere = true;
      banner('conn.elsewhere');
    }
    return false;
  }
  return S.phase === 'connecting' || S.phase === 'queued' || S.phase === 'chatting' || S.phase === 'ended';
}

function onDown({ code, dropped }) {
  S.resuming = false;
  if (S.phase === 'connecting' && !S.session && !dropped && conn.attempt >= 3) {
    // Never got in (server down, or this page's origin not allowed).
    conn.stop();
    setPhase('idle');
    show('view-error');
    return;
  }
  // Keep p.sent: resync() on `resumed` decides which sent ones the server
  // already has (their echo may have been lost with the link).
  if (S.elsewhere) return;
  if (S.phase === 'queued' || S.phase === 'chatting' || (S.phase === 'ended' && !S.session?.feedback)) {
    // A restart or a lost link is a pause: say so calmly; the queue place
    // and the chat are kept for the resume.
    const key = dropped || restartLike(code) ? 'conn.resuming' : 'conn.reconnecting';
    banner(key);
    say(t(key));
  }
}

function flushPending() {
  for (const p of transcript.pending) {
    if (p.sent) continue;
    if (!conn.send({ type: 'msg', text: p.text, cid: p.cid })) break;
    p.sent = true;
  }
}

function onMessage(m) {
  switch (m.type) {
    case 'queued': return onQueued(m);
    case 'resumed': return onResumed(m);
    case 'closed': return onClosed(m);
    case 'queue_full': return onFull();
    case 'blocked': return onRefused('view-blocked');
    case 'position':
      // While chatting, a position means the advisor dropped and did not
      // come back: the chat is at the front of the queue again.
      if (S.phase === 'chatting') return onRequeued(m);
      if (S.phase === 'queued') {
        S.mayNotBeServed = m.may_not_be_served === true;
        const moved = m.position !== S.position;
        S.position = m.position;
        S.wait = m.estimated_wait_s;
        renderChat();
        if (moved) say(t('queue.position', { n: m.position, wait: waitText(m.estimated_wait_s) }));
      }
      return undefined;
    case 'assigned': return onAssigned(m);
    case 'msg': return onMsg(m);
    case 'typing':
      if (m.on) showPeerTyping(); else hidePeerTyping();
      return undefined;
    case 'ended': return onEnded(m);
    case 'email_queued':
      S.emailPending = false;
      if (S.session) { S.session.email = true; saveSession(); }
      emailResult('email.queued', 'ok');
      ui.emailForm.hidden = true;
      return undefined;
    case 'thanks':
      if (S.session) { S.session.feedback = true; saveSession(); }
      ui.feedbackForm.hidden = true;
      setText(ui.feedbackResult, 'feedback.thanks');
      ui.feedbackResult.className = 'form-result ok';
      return undefined;
    case 'idle_warning':
      showIdle(Number(m.seconds_left) || 120);
      return undefined;
    case 'error': return onError(m);
    default: return undefined;
  }
}

function onQueued(m) {
  S.mayNotBeServed = m.may_not_be_served === true;
  S.session = { token: m.token, chat: m.chat, assigned: false, advisor: null, feedback: false, email: false };
  saveSession();
  S.position = m.position;
  S.wait = m.estimated_wait_s;
  setPhase('queued');
  banner(null);
  transcript.system('queue.joined');
  say(`${t('queue.title')}. ${t('queue.position', { n: m.position, wait: waitText(m.estimated_wait_s) })}`);
  flushPending();
}

function onResumed(m) {
  S.resuming = false;
  const wasDown = !ui.connBanner.hidden;
  banner(null);
  const s = S.session;
  const history = Array.isArray(m.history) ? m.history : [];
  if (m.advisor) s.advisor = m.advisor;
  else if (m.state === 'queued') s.advisor = null;
  if (m.state === 'chatting' || history.some((x) => x.from === 'advisor')) s.assigned = true;
  saveSession();
  const { resend, added } = transcript.resync(history);
  for (const x of added) {
    if (x.from === 'advisor') say(Transcript.spoken(s.advisor || t('chat.advisor'), x));
  }
  S.position = m.position || null;
  S.wait = m.estimated_wait_s ?? null;
  S.mayNotBeServed = m.may_not_be_served === true;
  if (m.state === 'queued') setPhase('queued');
  else if (m.state === 'chatting') setPhase('chatting');
  else {
    if (S.phase !== 'ended') S.endedBy = S.endedBy || null;
    setPhase('ended');
  }
  if (S.phase === 'chatting') scheduleIdle();
  if (resend.length && S.phase !== 'ended') flushPending();
  else if (S.phase === 'ended') {
    // Whatever could not be sent before the end cannot be sent now.
    for (const p of transcript.pending) p.li.classList.add('failed');
  }
  if (wasDown) say(t('conn.restored'));
  scrollDown(true);
}

function onClosed(m) {
  conn.stop();
  S.session = null;
  saveSession();
  transcript.clear();
  setPhase('idle');
  if (!S.status) S.status = {};
  S.status.open = false;
  if (m.next_open !== undefined) S.status.next_open = m.next_open;
  if (typeof m.questions === 'boolean') S.status.questions = m.questions;
  renderStatus();
  show('view-closed');
  refreshStatus().then((ok) => { if (ok && S.view === 'view-closed') renderStatus(); });
}

function onFull() {
  onRefused('view-full');
}

// Turned away at hello (queue full, too many new chats from this
// connection, blocked): the server closes the link; say why.
function onRefused(view) {
  conn.stop();
  S.session = null;
  saveSession();
  transcript.clear();
  setPhase('idle');
  show(view);
}

// The server refused the message just sent (too long, or a limit of
// CONTRACT section 7): take it out of the transcript and give it back to
// the text box, so nothing is lost and it is not sent again on a resume.
function takeBackRefused(key) {
  const p = transcript.pending.find((x) => x.sent);
  if (p) {
    p.li.remove();
    transcript.pending.splice(transcript.pending.indexOf(p), 1);
    if (!ui.input.value) ui.input.value = p.text;
  }
  banner(key);
  say(t(key));
}

function onAssigned(m) {
  const s = S.session;
  if (!s) return;
  s.assigned = true;
  s.advisor = typeof m.advisor === 'string' && m.advisor ? m.advisor : null;
  saveSession();
  if (S.waitBanner) { S.waitBanner = false; banner(null); }
  setPhase('chatting');
  const line = s.advisor ? transcript.system('chat.joined', { name: s.advisor }, 'joined')
    : transcript.system('chat.joined_anon', undefined, 'joined');
  line.scrollIntoView({ block: 'nearest' });
  say(line.textContent);
  badge.bump();
  scheduleIdle();
  scrollDown(true);
}

function onRequeued(m) {
  S.mayNotBeServed = m.may_not_be_served === true;
  S.position = m.position;
  S.wait = m.estimated_wait_s;
  hidePeerTyping();
  if (S.session) { S.session.advisor = null; saveSession(); }
  setPhase('queued');
  const line = transcript.system('chat.requeued', undefined, 'requeued');
  say(`${line.textContent} ${t('queue.position', { n: m.position, wait: waitText(m.estimated_wait_s) })}`);
  badge.bump();
  scrollDown(true);
}

function onMsg(m) {
  let fresh;
  if (S.unavailable && m.from === 'resident') {
    S.unavailable = false;
    banner(null);
  }
  if (m.from === 'resident' && m.cid !== undefined) fresh = transcript.confirm(m);
  else fresh = transcript.add(m);
  if (!fresh) return;
  if (m.from === 'advisor') {
    hidePeerTyping();
    say(Transcript.spoken(S.session?.advisor || t('chat.advisor'), m));
    badge.bump();
    scrollDown(false);
  } else {
    if (m.redacted) say(t('chat.redacted_self'));
    scrollDown(true);
  }
  if (S.phase === 'chatting') scheduleIdle();
}

function onEnded(m) {
  S.endedBy = m.by;
  setPhase('ended');
  closeIdleDialog();
  if (ui.endDialog.open) ui.endDialog.close();
  transcript.system(endedKey(m.by), undefined, 'ended');
  say(`${t('chat.ended_title')}. ${t(endedKey(m.by))}`);
  badge.bump();
  scrollDown(true);
  if (!S.session?.assigned) {
    // Left the queue before anyone joined: nothing to rate or copy.
    conn.stop();
    S.session = null;
    saveSession();
  }
}

function onError(m) {
  const code = m.code;
  if (S.resuming && code === 'not_allowed') {
    // Past the grace time, or the server restarted: this chat is gone.
    S.resuming = false;
    conn.stop();
    const had = S.session && S.session.token;
    S.session = null;
    saveSession();
    banner(null);
    if (S.phase === 'ended') {
      // It had ended already (e.g. by "closing" before a server restart):
      // keep saying so; only feedback and the copy cannot be sent any more.
      renderChat();
      return;
    }
    if (had && transcript.list.children.length) {
      setPhase('lost');
      transcript.system('chat.lost_body', undefined, 'ended');
      say(`${t('chat.lost_title')}. ${t('chat.lost_body')}`);
    } else {
      transcript.clear();
      setPhase('idle');
      goHome();
    }
    return;
  }
  switch (code) {
    case 'invalid_email':
      S.emailPending = false;
      emailResult('email.invalid', 'error');
      ui.emailTo.setAttribute('aria-invalid', 'true');
      ui.emailTo.focus();
      return;
    case 'email_limit':
      S.emailPending = false;
      emailResult('email.limit', 'error');
      return;
    case 'email_unavailable':
      S.emailPending = false;
      emailResult('email.unavailable', 'error');
      return;
    case 'unavailable':
      // The server could not store it (its disk): nothing was lost on our
      // side. Keep what waits and send it again in a while (same cids).
      S.unavailable = true;
      for (const p of transcript.pending) p.sent = false;
      banner('conn.unavailable');
      clearTimeout(S.retryTimer);
      S.retryTimer = setTimeout(() => {
        if (!conn.up) return;
        if (!S.session) onOpen();      // the hello itself was refused
        else if (S.phase === 'queued' || S.phase === 'chatting') flushPending();
      }, 5000);
      return;
    case 'too_long':
      takeBackRefused('chat.too_long');
      return;
    case 'wait_for_advisor':
      takeBackRefused('chat.wait_for_advisor');
      S.waitBanner = true;      // cleared when an advisor joins
      return;
    case 'chat_full':
      takeBackRefused('chat.full');
      return;
    case 'rate_limited':
      // Before a chat: too many new chats from this connection this hour
      // (the server closes with 1008). Later: frames sent too fast.
      if (!S.session) onRefused('view-limited');
      else console.warn('neuvo:', code, m.message);
      return;
    case 'not_allowed':
      if (S.emailPending) {
        S.emailPending = false;
        emailResult('email.not_yet', 'error');
      } else if (S.phase === 'ended' && !ui.feedbackForm.hidden) {
        setText(ui.feedbackResult, 'feedback.failed');
        ui.feedbackResult.className = 'form-result error';
      }
      return;
    default:
      console.warn('neuvo:', code, m.message);
  }
}

/* -------------------------------------------------------- typing */

function showPeerTyping() {
  if (S.phase !== 'chatting') return;
  const name = S.session?.advisor;
  if (name) setText(ui.typingText, 'chat.typing_name', { name });
  else setText(ui.typingText, 'chat.typing');
  ui.typing.hidden = false;
  clearTimeout(S.peerTypingTimer);
  S.peerTypingTimer = setTimeout(hidePeerTyping, 15000);
  scrollDown(false);
}

function hidePeerTyping() {
  clearTimeout(S.peerTypingTimer);
  ui.typing.hidden = true;
}

function startTyping() {
  if (S.phase !== 'chatting') return;
  const now = Date.now();
  if (!S.typingOn || now - S.typingSentAt > 3000) {
    if (conn.send({ type: 'typing', on: true })) {
      S.typingOn = true;
      S.typingSentAt = now;
    }
  }
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(() => stopTyping(true), TYPING_IDLE_MS);
}

function stopTyping(send) {
  clearTimeout(S.typingTimer);
  if (S.typingOn && send) conn.send({ type: 'typing', on: false });
  S.typingOn = false;
}

/* ---------------------------------------------------- idle warning */

function idleTimeout() {
  const v = Number(S.status && S.status.idle_timeout_s);
  return v > 0 ? v : 900;
}

/** The server warns too (idle_warning); this is the fallback timer. */
function scheduleIdle() {
  clearTimeout(S.idleWarnTimer);
  if (S.phase !== 'chatting') return;
  const limit = idleTimeout();
  const lead = limit > 480 ? 120 : Math.floor(limit / 4);
  S.idleWarnTimer = setTimeout(() => showIdle(lead), (limit - lead) * 1000);
  if (ui.idleDialog.open) closeIdleDialog();
}

function cancelIdle() {
  clearTimeout(S.idleWarnTimer);
  closeIdleDialog();
}

function showIdle(seconds) {
  if (S.phase !== 'chatting') return;
  S.idleDeadline = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((S.idleDeadline - Date.now()) / 1000));
    const m = Math.floor(left / 60);
    const s = String(left % 60).padStart(2, '0');
    setText(ui.idleLeft, 'idle.left', { time: `${m}:${s}` });
  };
  tick();
  clearInterval(S.idleTick);
  S.idleTick = setInterval(tick, 1000);
  if (!ui.idleDialog.open) {
    ui.idleDialog.showModal();
    say(`${t('idle.title')} ${t('idle.body')}`);
    badge.bump();
  }
}

function closeIdleDialog() {
  clearInterval(S.idleTick);
  if (ui.idleDialog.open) ui.idleDialog.close();
}

$('#idle-continue').addEventListener('click', () => {
  conn.send({ type: 'ping' });
  closeIdleDialog();
  scheduleIdle();
  ui.input.focus();
});
$('#idle-end').addEventListener('click', () => {
  closeIdleDialog();
  conn.send({ type: 'end' });
});
ui.idleDialog.addEventListener('cancel', () => {
  // Escape means "I'm here" too.
  conn.send({ type: 'ping' });
  scheduleIdle();
});

/* -------------------------------------------------------- actions */

async function startChat(topic) {
  S.pendingTopic = topic || null;
  S.session = null;
  S.endedBy = null;
  S.elsewhere = false;
  saveSession();
  transcript.clear();
  ui.feedbackForm.hidden = false;
  ui.feedbackForm.reset();
  ui.feedbackResult.textContent = '';
  ui.feedbackResult.className = 'form-result';
  ui.emailForm.hidden = false;
  ui.emailForm.reset();
  ui.emailResult.textContent = '';
  ui.emailResult.className = 'form-result';
  setPhase('connecting');
  banner(null);
  show('view-chat');
  conn.start();
  ui.input.focus();
}

function goHome() {
  conn.stop();
  S.session = null;
  saveSession();
  transcript.clear();
  setPhase('idle');
  banner(null);
  show('view-loading', { focus: false });
  refreshStatus().then(() => {
    fillTopics();
    showStatusView();
  });
}

ui.startForm.addEventListener('submit', (e) => {
  e.preventDefault();
  startChat(ui.topic.value);
});

ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  sendMessage();
});

ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendMessage();
  }
});

ui.input.addEventListener('input', () => {
  updateCount();
  if (ui.input.value.trim()) startTyping();
});

function maxChars() {
  const v = Number(S.status && S.status.max_message_chars);
  return v > 0 ? v : 2000;
}

function updateCount() {
  const max = maxChars();
  ui.input.maxLength = max;
  const left = max - ui.input.value.length;
  if (left < 200) setText(ui.count, 'chat.chars_left', { n: left });
  else ui.count.textContent = '';
}

function sendMessage() {
  const text = cleanText(ui.input.value);
  if (!text.trim()) return;
  if (!(S.phase === 'queued' || S.phase === 'chatting' || S.phase === 'connecting')) return;
  ui.input.value = '';
  updateCount();
  stopTyping(true);
  transcript.addPending(newCid(), text);
  if (S.session) flushPending();
  scrollDown(true);
  if (S.phase === 'chatting') scheduleIdle();
}

ui.endBtn.addEventListener('click', () => ui.endDialog.showModal());
$('#end-cancel').addEventListener('click', () => ui.endDialog.close());
$('#end-confirm').addEventListener('click', () => {
  ui.endDialog.close();
  if (!conn.send({ type: 'end' })) {
    // No link: leave anyway; the server ends it after the grace time.
    if (S.phase === 'connecting') { goHome(); return; }
    S.endedBy = 'resident';
    conn.stop();
    S.session = null;
    saveSession();
    setPhase('lost');
  }
});

ui.emailToggle.addEventListener('click', () => {
  ui.emailDialog.showModal();
  if (!ui.emailForm.hidden) ui.emailTo.focus();
  else $('#email-close').focus();
});
$('#email-close').addEventListener('click', () => ui.emailDialog.close());

function emailResult(key, kind) {
  setText(ui.emailResult, key);
  ui.emailResult.className = `form-result ${kind || ''}`.trim();
  if ((kind === 'error' || kind === 'ok') && !ui.emailDialog.open && S.view === 'view-chat') {
    ui.emailDialog.showModal();
  }
  if (ui.emailForm.hidden && ui.emailDialog.open) $('#email-close').focus();
}

ui.emailForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const to = ui.emailTo.value.trim();
  if (!to || !ui.emailTo.checkValidity()) {
    ui.emailTo.setAttribute('aria-invalid', 'true');
    emailResult('email.invalid', 'error');
    ui.emailTo.focus();
    return;
  }
  ui.emailTo.removeAttribute('aria-invalid');
  if (!conn.send({ type: 'email', to })) {
    emailResult('email.offline', 'error');
    return;
  }
  S.emailPending = true;
  emailResult('email.sending');
});

ui.feedbackForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const r = ui.feedbackForm.querySelector('input[name="rating"]:checked');
  if (!r) {
    setText(ui.feedbackResult, 'feedback.choose');
    ui.feedbackResult.className = 'form-result error';
    ui.feedbackForm.querySelector('input[name="rating"]').focus();
    return;
  }
  if (!conn.send({ type: 'feedback', rating: Number(r.value) })) {
    setText(ui.feedbackResult, 'feedback.failed');
    ui.feedbackResult.className = 'form-result error';
  }
});

ui.newChat.addEventListener('click', () => goHome());

$('#error-retry').addEventListener('click', () => goHome());
$('#full-retry').addEventListener('click', () => goHome());
$('#limited-back').addEventListener('click', () => goHome());

/* ------------------------------------------ quick exit and questions */

installQuickExit({
  buttons: document.querySelectorAll('[data-quick-exit]'),
  url: () => S.status && S.status.exit_url,
  // Ends the chat by:"resident" (also one whose hello is still in flight:
  // the server takes the frames in order); the socket goes with the page.
  beforeLeave: () => { conn.send({ type: 'end' }); },
});

const ask = setupAsk({
  show: (id) => show(id),
  status: () => S.status,
  say,
  home: () => goHome(),
});

/** The accessibility statement in the page's language. */
function a11yHref() {
  ui.a11yLink.href = `accessibility?lang=${encodeURIComponent(i18n.lang())}`;
}

/* ----------------------------------------------------------- start */

i18n.onChange(() => {
  badge.setBase(t('page.title'));
  a11yHref();
  fillTopics();
  renderStatus();
  renderChat();
  // Sender labels of shown messages follow the language too.
  for (const who of ui.messages.querySelectorAll('.who')) {
    if (!who.hasAttribute('data-i18n')) continue;
    who.textContent = t(who.getAttribute('data-i18n'));
  }
});

async function main() {
  // Nothing of a visit outlives the tab: not the token, not the language.
  try { i18n.useStorage(window.sessionStorage); } catch { /* storage off */ }
  const statusOk = await refreshStatus();
  const allowed = (S.status && Array.isArray(S.status.languages) && S.status.languages.length)
    ? S.status.languages.filter((l) => i18n.supported().includes(l)) : i18n.supported();
  const start = i18n.pickLanguage(allowed.length ? allowed : i18n.supported(),
    S.status && S.status.default_language);
  await i18n.init(start);
  i18n.buildSwitch(ui.langs, allowed.length ? allowed : i18n.supported());
  badge.setBase(t('page.title'));
  fillTopics();
  const saved = loadSession();
  if (saved) {
    // A reload or a return in the same tab: carry on where we were.
    S.session = saved;
    setPhase('connecting');
    show('view-chat', { focus: false });
    conn.start();
    return;
  }
  if (!statusOk) { show('view-error'); return; }
  showStatusView();
}

main().catch((e) => {
  console.error(e);
  show('view-error');
});
