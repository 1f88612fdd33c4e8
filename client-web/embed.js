/*
 * neuvo chat button for a municipality's own web site.
 *
 * One line on any page (replace the address with your neuvo server's):
 *
 *   <script src="https://neuvonta.example.fi/embed.js" data-lang="fi" async></script>
 *
 * It adds a floating button in the bottom corner that opens the chat in a new
 * window or tab (the chat cannot be framed: its pages send
 * frame-ancestors 'none'). Optional attributes on the script tag:
 *   data-lang      fi | sv | en   language of the button and the chat
 *                                  (default: the page's <html lang>, else fi)
 *   data-label     the button's text, overriding the built-in one
 *   data-position  right | left    which bottom corner (default right)
 * A site with its own Content-Security-Policy must allow this script's
 * origin in script-src. The button is a plain link: it works without
 * pop-up permissions and by keyboard.
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

  var lang = (script.getAttribute('data-lang') ||
    (document.documentElement.getAttribute('lang') || '')).slice(0, 2).toLowerCase();
  if (!LABELS[lang]) lang = 'fi';
  var label = script.getAttribute('data-label') || LABELS[lang];
  var left = script.getAttribute('data-position') === 'left';

  var url = new URL('./', script.src);
  url.searchParams.set('lang', lang);

  function build() {
    var a = document.createElement('a');
    a.id = 'neuvo-chat-button';
    a.href = url.href;
    a.target = 'neuvo-chat';
    a.rel = 'noopener';
    a.lang = lang;
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

    // Styles through the CSSOM, so the host page needs no style-src change.
    var s = a.style;
    s.position = 'fixed';
    s.bottom = '1rem';
    s[left ? 'left' : 'right'] = '1rem';
    s.zIndex = '2147483000';
    s.display = 'inline-flex';
    s.alignItems = 'center';
    s.gap = '0.5rem';
    s.maxWidth = 'calc(100vw - 2rem)';
    s.minHeight = '48px';
    s.padding = '0.625rem 1.125rem';
    s.borderRadius = '999px';
    s.background = '#0a4f8f';
    s.color = '#ffffff';
    s.font = '600 16px/1.25 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    s.textDecoration = 'none';
    s.boxShadow = '0 4px 14px rgba(0,0,0,0.3)';
    s.border = '2px solid #ffffff';
    a.addEventListener('focus', function () { s.outline = '3px solid #b34700'; s.outlineOffset = '2px'; });
    a.addEventListener('blur', function () { s.outline = ''; });
    a.addEventListener('mouseenter', function () { s.background = '#073a6a'; });
    a.addEventListener('mouseleave', function () { s.background = '#0a4f8f'; });
    document.body.appendChild(a);
  }

  if (document.body) build();
  else document.addEventListener('DOMContentLoaded', build);
}());
