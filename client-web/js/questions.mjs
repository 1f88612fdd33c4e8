// The advisor console's questions panel (CONTRACT section 9): questions
// residents left while the chat was closed, oldest first, each with its
// language, its age and a box for the answer.
//
// The console (advisor.mjs) owns the socket and hands this panel the frames
// that are its own: the `questions` list (asked for after each login, then
// pushed by the server whenever it changes), `answered`, and the errors an
// answer can get. Typed answers survive every push: items are kept by id
// and only their age and text are refreshed.
import { t, setText, onChange } from './i18n.mjs';
import { $, el, cleanText } from './util.mjs';

const AGE_TICK_MS = 30000;
const MAX_CHARS_DEFAULT = 2000;

/** An age in seconds as words: "12 min", "3 h", "2 d". */
export function ageText(s) {
  const n = Math.max(0, Number(s) || 0);
  if (n < 3600) return t('questions_adv.age_min', { n: Math.max(1, Math.floor(n / 60)) });
  if (n < 48 * 3600) return t('questions_adv.age_h', { n: Math.floor(n / 3600) });
  return t('questions_adv.age_d', { n: Math.floor(n / 86400) });
}

function langName(l) {
  const key = `lang.${l}`;
  const s = t(key);
  return s === key ? String(l || '?').toUpperCase() : s;
}

export class QuestionsPanel {
  /**
   * @param {HTMLElement} root   the panel (#questions in advisor/index.html)
   * @param {object} o
   * @param {(msg: object) => boolean} o.send   send a frame; false if offline
   * @param {(key: string, params?: object, kind?: string) => void} o.toast
   * @param {(text: string) => void} o.say      announce to screen readers
   * @param {(kind: string) => void} [o.notify] sound/title when in the background
   * @param {() => number} [o.maxChars]
   */
  constructor(root, o) {
    this.root = root;
    this.o = o;
    this.ui = {
      heading: $('#questions-h', root),
      count: $('#questions-count', root),
      summary: $('#questions-summary', root),
      empty: $('#questions-empty', root),
      list: $('#questions-list', root),
      more: $('#questions-more', root),
    };
    this.items = new Map();     // id (as string) → li
    this.list = [];
    this.open = 0;              // open questions in all (the list may be shorter)
    this.at = Date.now();       // when this.list came
    this.asked = false;         // a `questions` request awaits its list
    this.seen = null;           // ids shown before (null: nothing shown yet)
    this.pending = null;        // id whose answer awaits `answered` or an error
    setInterval(() => this.tick(), AGE_TICK_MS);
    onChange(() => this.render());
  }

  /** After login (and each re-login): ask for the list. */
  request() {
    this.asked = true;
    this.o.send({ type: 'questions' });
  }

  /** Logged out: forget everything shown. */
  clear() {
    this.items.clear();
    this.ui.list.replaceChildren();
    this.list = [];
    this.open = 0;
    this.seen = null;
    this.pending = null;
    this.asked = false;
    this.root.hidden = true;
  }

  /** The server's `questions` (answer to request() or a push). */
  onList(m) {
    this.asked = false;
    const qs = Array.isArray(m.questions) ? m.questions.filter((q) => q && q.id !== undefined) : [];
    // Oldest first whatever order they came in.
    qs.sort((a, b) => (Number(b.age_s) || 0) - (Number(a.age_s) || 0));
    this.list = qs;
    // The server lists the oldest few; `open` counts them all.
    const open = Number(m.open);
    this.open = Number.isFinite(open) && open >= qs.length ? open : qs.length;
    this.at = Date.now();
    const ids = new Set(qs.map((q) => String(q.id)));
    if (this.seen) {
      const fresh = qs.filter((q) => !this.seen.has(String(q.id))).length;
      if (fresh) {
        this.o.say(t('questions_adv.new', { n: qs.length }));
        this.o.notify?.('queue');
      }
    }
    this.seen = ids;
    this.root.hidden = false;
    this.render();
  }

  /** `answered`: the answer is stored; the item goes. */
  onAnswered(m) {
    const id = String(m.question);
    if (this.pending === id) this.pending = null;
    this.o.toast('questions_adv.sent', undefined, 'info');
    this.o.say(t('questions_adv.sent'));
    const before = this.list.length;
    this.list = this.list.filter((q) => String(q.id) !== id);
    if (this.list.length < before) this.open = Math.max(this.list.length, this.open - 1);
    this.render();
  }

  /**
   * An error frame: true if it was this panel's (an answer in flight, or
   * the list request of a server without questions), so the console does
   * not show it again.
   */
  onError(m) {
    if (this.asked && this.pending === null && (m.code === 'bad_type' || m.code === 'not_allowed')) {
      // Questions are off on this server: no panel.
      this.asked = false;
      this.root.hidden = true;
      return true;
    }
    if (this.pending === null) return false;
    const li = this.items.get(this.pending);
    const known = { unknown_question: 'questions_adv.unknown', not_allowed: 'questions_adv.not_allowed', too_long: 'questions_adv.too_long', rate_limited: 'errors.rate_limited', unavailable: 'errors.unavailable' };
    const key = known[m.code];
    if (!key) return false;
    this.pending = null;
    if (li) {
      li.querySelector('button[type="submit"]').disabled = false;
      this.result(li, key, 'error');
    } else this.o.toast(key, undefined, 'warn');
    if (m.code === 'unknown_question') this.request();
    return true;
  }

  result(li, key, kind = '', params = undefined) {
    const r = li.querySelector('.form-result');
    if (!key) { r.textContent = ''; r.className = 'form-result'; return; }
    setText(r, key, params);
    r.className = `form-result ${kind}`.trim();
  }

  maxChars() {
    const v = Number(this.o.maxChars?.());
    return v > 0 ? v : MAX_CHARS_DEFAULT;
  }

  secs(q) {
    return (Number(q.age_s) || 0) + (Date.now() - this.at) / 1000;
  }

  render() {
    const qs = this.list;
    this.ui.count.textContent = String(this.open);
    this.ui.empty.hidden = qs.length > 0;
    this.summary();
    if (this.open > qs.length) {
      this.ui.more.hidden = false;
      setText(this.ui.more, 'questions_adv.more', { n: this.open - qs.length });
    } else this.ui.more.hidden = true;
    const focused = document.activeElement;
    let lostFocus = false;
    const keep = new Set(qs.map((q) => String(q.id)));
    for (const [id, li] of this.items) {
      if (keep.has(id)) continue;
      if (li.contains(focused)) lostFocus = true;
      li.remove();
      this.items.delete(id);
      if (this.pending === id) this.pending = null;
    }
    let prev = null;
    for (const q of qs) {
      const id = String(q.id);
      let li = this.items.get(id);
      if (!li) {
        li = this.build(q);
        this.items.set(id, li);
      }
      li._q = q;
      this.fill(li);
      const want = prev ? prev.nextSibling : this.ui.list.firstChild;
      if (want !== li) this.ui.list.insertBefore(li, want);
      prev = li;
    }
    if (lostFocus) this.ui.heading.focus();
  }

  build(q) {
    const id = String(q.id);
    const li = el('li', 'question-item');
    li.dataset.question = id;
    const meta = el('p', 'question-meta');
    meta.append(el('span', 'question-age'), el('span', 'question-lang'));
    const text = el('p', 'question-text');
    const details = el('details', 'question-answer');
    const summary = el('summary');
    const form = el('form', 'answer-form');
    form.noValidate = true;
    const label = el('label', 'sr-only');
    const box = el('textarea', 'answer-input');
    box.rows = 4;
    box.id = `answer-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    label.htmlFor = box.id;
    const send = el('button', 'btn btn-primary btn-small');
    send.type = 'submit';
    const res = el('p', 'form-result');
    res.setAttribute('role', 'status');
    form.append(label, box, send, res);
    details.append(summary, form);
    li.append(meta, text, details);
    details.addEventListener('toggle', () => { if (details.open) box.focus(); });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.answer(li);
    });
    box.addEventListener('input', () => {
      if (res.classList.contains('error')) this.result(li, null);
    });
    box.addEventListener('keydown', (e) => {
      // Ctrl+Enter sends; Enter alone is a new line (answers are long).
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.answer(li);
      }
    });
    return li;
  }

  fill(li) {
    const q = li._q;
    const age = ageText(this.secs(q));
    li.querySelector('.question-age').textContent = age;
    li.querySelector('.question-lang').textContent = langName(q.lang);
    li.querySelector('.question-text').textContent = typeof q.text === 'string' ? q.text : '';
    setText(li.querySelector('summary'), 'questions_adv.answer');
    setText(li.querySelector('label'), 'questions_adv.answer_label', { age });
    setText(li.querySelector('button[type="submit"]'), 'questions_adv.send');
    li.querySelector('textarea').maxLength = this.maxChars();
  }

  answer(li) {
    const id = li.dataset.question;
    const box = li.querySelector('textarea');
    const text = cleanText(box.value);
    if (!text.trim()) {
      this.result(li, 'questions_adv.answer_empty', 'error');
      box.focus();
      return;
    }
    if (this.pending !== null) {
      this.result(li, 'questions_adv.wait', 'error');
      return;
    }
    const q = li._q;
    if (!this.o.send({ type: 'answer', question: q.id, text })) {
      this.result(li, 'errors.offline', 'error');
      return;
    }
    this.pending = id;
    li.querySelector('button[type="submit"]').disabled = true;
    this.result(li, 'questions_adv.sending');
  }

  summary() {
    if (this.list.length) setText(this.ui.summary, 'questions_adv.summary', { n: this.open, age: ageText(this.secs(this.list[0])) });
    else this.ui.summary.textContent = '';
  }

  tick() {
    if (this.root.hidden || !this.list.length) return;
    for (const li of this.items.values()) {
      const age = ageText(this.secs(li._q));
      li.querySelector('.question-age').textContent = age;
    }
    this.summary();
  }
}
