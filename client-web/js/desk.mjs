// The counselling desk in the advisor console (CONTRACT section 8): what a
// supervisor adds to an advisor's console, and the desk controls every
// advisor has on a chat.
// - Supervisors: the board (queue, advisors, running chats, from `board`
//   pushes), watching a chat read-only with a whisper box, and the urgent
//   alert (sound, title mark, a modal dialog naming chat and advisor).
// - Everyone: the urgent toggle of an own chat (button and Alt+U), transfer
//   to another advisor with a note, whispers and transfer notes shown in the
//   chat as internal ("advisor only") lines.
// advisor.mjs owns the connection, the chats and their panels; it calls the
// hooks of the object createDesk returns and this module never replaces its
// state, only marks a chat as watched and adds controls to its panel.
import { t, setText, onChange } from './i18n.mjs';
import { $, el, elapsed, clock, topicLabel, cleanText } from './util.mjs';

const LONG_WAIT_S = 600;      // a queue wait that stands out
const LONG_SILENCE_S = 300;   // a running chat nobody wrote in for this long
const PENDING_MS = 10000;     // how long an unanswered request may claim an error
const ALERT_SOUND_MS = 3000;  // alerts in a burst sound once

/**
 * Make the desk part of the console. deps (all from advisor.mjs, which owns
 * them): conn (send), A (console state: chats, selected, loginSeq, name),
 * say(text), toast(key, params, kind), chime(kind), badge (TitleBadge),
 * select(id, opts), removeChat(id), chatTitle(chat), langName(l).
 * Returns the hooks advisor.mjs calls.
 */
export function createDesk(deps) {
  const { conn, A, say, toast, chime, badge, select, removeChat, chatTitle, langName } = deps;
  const ui = {
    view: $('#view-console'),
    board: $('#board'),
    boardSummary: $('#board-summary'),
    boardQueue: $('#board-queue'),
    boardQueueCount: $('#board-queue-count'),
    boardQueueEmpty: $('#board-queue-empty'),
    boardAdvisors: $('#board-advisors'),
    boardChats: $('#board-chats'),
    boardChatsCount: $('#board-chats-count'),
    boardChatsEmpty: $('#board-chats-empty'),
    alertDialog: $('#alert-dialog'),
    alertList: $('#alert-list'),
    alertClose: $('#alert-close'),
    transferDialog: $('#transfer-dialog'),
    transferForm: $('#transfer-form'),
    transferWhich: $('#transfer-which'),
    transferPickField: $('#transfer-pick-field'),
    transferPick: $('#transfer-pick'),
    transferUserField: $('#transfer-user-field'),
    transferUser: $('#transfer-user'),
    transferNote: $('#transfer-note'),
    transferResult: $('#transfer-result'),
    transferCancel: $('#transfer-cancel'),
    transferSend: $('#transfer-send'),
    me: $('#me'),
  };

  const D = {
    role: 'advisor',
    board: null,            // the last `board` push
    arrivals: new Map(),    // queued chat id -> earliest arrival time seen (ms)
    watched: new Set(),     // chat ids this supervisor watches (kept over a reconnect)
    alerts: [],             // [{chat, advisor}] not yet dismissed
    transfer: null,         // {chat, at} awaiting the server's answer
    watchPending: null,     // {chat, at}
    transferTarget: null,   // the chat the open transfer dialog is for
    alertSoundAt: 0,
    rows: { queue: new Map(), advisors: new Map(), chats: new Map() },
  };

  const supervisor = () => D.role === 'supervisor';
  const fresh = (p) => p && Date.now() - p.at < PENDING_MS;

  /* ------------------------------------------------------------ login */

  function onLogin(m) {
    D.role = m.role === 'supervisor' ? 'supervisor' : 'advisor';
    ui.view.classList.toggle('has-board', supervisor());
    ui.board.hidden = !supervisor();
    if (A.name) {
      ui.me.textContent = supervisor() ? `${A.name} \u00b7 ${t('desk.role_supervisor')}` : A.name;
    }
    if (!supervisor()) return;
    conn.send({ type: 'board' });
    // Watches do not outlive a connection: ask for them again.
    for (const id of D.watched) conn.send({ type: 'watch', chat: id });
  }

  function reset() {
    D.watched.clear();
    D.alerts = [];
    D.board = null;
    D.arrivals.clear();
    D.transfer = null;
    D.watchPending = null;
    for (const map of Object.values(D.rows)) map.clear();
    ui.boardQueue.replaceChildren();
    ui.boardAdvisors.replaceChildren();
    ui.boardChats.replaceChildren();
    if (ui.alertDialog.open) ui.alertDialog.close();
    if (ui.transferDialog.open) ui.transferDialog.close();
    titleMark();
  }

  /* ------------------------------------------------------------ board */

  function onBoard(m) {
    D.board = {
      queue: Array.isArray(m.queue) ? m.queue : [],
      advisors: Array.isArray(m.advisors) ? m.advisors : [],
      chats: Array.isArray(m.chats) ? m.chats : [],
    };
    D.board.length = Number.isFinite(Number(m.length)) ? Number(m.length) : D.board.queue.length;
    // A wait is kept as its start: a late push cannot make it look shorter.
    const now = Date.now();
    const seen = new Map();
    for (const w of D.board.queue) {
      const id = Number(w.chat);
      const at = now - Math.max(0, Number(w.waited_s) || 0) * 1000;
      const had = D.arrivals.get(id);
      seen.set(id, had === undefined ? at : Math.min(had, at));
    }
    D.arrivals = seen;
    renderBoard();
    if (ui.transferDialog.open && supervisor()) fillTransferPick();
  }

  const sinceIso = (iso) => {
    const ms = Date.parse(iso);
    return Number.isFinite(ms) ? Math.max(0, (Date.now() - ms) / 1000) : null;
  };

  /**
   * Bring a keyed list up to date without rebuilding kept rows (focus on a
   * Watch button survives a push). make(item) builds a row, fill(row, item)
   * writes its text. A focused row that goes moves focus to the board.
   */
  function syncList(list, rows, items, keyOf, make, fill) {
    const keep = new Set(items.map(keyOf));
    let lostFocus = false;
    for (const [k, row] of rows) {
      if (keep.has(k)) continue;
      if (row.contains(document.activeElement)) lostFocus = true;
      row.remove();
      rows.delete(k);
    }
    let prev = null;
    for (const item of items) {
      const k = keyOf(item);
      let row = rows.get(k);
      if (!row) { row = make(item); rows.set(k, row); }
      row._item = item;
      fill(row, item);
      const want = prev ? prev.nextSibling : list.firstChild;
      if (want !== row) list.insertBefore(row, want);
      prev = row;
    }
    if (lostFocus) $('#board-h').focus();
  }

  function renderBoard() {
    const b = D.board;
    if (!b || !supervisor()) return;
    syncList(ui.boardQueue, D.rows.queue, b.queue, (w) => Number(w.chat), makeQueueRow, fillQueueRow);
    ui.boardQueueCount.textContent = String(Math.max(b.length, b.queue.length));
    ui.boardQueueEmpty.hidden = b.length > 0 || b.queue.length > 0;

    const advisors = [...b.advisors].sort((x, y) => String(x.name).localeCompare(String(y.name)));
    syncList(ui.boardAdvisors, D.rows.advisors, advisors, (a) => String(a.username ?? a.name), makeAdvisorRow, fillAdvisorRow);

    // Urgent chats first, then the longest silences.
    const chats = [...b.chats].sort((x, y) => (Number(!!y.urgent) - Number(!!x.urgent))
      || (Date.parse(x.last_msg) || 0) - (Date.parse(y.last_msg) || 0));
    syncList(ui.boardChats, D.rows.chats, chats, (c) => Number(c.chat), makeChatRow, fillChatRow);
    ui.boardChatsCount.textContent = String(chats.length);
    ui.boardChatsEmpty.hidden = chats.length > 0;
    renderSummary();
  }

  function queueWait(w) {
    const at = D.arrivals.get(Number(w.chat));
    return at === undefined ? Number(w.waited_s) || 0 : Math.max(0, (Date.now() - at) / 1000);
  }

  function makeQueueRow() {
    const li = el('li', 'b-row');
    li.append(el('span', 'b-time'), el('span', 'b-what'), el('span', 'b-flag'));
    return li;
  }

  function fillQueueRow(li, w) {
    const secs = queueWait(w);
    const long = secs >= LONG_WAIT_S;
    li.querySelector('.b-time').textContent = t('desk.waited', { time: elapsed(secs) });
    li.querySelector('.b-what').textContent = `${langName(w.lang)} \u00b7 ${w.topic ? topicLabel(w.topic) : t('queue_adv.no_topic')}`;
    li.querySelector('.b-flag').textContent = long ? t('desk.long_wait') : '';
    li.classList.toggle('is-late', long);
  }

  function advisorState(a) {
    if (a.online === false) return 'desk.offline';
    return a.available ? 'desk.available' : 'desk.not_available';
  }

  function makeAdvisorRow() {
    const li = el('li', 'b-row');
    li.append(el('span', 'b-name'), el('span', 'b-role'), el('span', 'b-avail'), el('span', 'b-count'));
    return li;
  }

  function fillAdvisorRow(li, a) {
    li.querySelector('.b-name').textContent = String(a.name ?? a.username ?? '');
    li.querySelector('.b-avail').textContent = t(advisorState(a));
    li.querySelector('.b-count').textContent = t('desk.chat_count', { n: Number(a.chats) || 0 });
    li.querySelector('.b-role').textContent = a.supervisor ? t('desk.role_supervisor') : '';
    li.classList.toggle('is-away', !a.available || a.online === false);
  }

  function makeChatRow(c) {
    const li = el('li', 'b-row b-chat');
    const head = el('p', 'b-head');
    head.append(el('span', 'b-title'), el('span', 'b-urgent'));
    const who = el('p', 'b-who');
    const times = el('p', 'b-times');
    times.append(el('span', 'b-dur'), el('span', 'b-silent'), el('span', 'b-flag'));
    const btn = el('button', 'btn btn-small b-watch');
    btn.type = 'button';
    btn.addEventListener('click', () => watch(Number(c.chat)));
    li.append(head, who, times, btn);
    return li;
  }

  function fillChatRow(li, c) {
    const id = Number(c.chat);
    const dur = sinceIso(c.started);
    const silent = sinceIso(c.last_msg ?? c.started);
    const long = silent !== null && silent >= LONG_SILENCE_S;
    li.querySelector('.b-title').textContent = t('chat_adv.title', { id });
    li.querySelector('.b-urgent').textContent = c.urgent ? t('desk.urgent_mark') : '';
    li.querySelector('.b-who').textContent = `${c.advisor ?? ''} \u00b7 ${langName(c.lang)} \u00b7 ${c.topic ? topicLabel(c.topic) : t('queue_adv.no_topic')}`;
    li.querySelector('.b-dur').textContent = dur === null ? '' : t('desk.duration', { time: elapsed(dur) });
    li.querySelector('.b-silent').textContent = silent === null ? '' : t('desk.silent', { time: elapsed(silent) });
    li.querySelector('.b-flag').textContent = long ? t('desk.long_silence') : '';
    li.classList.toggle('is-late', long);
    li.classList.toggle('is-urgent', !!c.urgent);
    const btn = li.querySelector('.b-watch');
    const open = A.chats.has(id);
    btn.textContent = t(open ? 'desk.show' : 'desk.watch');
    btn.setAttribute('aria-label', t(open ? 'desk.show_label' : 'desk.watch_label', { id, advisor: String(c.advisor ?? '') }));
  }

  function renderSummary() {
    const b = D.board;
    if (!b) { ui.boardSummary.textContent = ''; return; }
    const late = b.queue.filter((w) => queueWait(w) >= LONG_WAIT_S).length;
    const silent = b.chats.filter((c) => (sinceIso(c.last_msg ?? c.started) ?? 0) >= LONG_SILENCE_S).length;
    const urgent = b.chats.filter((c) => c.urgent).length;
    const bits = [];
    if (urgent) bits.push(t('desk.sum_urgent', { n: urgent }));
    if (late) bits.push(t('desk.sum_late', { n: late }));
    if (silent) bits.push(t('desk.sum_silent', { n: silent }));
    const text = bits.length ? bits.join(' \u00b7 ') : t('desk.sum_calm');
    ui.boardSummary.textContent = text.charAt(0).toLocaleUpperCase() + text.slice(1);
    ui.boardSummary.classList.toggle('is-late', bits.length > 0);
  }

  // Waits, durations and silences move on between pushes.
  setInterval(() => {
    if (!D.board || !supervisor()) return;
    for (const li of D.rows.queue.values()) fillQueueRow(li, li._item);
    for (const li of D.rows.chats.values()) fillChatRow(li, li._item);
    renderSummary();
  }, 1000);

  /* ----------------------------------------------------- watch, whisper */

  function watch(id) {
    if (A.chats.has(id)) { select(id, { focus: 'input' }); return; }
    if (!conn.send({ type: 'watch', chat: id })) { toast('errors.offline', undefined, 'warn'); return; }
    D.watchPending = { chat: id, at: Date.now() };
  }

  function unwatch(chat) {
    D.watched.delete(chat.id);
    if (chat.state === 'active' && conn.send({ type: 'unwatch', chat: chat.id })) return;
    removeChat(chat.id);
  }

  /** The panel's desk controls, made once per chat. */
  function equip(chat) {
    const e = chat.els;
    if (e.desk) return;
    const actions = e.panel.querySelector('.panel-actions');
    const urgent = el('button', 'btn btn-small urgent-btn');
    urgent.type = 'button';
    urgent.setAttribute('aria-keyshortcuts', 'Alt+U');
    urgent.addEventListener('click', () => toggleUrgent(chat));
    const urgentMark = el('p', 'urgent-mark');
    const transfer = el('button', 'btn btn-small transfer-btn');
    transfer.type = 'button';
    transfer.addEventListener('click', () => openTransfer(chat));
    const stop = el('button', 'btn btn-small unwatch-btn');
    stop.type = 'button';
    stop.addEventListener('click', () => unwatch(chat));
    actions.prepend(urgent, transfer, stop);
    e.panel.querySelector('.panel-head > div').append(urgentMark);

    // The tab says "urgent" in words too.
    const tabMark = el('span', 'tab-urgent');
    e.tab.append(tabMark);

    const form = el('form', 'whisper-form');
    form.noValidate = true;
    const label = el('label', 'whisper-label');
    const input = el('textarea', 'whisper-input');
    input.id = `whisper-${chat.id}`;
    input.rows = 2;
    input.maxLength = e.input.maxLength;
    label.htmlFor = input.id;
    const send = el('button', 'btn btn-primary');
    send.type = 'submit';
    const row = el('div', 'compose-row');
    row.append(input, send);
    form.append(label, row);
    form.addEventListener('submit', (ev) => { ev.preventDefault(); whisper(chat); });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); whisper(chat); }
    });
    e.composer.after(form);
    e.desk = { urgent, urgentMark, transfer, stop, tabMark, form, label, input, send, reply: e.input };
    fillControls(chat);
  }

  function fillControls(chat) {
    const d = chat.els.desk;
    if (!d) return;
    d.urgent.textContent = t('desk.urgent_btn');
    d.urgent.setAttribute('aria-pressed', String(!!chat.urgent));
    d.urgent.title = t('desk.urgent_hint');
    setText(d.urgentMark, 'desk.urgent_mark');
    d.urgentMark.hidden = !(chat.urgent && chat.watching);
    d.transfer.textContent = t('desk.transfer');
    d.stop.textContent = t(chat.state === 'active' ? 'desk.unwatch' : 'desk.close_watch');
    d.tabMark.textContent = chat.urgent ? ` ${t('desk.urgent_mark')}` : '';
    d.label.textContent = t('desk.whisper_label');
    d.send.textContent = t('desk.whisper_send');
    d.input.placeholder = t('desk.whisper_placeholder');
  }

  /** Show what suits the chat: own chat or watched one, running or not. */
  function onState(chat) {
    const e = chat.els;
    const d = e.desk;
    if (!d) return;
    const active = chat.state === 'active';
    const w = !!chat.watching;
    d.urgent.hidden = w || !active;
    d.transfer.hidden = !active;
    d.stop.hidden = !w;
    d.form.hidden = !w || !active;
    e.tab.classList.toggle('is-urgent', !!chat.urgent);
    e.panel.classList.toggle('is-watched', w);
    if (w) {
      // Read-only: no reply box, no end, no block, no statistics form.
      e.composer.hidden = true;
      e.endBtn.hidden = true;
      e.blockBtn.hidden = true;
      e.tagForm.hidden = true;
      // Ended while the watcher was in it: to the one button left.
      if (!active && d.wasActive && e.panel.contains(document.activeElement)) d.stop.focus();
    }
    d.wasActive = active;
    e.input = w ? d.input : d.reply;
    fillControls(chat);
  }

  function whisper(chat) {
    const d = chat.els.desk;
    const text = cleanText(d.input.value);
    if (!text.trim() || chat.state !== 'active') return;
    if (!conn.send({ type: 'whisper', chat: chat.id, text })) { toast('errors.offline', undefined, 'warn'); return; }
    d.input.value = '';
  }

  /**
   * An internal line in a chat's list: a whisper or a transfer note, never
   * seen by the resident. Placed by time among the messages.
   */
  function internalLine(chat, { key, kind, from, text, at, redacted }) {
    const list = chat.els.list;
    if (key && list.querySelector(`li[data-internal="${CSS.escape(key)}"]`)) return null;
    const li = el('li', `msg internal internal-${kind}`);
    if (key) li.dataset.internal = key;
    const bubble = el('div', 'bubble');
    const meta = el('p', 'meta');
    const tag = el('span', 'internal-tag');
    setText(tag, 'desk.internal');
    meta.append(tag);
    if (from) meta.append(el('span', 'sep', ' \u00b7 '), el('span', 'who', from));
    if (at) {
      const tm = el('time', 'at', clock(at));
      tm.dateTime = at;
      meta.append(el('span', 'sep', ' \u00b7 '), tm);
    }
    bubble.append(meta);
    if (kind === 'note') {
      const p = el('p', 'internal-what');
      setText(p, 'desk.note_from', { from: String(from || '') });
      bubble.append(p);
    }
    if (text) bubble.append(el('p', 'text', text));
    if (redacted) bubble.append(setText(el('p', 'note'), 'chat.redacted_other'));
    li.append(bubble);
    const when = Date.parse(at);
    let before = list.querySelector('li.pending');
    if (Number.isFinite(when)) {
      for (const x of list.children) {
        const tx = x.querySelector('time.at');
        const xt = tx ? Date.parse(tx.dateTime) : NaN;
        if (Number.isFinite(xt) && xt > when) { before = x; break; }
      }
    }
    list.insertBefore(li, before);
    return li;
  }

  // Each stored line has an id (its row), carried by the live frame, by
  // the transfer's `note_id` and by every list read back (a watch, a later
  // login), so a line is shown once however often it comes, and two alike
  // are both shown.
  function whisperKey(w) {
    return w.id ? `i:${w.id}` : `w:${w.at}:${w.from}:${String(w.text ?? '')}`;
  }

  function showWhisper(chat, w) {
    return internalLine(chat, {
      key: whisperKey(w), kind: w.note ? 'note' : 'whisper', from: String(w.from ?? ''), text: String(w.text ?? ''), at: w.at, redacted: !!w.redacted,
    });
  }

  function onWhisper(m) {
    const chat = A.chats.get(Number(m.chat));
    if (!chat) return;
    const s = chat.els.scroll;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < 120;
    if (!showWhisper(chat, m)) return;
    if (atBottom || chat.watching) s.scrollTop = s.scrollHeight;
    if (!chat.watching) {
      // The advisor hears it like a message from the resident.
      if (A.selected !== chat.id || document.hidden) { chat.unread += 1; deps.renderChatHead(chat); }
      deps.notify('msg');
    }
    say(`${chatTitle(chat)}: ${t('desk.internal')}, ${m.from}: ${m.text}`);
  }

  /**
   * A `chat` frame, after advisor.mjs has made or updated the chat and put
   * in its history: watched or own, whispers, a transfer note.
   */
  function onChat(m, chat) {
    const wasWatching = !!chat.watching;
    chat.watching = !!m.watching;
    if (chat.watching) D.watched.add(chat.id);
    else D.watched.delete(chat.id);
    if (typeof m.urgent === 'boolean') chat.urgent = m.urgent;
    if (m.advisor) chat.advisor = String(m.advisor);
    equip(chat);
    if (m.from !== undefined || m.note) {
      const from = String(m.from ?? '');
      const text = m.note ? String(m.note) : '';
      // Before the list below, which holds the same note (same key): the
      // transfer is announced once, when its note line is new. Its time
      // is the server's, from that list.
      const stored = (Array.isArray(m.whispers) ? m.whispers : []).find((w) => m.note_id && w.id === m.note_id);
      const line = {
        key: m.note_id ? `i:${m.note_id}` : `n:${from}:${text}`, kind: 'note', from, text,
        at: stored ? stored.at : new Date().toISOString(), redacted: !!m.note_redacted,
      };
      if (internalLine(chat, line)) {
        say(t('desk.transferred_in', { id: chat.id, from }));
      }
    }
    if (Array.isArray(m.whispers)) for (const w of m.whispers) showWhisper(chat, w);
    // Advisor messages from before a transfer were not this advisor's.
    if (m.transferred || m.from !== undefined) {
      const ids = (Array.isArray(m.history) ? m.history : []).map((x) => Number(x.id)).filter(Number.isFinite);
      chat.priorUpTo = Math.max(chat.priorUpTo || 0, ...ids);
    }
    if (chat.priorUpTo) {
      for (const li of chat.els.list.querySelectorAll('li.msg-from-advisor[data-id]')) {
        const who = li.querySelector('.who');
        if (who && Number(li.dataset.id) <= chat.priorUpTo) setText(who, 'chat.advisor');
      }
    }
    if (D.watchPending && D.watchPending.chat === chat.id) D.watchPending = null;
    if (D.transfer && D.transfer.chat === chat.id && !chat.watching) transferDone(chat);
    if (chat.watching && !wasWatching) say(t('desk.watching', { id: chat.id, advisor: String(m.advisor ?? '') }));
    renderMeta(chat);
    onState(chat);
    if (D.board) renderBoard();
  }

  /** The watched chat's header names its advisor. */
  function renderMeta(chat) {
    const d = chat.els.desk;
    if (!d) return;
    let line = chat.els.panel.querySelector('.panel-advisor');
    if (!chat.watching) { if (line) line.remove(); return; }
    if (!line) {
      line = el('p', 'panel-advisor');
      chat.els.meta.after(line);
    }
    setText(line, 'desk.watched_by', { advisor: String(chat.advisor ?? '') });
  }

  function onUnwatched(m) {
    const id = Number(m.chat);
    D.watched.delete(id);
    const chat = A.chats.get(id);
    if (chat && chat.watching) removeChat(id);
  }

  /* ----------------------------------------------------------- urgent */

  function toggleUrgent(chat) {
    if (chat.watching || chat.state !== 'active') return;
    if (!conn.send({ type: 'urgent', chat: chat.id, on: !chat.urgent })) toast('errors.offline', undefined, 'warn');
  }

  function onUrgent(m) {
    const chat = A.chats.get(Number(m.chat));
    if (!chat) return;
    chat.urgent = !!m.on;
    onState(chat);
    say(t(chat.urgent ? 'desk.urgent_said_on' : 'desk.urgent_said_off', { id: chat.id }));
  }

  // Alt+U: the shown chat's urgent mark (listed under the console's shortcuts).
  document.addEventListener('keydown', (ev) => {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey || ev.code !== 'KeyU') return;
    // Not behind a modal dialog: the chat it would change is out of sight.
    if (!A.loggedIn || document.querySelector('dialog[open]')) return;
    const chat = A.chats.get(A.selected);
    ev.preventDefault();
    if (!chat || chat.state !== 'active') { toast('desk.urgent_none'); return; }
    if (chat.watching) { toast('desk.urgent_own_only'); return; }
    toggleUrgent(chat);
  });

  /** The title shows "(!)" while an alert waits to be seen. */
  function titleMark() {
    const base = t('console.page_title');
    badge.setBase(D.alerts.length ? `(!) ${t('desk.alert_title')} \u2013 ${base}` : base);
  }

  function onAlert(m) {
    const id = Number(m.chat);
    const own = A.chats.get(id);
    if (!supervisor() || (own && !own.watching)) return; // not ours to hear, or marked here
    if (!D.alerts.some((a) => a.chat === id)) D.alerts.push({ chat: id, advisor: String(m.advisor ?? '') });
    if (Date.now() - D.alertSoundAt >= ALERT_SOUND_MS) {
      D.alertSoundAt = Date.now();
      chime('alert');
    }
    titleMark();
    renderAlerts();
    if (!ui.alertDialog.open) {
      // Other dialogs give way: this one must be seen.
      for (const dlg of document.querySelectorAll('dialog[open]')) dlg.close();
      ui.alertDialog.showModal();
    }
    const first = ui.alertList.querySelector('button');
    if (first) first.focus();
    say(t('desk.alert_body', { id, advisor: String(m.advisor ?? '') }));
  }

  function renderAlerts() {
    ui.alertList.replaceChildren();
    for (const a of D.alerts) {
      const li = el('li', 'alert-item');
      const p = el('p');
      setText(p, 'desk.alert_body', { id: a.chat, advisor: a.advisor });
      const b = el('button', 'btn btn-danger btn-primary');
      b.type = 'button';
      setText(b, 'desk.alert_watch');
      b.setAttribute('aria-label', t('desk.watch_label', { id: a.chat, advisor: a.advisor }));
      b.addEventListener('click', () => {
        D.alerts = D.alerts.filter((x) => x.chat !== a.chat);
        ui.alertDialog.close();
        watch(a.chat);
      });
      li.append(p, b);
      ui.alertList.append(li);
    }
  }

  ui.alertClose.addEventListener('click', () => ui.alertDialog.close());
  ui.alertDialog.addEventListener('close', () => {
    D.alerts = [];
    titleMark();
  });

  /* --------------------------------------------------------- transfer */

  function fillTransferPick() {
    const keep = ui.transferPick.value;
    ui.transferPick.replaceChildren();
    const list = (D.board?.advisors || []).filter((a) => a.username !== undefined && a.online !== false);
    // Not to the one who has the chat now.
    const row = (D.board?.chats || []).find((c) => Number(c.chat) === D.transferTarget);
    const holder = row?.advisor_username;
    const others = list.filter((a) => holder === undefined || String(a.username) !== String(holder));
    if (!others.length) {
      const o = el('option', null, t('desk.transfer_nobody'));
      o.value = '';
      ui.transferPick.append(o);
      return;
    }
    for (const a of others) {
      const state = t(advisorState(a));
      const o = el('option', null, `${a.name} (${a.username}) \u2013 ${state}, ${t('desk.chat_count', { n: Number(a.chats) || 0 })}`);
      o.value = String(a.username);
      ui.transferPick.append(o);
    }
    if (keep && others.some((a) => String(a.username) === keep)) ui.transferPick.value = keep;
  }

  function openTransfer(chat) {
    D.transferTarget = chat.id;
    setText(ui.transferWhich, 'desk.transfer_which', { id: chat.id });
    ui.transferResult.textContent = '';
    ui.transferResult.className = 'form-result';
    ui.transferNote.value = '';
    ui.transferUser.value = '';
    ui.transferPickField.hidden = !supervisor();
    ui.transferUserField.hidden = supervisor();
    if (supervisor()) fillTransferPick();
    ui.transferDialog.showModal();
    (supervisor() ? ui.transferPick : ui.transferUser).focus();
  }

  function transferMsg(key, kind) {
    setText(ui.transferResult, key);
    ui.transferResult.className = `form-result ${kind}`;
  }

  ui.transferForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const chat = A.chats.get(D.transferTarget);
    if (!chat || chat.state !== 'active') { transferMsg('errors.unknown_chat', 'error'); return; }
    const to = (supervisor() ? ui.transferPick.value : ui.transferUser.value).trim();
    if (!to) {
      transferMsg('desk.transfer_need_user', 'error');
      (supervisor() ? ui.transferPick : ui.transferUser).focus();
      return;
    }
    const msg = { type: 'transfer', chat: chat.id, to };
    const note = cleanText(ui.transferNote.value);
    if (note.trim()) msg.note = note;
    if (!conn.send(msg)) { transferMsg('errors.offline', 'error'); return; }
    D.transfer = { chat: chat.id, at: Date.now() };
    // One at a time: a second click would only be refused.
    ui.transferSend.disabled = true;
    setTimeout(() => { ui.transferSend.disabled = false; }, PENDING_MS);
    transferMsg('desk.transfer_sending', '');
  });
  ui.transferCancel.addEventListener('click', () => ui.transferDialog.close());
  ui.transferDialog.addEventListener('close', () => {
    ui.transferSend.disabled = false;
    const c = A.chats.get(D.transferTarget);
    if (c && c.els.desk && !c.els.desk.transfer.hidden) c.els.desk.transfer.focus();
  });

  function transferDone(chat) {
    D.transfer = null;
    if (ui.transferDialog.open && D.transferTarget === chat.id) ui.transferDialog.close();
  }

  function onTransferred(m) {
    const id = Number(m.chat);
    const chat = A.chats.get(id);
    const to = String(m.to ?? '');
    if (D.transfer && D.transfer.chat === id) {
      D.transfer = null;
      if (ui.transferDialog.open && D.transferTarget === id) ui.transferDialog.close();
    }
    if (!chat) return;
    if (chat.watching) {
      chat.advisor = to;
      renderMeta(chat);
      chat.transcript.system('desk.transferred_line', { to });
      say(t('desk.transferred_out', { id, to }));
      return;
    }
    toast('desk.transferred_out', { id, to });
    removeChat(id);
    say(t('desk.transferred_out', { id, to }));
  }

  /** An error the desk asked for; true when it is handled here. */
  function onError(m) {
    if (fresh(D.transfer) && ['not_available', 'unknown_chat', 'not_allowed', 'bad_field'].includes(m.code)) {
      D.transfer = null;
      const key = m.code === 'bad_field' ? 'desk.err_bad_user' : `desk.err_${m.code}`;
      ui.transferSend.disabled = false;
      if (ui.transferDialog.open) {
        transferMsg(key, 'error');
        (supervisor() ? ui.transferPick : ui.transferUser).focus();
      } else toast(key, undefined, 'warn');
      return true;
    }
    if (fresh(D.watchPending) && ['unknown_chat', 'not_allowed'].includes(m.code)) {
      D.watched.delete(D.watchPending.chat);
      D.watchPending = null;
      toast('desk.err_watch', undefined, 'warn');
      return true;
    }
    if (m.code === 'not_available') { toast('desk.err_not_available', undefined, 'warn'); return true; }
    return false;
  }

  /** Frames only the desk knows; true when handled. */
  function onMessage(m) {
    switch (m.type) {
      case 'board': onBoard(m); return true;
      case 'whisper': onWhisper(m); return true;
      case 'urgent': onUrgent(m); return true;
      case 'alert': onAlert(m); return true;
      case 'transferred': onTransferred(m); return true;
      case 'unwatched': onUnwatched(m); return true;
      default: return false;
    }
  }

  onChange(() => {
    titleMark();
    if (A.name) ui.me.textContent = supervisor() ? `${A.name} \u00b7 ${t('desk.role_supervisor')}` : A.name;
    for (const c of A.chats.values()) { fillControls(c); renderMeta(c); }
    renderAlerts();
    if (D.board) renderBoard();
    if (ui.transferDialog.open && supervisor()) fillTransferPick();
  });

  return { onLogin, onMessage, onChat, onState, onError, reset, isSupervisor: supervisor };
}
