/*
 * neuvo chat button for a municipality's own web site.
 *
 * One line on any page (replace the address with your neuvo server's):
 *
 *   <script src="https://neuvonta.example.fi/embed.js" data-lang="fi" async></script>
 *
 * It adds a floating button in the bottom corner that opens the chat in a new
 * window or tab (the chat cannot be framed: its pages send
 * frame-ancestors 'none'), and a quick exit (CONTRACT section 9): a button
 * at the top of the page, and Escape pressed three times within two
 * seconds, replace this page with a neutral site (location.replace, so Back
 * does not return) and tell the chat window opened from here to end the
 * chat and leave too. Optional attributes on the script tag:
 *   data-lang        fi | sv | en   language of the buttons and the chat
 *                                    (default: the page's <html lang>, else fi)
 *   data-label       the chat button's text, overriding the built-in one
 *   data-position    right | left    which corner (default right)
 *   data-exit-url    where the quick exit goes (http or https; default
 *                    https://www.google.com/, as the server's [chat] exit_url)
 *   data-quick-exit  off             no quick exit on this page
 * A site with its own Content-Security-Policy must allow this script's
 * origin in script-src. The chat button is a link: it works without pop-up
 * permissions and by keyboard. Nothing is stored: no cookies, no storage.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  if (document.getElementById('neuvo-chat-button')) return;

  var LABELS = {
    fi: 'Chattaa sosiaalineuvonnan kanssa',
    sv: 'Chatta med socialrådgivningen',
    en: 'Chat with social services advice'
  };
  var NEW_WINDOW = {
    fi: '(avautuu uuteen ikkunaan)',
    sv: '(öppnas i ett nytt fönster)',
    en: '(opens in a new window)'
  };
  var EXIT = { fi: 'Poistu nopeasti', sv: 'Lämna snabbt', en: 'Quick exit' };
  var EXIT_HINT = {
    fi: 'Tai paina Esc kolme kertaa.',
    sv: 'Eller tryck på Esc tre gånger.',
    en: 'Or press Esc three times.'
  };
  var DEFAULT_EXIT = 'https://www.google.com/';

  var lang = (script.getAttribute('data-lang') ||
    (document.documentElement.getAttribute('lang') || '')).slice(0, 2).toLowerCase();
  if (!LABELS[lang]) lang = 'fi';
  var label = script.getAttribute('data-label') || LABELS[lang];
  var left = script.getAttribute('data-position') === 'left';

  var url = new URL('./', script.src);
  url.searchParams.set('lang', lang);
  var chatOrigin = url.origin;
  var quickExit = script.getAttribute('data-quick-exit') !== 'off';
  var exitUrl = DEFAULT_EXIT;
  try {
    var ex = new URL(script.getAttribute('data-exit-url') || DEFAULT_EXIT);
    if (ex.protocol === 'https:' || ex.protocol === 'http:') exitUrl = ex.href;
  } catch (e) { /* keep the default */ }
  var chatWindow = null;
  var leaving = false;

  // Hide this page at once, ask the chat window opened from here to end
  // the chat and leave, and replace this page so that Back skips it.
  function leave() {
    if (leaving) return;
    leaving = true;
    document.documentElement.style.display = 'none';
    if (chatWindow && !chatWindow.closed) {
      try { chatWindow.postMessage({ type: 'neuvo.exit' }, chatOrigin); } catch (e) { /* gone */ }
    }
    location.replace(exitUrl);
  }

  // Escape three times within two seconds, as on the chat page.
  var escTimes = [];
  function onKey(e) {
    if (e.key !== 'Escape' || e.repeat) return;
    var now = Date.now();
    escTimes = escTimes.filter(function (x) { return now - x <= 2000; });
    escTimes.push(now);
    if (escTimes.length >= 3) leave();
  }

  // Styles through the CSSOM, so the host page needs no style-src change:
  // fixed at `edge` (top or bottom) of the chosen side, above the page,
  // with a visible focus ring, plus the element's own look in `look`.
  function floating(el, edge, gap, z, look) {
    var s = el.style;
    s.position = 'fixed';
    s[edge] = gap;
    s[left ? 'left' : 'right'] = gap;
    s.zIndex = z;
    s.font = look.weight + ' 16px/1.25 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    for (var k in look) if (k !== 'weight') s[k] = look[k];
    el.addEventListener('focus', function () { s.outline = '3px solid #b34700'; s.outlineOffset = '2px'; });
    el.addEventListener('blur', function () { s.outline = ''; });
    return s;
  }

  function buildExit() {
    var b = document.createElement('button');
    b.type = 'button';
    b.id = 'neuvo-quick-exit';
    b.lang = lang;
    b.textContent = EXIT[lang];
    b.title = EXIT_HINT[lang];
    floating(b, 'top', '0.5rem', '2147483001', {
      weight: '700', minHeight: '44px', padding: '0.375rem 1rem', borderRadius: '0.5rem',
      border: '2px solid #1b1f24', background: '#ffd24d', color: '#1b1f24', cursor: 'pointer',
      boxShadow: '0 2px 8px rgba(0,0,0,0.3)'
    });
    b.addEventListener('click', leave);
    // First in the page's tab order, as on the chat page.
    document.body.insertBefore(b, document.body.firstChild);
    window.addEventListener('keydown', onKey, true);
  }

  function build() {
    var a = document.createElement('a');
    a.id = 'neuvo-chat-button';
    a.href = url.href;
    a.target = 'neuvo-chat';
    a.rel = 'noopener';
    a.lang = lang;
    // Opened by script, the chat window can be told to leave with this page
    // (and can take this page along on its own quick exit). Pop-ups blocked:
    // the link opens it as before, just without that.
    a.addEventListener('click', function (e) {
      if (!quickExit || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      var w = null;
      try { w = window.open(url.href, 'neuvo-chat'); } catch (err) { w = null; }
      if (w) {
        chatWindow = w;
        e.preventDefault();
      }
    });
    a.setAttribute('aria-label', label + ' ' + NEW_WINDOW[lang]);

    var icon = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    icon.setAttribute('viewBox', '0 0 32 32');
    icon.setAttribute('width', '24');
    icon.setAttribute('height', '24');
    icon.setAttribute('aria-hidden', 'true');
    icon.setAttribute('focusable', 'false');
    var path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M4 6a4 4 0 0 1 4-4h16a4 4 0 0 1 4 4v13a4 4 0 0 1-4 4H14l-7 6v-6H8a4 4 0 0 1-4-4z');
    path.setAttribute('fill', 'currentColor');
    icon.appendChild(path);

    var text = document.createElement('span');
    text.textContent = label;
    a.appendChild(icon);
    a.appendChild(text);

    var s = floating(a, 'bottom', '1rem', '2147483000', {
      weight: '600', display: 'inline-flex', alignItems: 'center', gap: '0.5rem',
      maxWidth: 'calc(100vw - 2rem)', minHeight: '48px', padding: '0.625rem 1.125rem',
      borderRadius: '999px', background: '#0a4f8f', color: '#ffffff', textDecoration: 'none',
      boxShadow: '0 4px 14px rgba(0,0,0,0.3)', border: '2px solid #ffffff'
    });
    a.addEventListener('mouseenter', function () { s.background = '#073a6a'; });
    a.addEventListener('mouseleave', function () { s.background = '#0a4f8f'; });
    document.body.appendChild(a);
    if (quickExit) buildExit();
  }

  if (document.body) build();
  else document.addEventListener('DOMContentLoaded', build);
}());
