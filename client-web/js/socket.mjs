// One WebSocket that comes back by itself: after a dropped mobile network,
// a laptop waking from sleep or a server restart. The page decides what to
// say first on every new connection (hello, resume or login) in onOpen.
//
// A server restart closes every connection with 1012 at once; a crash or a
// lost link shows as 1006. Both mean "come back and carry on" (restartLike),
// and since every page comes back at the same moment, the delay before each
// try is spread at random over half its length again.
import { wsUrl } from './util.mjs';

const DELAYS = [500, 1000, 2000, 4000, 8000, 15000];

/** A close that is a pause, not an end: a server restart or a lost link. */
export function restartLike(code) {
  return code === 1012 || code === 1006;
}
// The server answers every frame but typing (echo, ack or error). A link
// that takes frames but gives nothing back for this long is dead even if
// the browser has not noticed (a phone changing networks, a NAT timeout).
const ANSWER_MS = 15000;

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.protocol   subprotocol
   * @param {() => void} o.onOpen
   * @param {(msg: object) => void} o.onMessage
   * @param {(ev: {code: number, reason: string, dropped: boolean}) => void} o.onDown
   * @param {(ev: {code: number, reason: string}) => boolean} o.shouldReconnect
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.running = false;
    this.lastRx = 0;
    this.probeTimer = null;
    this.awaitSince = 0;
    this.answerTimer = null;
    this.hiddenAt = 0;
    window.addEventListener('offline', () => this.drop('offline'));
    window.addEventListener('online', () => { if (this.running && !this.ws) this.connectSoon(0); });
    window.addEventListener('pageshow', (e) => { if (e.persisted && this.running) this.drop('pageshow'); });
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) { this.hiddenAt = Date.now(); return; }
      if (this.running && this.hiddenAt && Date.now() - this.hiddenAt > 10000) this.checkAlive();
      this.hiddenAt = 0;
    });
  }

  get up() { return !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  start() {
    this.running = true;
    this.attempt = 0;
    if (!this.ws) this.connectSoon(0);
  }

  /** Close on purpose: no reconnect. */
  stop(code = 1000) {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.probeTimer);
    this.unwatch();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(code); } catch { /* already closed */ }
    }
  }

  send(obj) {
    if (!this.up) return false;
    try {
      this.ws.send(JSON.stringify(obj));
      if (obj.type !== 'typing') this.watch();
      return true;
    } catch {
      return false;
    }
  }

  /** Probe a link that may be dead: without any frame back soon, reconnect. */
  checkAlive(timeoutMs = 5000) {
    if (!this.up || !this.o.probe) {
      if (this.running && !this.ws) this.connectSoon(0);
      return;
    }
    const sentAt = Date.now();
    this.o.probe();
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      if (this.lastRx < sentAt) this.drop('probe');
    }, timeoutMs);
  }

  /** Expect some frame back within ANSWER_MS of the oldest unanswered send. */
  watch() {
    if (this.awaitSince) return;
    this.awaitSince = Date.now();
    const ws = this.ws;
    clearTimeout(this.answerTimer);
    this.answerTimer = setTimeout(() => {
      if (this.awaitSince && this.ws === ws) this.drop('stalled');
    }, ANSWER_MS);
  }

  unwatch() {
    this.awaitSince = 0;
    clearTimeout(this.answerTimer);
  }

  /** Treat the current socket as gone now and start over. */
  drop(why) {
    this.unwatch();
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.ws = null;
    try { ws.close(1000, why); } catch { /* ignore */ }
    this.o.onDown({ code: 1006, reason: why, dropped: true });
    if (this.running) this.connectSoon(why === 'offline' ? null : 0);
  }

  connectSoon(delay) {
    clearTimeout(this.timer);
    if (delay === null) {
      // Offline: the "online" event brings us back; try now and then anyway.
      this.timer = setTimeout(() => this.connect(), 15000);
      return;
    }
    this.timer = setTimeout(() => this.connect(), delay);
  }

  connect() {
    if (!this.running || this.ws) return;
    let ws;
    try {
      ws = new WebSocket(wsUrl(), this.o.protocol);
    } catch (e) {
      console.error(e);
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastRx = Date.now();
      this.o.onOpen();
    };
    ws.onmessage = (ev) => {
      this.lastRx = Date.now();
      this.unwatch();
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg && typeof msg.type === 'string') this.o.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.unwatch();
      this.o.onDown({ code: ev.code, reason: ev.reason, dropped: false });
      if (this.running && this.o.shouldReconnect({ code: ev.code, reason: ev.reason })) this.retry();
      else this.running = false;
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  retry() {
    const d = DELAYS[Math.min(this.attempt, DELAYS.length - 1)];
    this.attempt += 1;
    // Jitter so that many phones do not come back in step after a restart.
    this.connectSoon(d + Math.floor(Math.random() * Math.max(300, d / 2)));
  }
}
