// Small helpers shared by the resident page and the advisor console.
import { t, locale } from './i18n.mjs';

/** document.createElement with a class and text (always textContent). */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return [...root.querySelectorAll(sel)]; }

/** Show one element and hide its siblings in the same group. */
export function showOnly(group, id) {
  for (const v of group) v.hidden = v.id !== id;
}

/** URL of a server path, relative to where this module is served. */
export function serverUrl(path) {
  return new URL(`../${path.replace(/^\//, '')}`, import.meta.url);
}

export function wsUrl() {
  const u = serverUrl('ws');
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

export async function fetchStatus() {
  const res = await fetch(serverUrl('api/status'), { cache: 'no-store' });
  if (!res.ok) throw new Error(`status: HTTP ${res.status}`);
  return res.json();
}

let zone;
export function setTimeZone(tz) { zone = tz || undefined; }

function fmt(opts) {
  try {
    return new Intl.DateTimeFormat(locale(), { ...opts, timeZone: zone });
  } catch {
    return new Intl.DateTimeFormat(locale(), opts);
  }
}

/** "09:26" for an RFC 3339 time or Date. */
export function clock(when) {
  const d = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(d.getTime())) return '';
  return fmt({ hour: 'numeric', minute: '2-digit' }).format(d);
}

export function dayKey(d) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}

/** "today at 09:00", "tomorrow at 09:00" or "Monday 23.11. at 09:00". */
export function when(iso, now = new Date()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = clock(d);
  const today = dayKey(now);
  const tomorrow = dayKey(new Date(now.getTime() + 24 * 3600 * 1000));
  const k = dayKey(d);
  if (k === today) return t('time.today_at', { time });
  if (k === tomorrow) return t('time.tomorrow_at', { time });
  const day = fmt({ weekday: 'long', day: 'numeric', month: 'numeric' }).format(d);
  return t('time.day_at', { day, time });
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The weekday key (mon..sun) of a time in the service's zone. */
export function weekdayOf(d = new Date()) {
  let name;
  try {
    name = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short' }).format(d);
  } catch {
    name = new Intl.DateTimeFormat('en-US', { weekday: 'short' }).format(d);
  }
  return name.slice(0, 3).toLowerCase();
}

/** Weekday name in the current language (2024-01-01 was a Monday). */
export function weekdayName(key) {
  const i = WEEKDAYS.indexOf(key);
  const d = new Date(Date.UTC(2024, 0, 1 + i, 12));
  return new Intl.DateTimeFormat(locale(), { weekday: 'long', timeZone: 'UTC' }).format(d);
}

/** "09:00–11:00, 13:00–15:00" or the word for closed. */
export function rangesText(ranges) {
  if (typeof ranges === 'string') {
    if (!ranges || ranges === 'closed') return t('hours.closed');
    return ranges.replace(/-/g, '\u2013');
  }
  if (!Array.isArray(ranges) || ranges.length === 0) return t('hours.closed');
  return ranges.map((r) => String(r).replace('-', '\u2013')).join(', ');
}

/** A wait in seconds as words: "under a minute", "about 5 min". */
export function waitText(s) {
  if (s === null || s === undefined || Number.isNaN(Number(s))) return t('wait.unknown');
  const n = Number(s);
  if (n < 60) return t('wait.under_minute');
  return t('wait.minutes', { n: Math.round(n / 60) });
}

/** "4:05" (m:ss) or "1:02:03" for elapsed seconds. */
export function elapsed(s) {
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Topic label from i18n, the id itself for a topic the strings lack. */
export function topicLabel(id) {
  const key = `topic.${id}`;
  const s = t(key);
  return s === key ? id : s;
}

export const DEFAULT_TOPICS = ['income_support', 'housing', 'substance_use', 'daily_life', 'family', 'other'];

/**
 * Text as typed or pasted, made fit to send: the server refuses control
 * characters other than tab and newlines, and strings with lone surrogates
 * (as malformed JSON). Trailing space and leading blank lines go too.
 */
export function cleanText(raw) {
  let s = String(raw ?? '');
  s = typeof s.toWellFormed === 'function' ? s.toWellFormed()
    : s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
  return s.replace(/\s+$/, '').replace(/^\s*\n/, '');
}

let cidSeq = 0;
export function newCid() {
  cidSeq += 1;
  const rnd = Math.random().toString(36).slice(2, 8);
  return `c${Date.now().toString(36)}${cidSeq}${rnd}`;
}

/**
 * A count in the tab title while the page is in the background:
 * "(2) Title". Cleared when the page is seen again.
 */
export class TitleBadge {
  constructor() {
    this.count = 0;
    this.base = document.title;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.clear();
    });
    window.addEventListener('focus', () => this.clear());
  }
  setBase(title) {
    this.base = title;
    this.render();
  }
  bump() {
    if (!document.hidden) return false;
    this.count += 1;
    this.render();
    return true;
  }
  clear() {
    if (this.count === 0) return;
    this.count = 0;
    this.render();
  }
  render() {
    document.title = this.count ? `(${this.count}) ${this.base}` : this.base;
  }
}

/** Polite announcements for screen readers, one live region per page. */
export function announcer(region) {
  let timer;
  return (text) => {
    // Re-adding a node makes repeated identical texts be read again.
    const p = el('p', null, text);
    region.append(p);
    while (region.childNodes.length > 5) region.firstChild.remove();
    clearTimeout(timer);
    timer = setTimeout(() => region.replaceChildren(), 30000);
  };
}
