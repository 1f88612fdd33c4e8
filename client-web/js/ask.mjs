// Questions left while the chat is closed, and their answers picked up
// with a code (CONTRACT section 9), on the resident page.
//
// Leaving a question: a socket of its own, opened only when the resident
// sends (not while they read or type): hello → closed{questions:true} →
// question → question_saved{code}. The code is shown large to be written
// down; it lives only in this page's memory, never in storage.
// Picking up: a fresh socket whose first frame is pickup{code} → answer.
// resident.mjs owns the views; this module owns the ask panel on the closed
// page and the answer view.
import { t, setText, lang } from './i18n.mjs';
import { $, el, wsUrl, cleanText, when } from './util.mjs';
import { appendLinkified } from './chatlog.mjs';

const EXCHANGE_MS = 20000;
const MAX_CHARS_DEFAULT = 2000;

/** "ABCDEFGHJKLM" → "ABCD EFGH JKLM": groups of four to read and copy. */
export function formatCode(code) {
  return String(code || '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** A code as typed or pasted: without spaces and dashes, in capitals. */
export function normalizeCode(raw) {
  return String(raw || '').replace(/[\s\-\u2010-\u2015]+/g, '').toUpperCase();
}

/**
 * One short conversation on a socket of its own. first(send) opens it;
 * onFrame(msg, send) returns a result to end it, or undefined to go on.
 * Resolves with that result, or {type:"offline"} if the link fails or
 * nothing ends it within EXCHANGE_MS. Never rejects.
 */
function exchange(first, onFrame) {
  return new Promise((resolve) => {
    let ws = null;
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ws) {
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        try { ws.close(1000); } catch { /* closed */ }
      }
      resolve(r);
    };
    const timer = setTimeout(() => finish({ type: 'offline' }), EXCHANGE_MS);
    try {
      ws = new WebSocket(wsUrl(), 'neuvo.resident.v1');
    } catch {
      finish({ type: 'offline' });
      return;
    }
    const send = (o) => {
      try { ws.send(JSON.stringify(o)); return true; } catch { return false; }
    };
    ws.onopen = () => first(send);
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (!m || typeof m.type !== 'string') return;
      const r = onFrame(m, send);
      if (r) finish(r);
    };
    ws.onclose = () => finish({ type: 'offline' });
    ws.onerror = () => { /* onclose follows */ };
  });
}

/** Leave one question: resolves with question_saved or why not. */
export function leaveQuestion(question) {
  return exchange(
    (send) => send({ type: 'hello', lang: question.lang }),
    (m, send) => {
      switch (m.type) {
        case 'closed':
          if (!m.questions) return { type: 'no_questions' };
          send(question);
          return undefined;
        case 'queued':
          // It opened meanwhile: that was a place in the queue; give it back.
          send({ type: 'end' });
          return { type: 'open' };
        case 'queue_full': return { type: 'open' };
        case 'blocked': return { type: 'blocked' };
        case 'question_saved':
        case 'error':
          return m;
        default: return undefined;
      }
    },
  );
}

/** Ask for the answer to a code: resolves with answer or error. */
export function pickUp(code) {
  return exchange(
    (send) => send({ type: 'pickup', code }),
    (m) => (m.type === 'answer' || m.type === 'error' ? m : undefined),
  );
}

/* ------------------------------------------------------------ the page */

/**
 * Wire the ask panel (closed page) and the answer view.
 * o.show(viewId): switch view; o.status(): the latest /api/status or null;
 * o.say(text): announce; o.home(): back to the status view.
 * Returns {render()} to call when the status or the language changes.
 */
export function setupAsk(o) {
  const ui = {
    panel: $('#ask'),
    form: $('#ask-form'),
    text: $('#ask-text'),
    count: $('#ask-count'),
    email: $('#ask-email'),
    send: $('#ask-send'),
    result: $('#ask-result'),
    done: $('#ask-done'),
    doneH: $('#ask-done-h'),
    code: $('#ask-code'),
    copy: $('#ask-copy'),
    copied: $('#ask-copied'),
    another: $('#ask-check'),
    pickForm: $('#pickup-form'),
    pickCode: $('#pickup-code'),
    pickSend: $('#pickup-send'),
    pickResult: $('#pickup-result'),
    pickAnswer: $('#pickup-answer'),
    pickQ: $('#pickup-q'),
    pickA: $('#pickup-a'),
    pickAt: $('#pickup-at'),
  };
  const A = { code: null, busy: false, picking: false, last: null };

  function maxChars() {
    const v = Number(o.status()?.max_message_chars);
    return v > 0 ? v : MAX_CHARS_DEFAULT;
  }

  function result(node, key, kind, params) {
    if (!key) {
      node.textContent = '';
      node.className = 'form-result';
      return;
    }
    setText(node, key, params);
    node.className = `form-result ${kind || ''}`.trim();
  }

  /** Say what is wrong with field next to the form and put the caret there. */
  function refuse(field, node, key, params) {
    field.setAttribute('aria-invalid', 'true');
    result(node, key, 'error', params);
    field.focus();
  }

  function updateCount() {
    const max = maxChars();
    ui.text.maxLength = max;
    setText(ui.count, 'ask.count', { n: ui.text.value.length, max });
  }

  function render() {
    const st = o.status();
    ui.panel.hidden = !(st && st.questions === true && !st.open);
    updateCount();
    if (A.code) ui.code.textContent = formatCode(A.code);
    if (A.last) showAnswer(A.last);
  }

  /* Leaving a question. */

  ui.text.addEventListener('input', updateCount);

  ui.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (A.busy) return;
    const text = cleanText(ui.text.value);
    ui.text.removeAttribute('aria-invalid');
    ui.email.removeAttribute('aria-invalid');
    if (!text.trim()) {
      refuse(ui.text, ui.result, 'ask.empty');
      return;
    }
    if (text.length > maxChars()) {
      refuse(ui.text, ui.result, 'ask.too_long', { max: maxChars() });
      return;
    }
    const to = ui.email.value.trim();
    if (to && !ui.email.checkValidity()) {
      refuse(ui.email, ui.result, 'ask.invalid_email');
      return;
    }
    const q = { type: 'question', text, lang: lang() };
    if (to) q.email = to;
    A.busy = true;
    ui.send.disabled = true;
    result(ui.result, 'ask.sending');
    const r = await leaveQuestion(q);
    A.busy = false;
    ui.send.disabled = false;
    onSaved(r);
  });

  function onSaved(r) {
    if (r.type === 'question_saved' && typeof r.code === 'string' && r.code) {
      A.code = r.code;
      ui.code.textContent = formatCode(r.code);
      ui.pickCode.value = formatCode(r.code);
      ui.form.hidden = true;
      ui.done.hidden = false;
      ui.text.value = '';
      ui.email.value = '';
      result(ui.result, null);
      result(ui.copied, null);
      ui.doneH.focus();
      o.say(`${t('ask.saved_title')}. ${t('ask.code_label')} ${formatCode(r.code)}`);
      return;
    }
    const code = r.type === 'error' ? r.code : r.type;
    switch (code) {
      case 'too_long': refuse(ui.text, ui.result, 'ask.too_long', { max: maxChars() }); return;
      case 'invalid_email': refuse(ui.email, ui.result, 'ask.invalid_email'); return;
      case 'open':
        // The chat opened while they wrote: the text stays in the box.
        result(ui.result, 'ask.now_open', 'ok');
        o.home();
        return;
      case 'email_unavailable': refuse(ui.email, ui.result, 'ask.email_unavailable'); return;
      case 'rate_limited': result(ui.result, 'ask.rate_limited', 'error'); return;
      case 'not_allowed':
      case 'no_questions': result(ui.result, 'ask.not_allowed', 'error'); return;
      case 'blocked': result(ui.result, 'ask.blocked', 'error'); return;
      case 'bad_field': result(ui.result, 'ask.bad_field', 'error'); return;
      case 'unavailable': result(ui.result, 'ask.unavailable', 'error'); return;
      case 'offline': result(ui.result, 'ask.offline', 'error'); return;
      default: result(ui.result, 'ask.failed', 'error', { code: String(code || '') });
    }
  }

  ui.copy.addEventListener('click', async () => {
    if (!A.code) return;
    let ok = false;
    try {
      await navigator.clipboard.writeText(formatCode(A.code));
      ok = true;
    } catch {
      // No clipboard permission (or not a secure context): select the code
      // so that the resident can copy it by hand.
      const range = document.createRange();
      range.selectNodeContents(ui.code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    result(ui.copied, ok ? 'ask.copied' : 'ask.copy_by_hand', ok ? 'ok' : '');
  });

  ui.another.addEventListener('click', () => openAnswer());

  /* Picking up. */

  function openAnswer() {
    if (A.code && !ui.pickCode.value) ui.pickCode.value = formatCode(A.code);
    o.show('view-answer');
  }

  function showAnswer(m) {
    A.last = m;
    ui.pickAnswer.hidden = false;
    ui.pickQ.textContent = typeof m.question === 'string' ? m.question : '';
    ui.pickA.replaceChildren();
    if (typeof m.answer === 'string' && m.answer) {
      const p = el('p', 'answer-text');
      appendLinkified(p, m.answer);
      ui.pickA.append(p);
      if (m.at) setText(ui.pickAt, 'pickup.answered_at', { when: when(m.at) });
      else ui.pickAt.textContent = '';
    } else {
      const p = el('p', 'answer-none');
      setText(p, 'pickup.no_answer');
      ui.pickA.append(p);
      ui.pickAt.textContent = '';
    }
  }

  ui.pickForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (A.picking) return;
    const code = normalizeCode(ui.pickCode.value);
    ui.pickCode.removeAttribute('aria-invalid');
    if (!code) {
      refuse(ui.pickCode, ui.pickResult, 'pickup.empty');
      return;
    }
    A.picking = true;
    ui.pickSend.disabled = true;
    A.last = null;
    ui.pickAnswer.hidden = true;
    result(ui.pickResult, 'pickup.checking');
    const r = await pickUp(code);
    A.picking = false;
    ui.pickSend.disabled = false;
    if (r.type === 'answer') {
      result(ui.pickResult, r.answer ? 'pickup.found' : 'pickup.found_none', 'ok');
      showAnswer(r);
      return;
    }
    const why = r.type === 'error' ? r.code : r.type;
    if (why === 'not_allowed' || why === 'bad_field') refuse(ui.pickCode, ui.pickResult, 'pickup.unknown');
    else if (why === 'rate_limited') result(ui.pickResult, 'pickup.rate_limited', 'error');
    else if (why === 'offline') result(ui.pickResult, 'ask.offline', 'error');
    else if (why === 'unavailable') result(ui.pickResult, 'ask.unavailable', 'error');
    else result(ui.pickResult, 'ask.failed', 'error', { code: String(why || '') });
  });

  for (const b of document.querySelectorAll('[data-open-answer]')) {
    b.addEventListener('click', () => openAnswer());
  }
  $('#pickup-back').addEventListener('click', () => o.home());

  render();
  return { render, openAnswer };
}
