// The message list of one chat, shared by both pages.
// - Messages are keyed by their server id: a message is shown once however
//   often it arrives (live, in a resumed history, after a reconnect).
// - Own messages show at once as "sending" and are matched to the server's
//   echo by cid. After a reconnect the resumed history is authoritative:
//   own messages it holds are done (by cid when the history carries cids,
//   else by count), the rest are sent again with the same cid; the server
//   answers a cid it already has with the stored message, whose id is then
//   shown once.
// - Text from the other side is only ever set with textContent.
import { el, clock } from './util.mjs';
import { t, setText } from './i18n.mjs';

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;

/** Append text to parent, turning http(s) addresses into links (no HTML). */
export function appendLinkified(parent, text) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let raw = m[0].replace(/[.,;:!?)\]]+$/, '');
    const start = m.index;
    let href;
    try {
      href = new URL(raw.startsWith('www.') ? `https://${raw}` : raw);
    } catch {
      continue;
    }
    if (href.protocol !== 'https:' && href.protocol !== 'http:') continue;
    if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
    const a = el('a', null, raw);
    a.href = href.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    parent.append(a);
    last = start + raw.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

export class Transcript {
  /**
   * @param {HTMLOListElement} list
   * @param {object} o
   * @param {'resident'|'advisor'} o.self   which side this page is
   * @param {(from: string, who: HTMLElement) => void} o.label  fill the sender label
   * @param {(from: string) => boolean} [o.linkify]
   */
  constructor(list, o) {
    this.list = list;
    this.o = o;
    this.byId = new Map();
    this.pending = [];
  }

  get maxId() {
    let m = 0;
    for (const id of this.byId.keys()) if (id > m) m = id;
    return m;
  }

  clear() {
    this.byId.clear();
    this.pending = [];
    this.list.replaceChildren();
  }

  render(msg, pending = false) {
    const mine = msg.from === this.o.self;
    const li = el('li', `msg ${mine ? 'msg-self' : 'msg-other'} msg-from-${msg.from === 'advisor' ? 'advisor' : 'resident'}`);
    const bubble = el('div', 'bubble');
    const meta = el('p', 'meta');
    const who = el('span', 'who');
    this.o.label(msg.from, who);
    meta.append(who);
    const tm = el('time', 'at');
    if (pending) {
      setText(tm, 'chat.sending');
    } else {
      tm.dateTime = msg.at || '';
      tm.textContent = clock(msg.at);
    }
    meta.append(el('span', 'sep', ' \u00b7 '), tm);
    const text = el('p', 'text');
    const body = String(msg.text ?? '');
    if (this.o.linkify && this.o.linkify(msg.from)) appendLinkified(text, body);
    else text.textContent = body;
    bubble.append(meta, text);
    if (msg.redacted) {
      const note = el('p', 'note');
      setText(note, mine && this.o.self === 'resident' ? 'chat.redacted_self' : 'chat.redacted_other');
      bubble.append(note);
    }
    li.append(bubble);
    if (pending) li.classList.add('pending');
    else li.dataset.id = String(msg.id);
    return li;
  }

  /** Place a message by id. Returns true if it was not shown before. */
  add(msg) {
    const id = Number(msg.id);
    if (!Number.isFinite(id)) return false;
    const fresh = this.render({ ...msg, id });
    const old = this.byId.get(id);
    if (old) {
      old.replaceWith(fresh);
      this.byId.set(id, fresh);
      return false;
    }
    this.byId.set(id, fresh);
    // Before the first shown message with a higher id, else before pending.
    let before = null;
    for (const li of this.list.children) {
      if (li.dataset.id && Number(li.dataset.id) > id) { before = li; break; }
      if (!before && li.classList.contains('pending')) before = li;
    }
    this.list.insertBefore(fresh, before);
    return true;
  }

  /** Show an own message before the server has it. */
  addPending(cid, text) {
    const li = this.render({ from: this.o.self, text }, true);
    this.list.append(li);
    const entry = { cid, text, li, sent: false };
    this.pending.push(entry);
    return entry;
  }

  /** The echo of an own message: replaces its pending line. */
  confirm(msg) {
    const i = this.pending.findIndex((p) => p.cid === msg.cid);
    if (i >= 0) {
      this.pending[i].li.remove();
      this.pending.splice(i, 1);
    }
    return this.add(msg);
  }

  /** Mark every pending message as not yet sent (the link dropped). */
  unsent() { return this.pending.filter((p) => !p.sent); }

  /**
   * Make the list equal to history (the server's, authoritative).
   * Returns the pending own messages that the server does not have and
   * that must be sent again, in order. Returns the ids newly shown too.
   */
  resync(history) {
    const known = new Set(this.byId.keys());
    const ids = new Set(history.map((m) => Number(m.id)));
    for (const [id, li] of [...this.byId]) {
      if (!ids.has(id)) { li.remove(); this.byId.delete(id); }
    }
    const added = [];
    for (const m of history) if (this.add(m)) added.push(m);
    const own = history.filter((m) => m.from === this.o.self);
    const cids = new Set(own.filter((m) => m.cid !== undefined && m.cid !== null).map((m) => String(m.cid)));
    // Without cids in the history (an older server): own messages the server
    // took while we could not hear its echo are, in order, the first pending
    // ones that were sent.
    let arrived = cids.size ? 0 : own.filter((m) => !known.has(Number(m.id))).length;
    const keep = [];
    for (const p of this.pending) {
      if (cids.has(String(p.cid)) || (arrived > 0 && p.sent)) {
        if (!cids.size) arrived -= 1;
        p.li.remove();
      } else {
        p.sent = false;
        keep.push(p);
      }
    }
    this.pending = keep;
    return { resend: keep, added };
  }

  /** A line about the chat itself ("an advisor joined"). */
  system(key, params, cls = '') {
    const li = el('li', `system ${cls}`.trim());
    const p = el('p');
    setText(p, key, params);
    li.append(p);
    // Keep pending own messages last.
    const firstPending = this.list.querySelector('li.pending');
    this.list.insertBefore(li, firstPending);
    return li;
  }

  /** Text for screen readers: "Anna (advisor): text". */
  static spoken(whoText, msg) {
    return `${whoText}: ${msg.text}${msg.redacted ? ` (${t('chat.redacted_other')})` : ''}`;
  }
}
