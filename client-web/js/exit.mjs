// Quick exit (CONTRACT section 9): a resident who is suddenly not alone
// must be able to make the chat disappear at once. The button and Escape
// pressed three times within ESC_WINDOW_MS hide the page, end the chat (best
// effort), forget the tab's session and replace the page with a neutral
// site by location.replace, so that Back does not bring the chat back.
//
// Nothing here stores anything; the page keeps only sessionStorage, which
// is cleared on the way out.

export const DEFAULT_EXIT_URL = 'https://www.google.com/';
export const ESC_PRESSES = 3;
export const ESC_WINDOW_MS = 2000;

/** The exit address if it is a plain http(s) URL, else the default. */
export function safeExitUrl(raw) {
  if (typeof raw !== 'string' || !raw) return DEFAULT_EXIT_URL;
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : DEFAULT_EXIT_URL;
  } catch {
    return DEFAULT_EXIT_URL;
  }
}

/**
 * Counts Escape presses: true on the ESC_PRESSES-th within ESC_WINDOW_MS.
 * now() is injectable so the rule is the same in embed.js and here.
 */
export function escCounter(now = () => Date.now()) {
  let times = [];
  return () => {
    const at = now();
    times = times.filter((x) => at - x <= ESC_WINDOW_MS);
    times.push(at);
    if (times.length < ESC_PRESSES) return false;
    times = [];
    return true;
  };
}

/**
 * Wire the quick exit. o.buttons: the exit buttons (the one at the top, and
 * one in each modal dialog, which makes the rest of the page inert); o.url(): the exit
 * address now (from /api/status); o.beforeLeave(): end the chat, called
 * once, errors ignored. Returns leave() for other callers (e.g. a message
 * from the window that opened this one).
 */
export function installQuickExit({ buttons, url, beforeLeave }) {
  let leaving = false;
  function leave() {
    if (leaving) return;
    leaving = true;
    // Hidden first: whatever happens next, nothing of the chat stays on screen.
    document.body.hidden = true;
    try { beforeLeave?.(); } catch { /* best effort */ }
    try { sessionStorage.clear(); } catch { /* storage off */ }
    const target = safeExitUrl(url?.());
    // A page opened by the municipality's button (embed.js) takes that
    // window away too, if the browser lets it.
    try { window.opener?.location.replace(target); } catch { /* not ours to move */ }
    location.replace(target);
  }
  for (const b of buttons || []) b.addEventListener('click', leave);
  const esc = escCounter();
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.repeat && !e.isComposing && esc()) leave();
  }, { capture: true });
  // embed.js on the page that opened this one asks us to leave with it.
  window.addEventListener('message', (e) => {
    if (e.source && e.source === window.opener && e.data && e.data.type === 'neuvo.exit') leave();
  });
  return leave;
}
