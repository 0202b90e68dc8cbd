// stepjobs local console: live refresh of server-rendered fragments and
// state selection on the graph. Everything works without this file too
// (links reload the page); it only saves reloads.
(function () {
  'use strict';

  // Show one state's panel, mark it on the graph, remember it in the URL.
  function select(name, moveFocus) {
    var panels = document.querySelectorAll('.state-panel');
    if (!panels.length) return;
    var found = false;
    panels.forEach(function (p) {
      var on = p.getAttribute('data-state') === name;
      p.hidden = !on;
      found = found || on;
    });
    var none = document.getElementById('no-selection');
    if (none) none.hidden = found;
    document.querySelectorAll('a.state').forEach(function (a) {
      var on = a.getAttribute('data-state') === name;
      a.classList.toggle('selected', on);
      if (on) a.setAttribute('aria-current', 'true'); else a.removeAttribute('aria-current');
    });
    var u = new URL(window.location.href);
    u.searchParams.set('state', name);
    u.hash = '';
    window.history.replaceState(null, '', u);
    if (moveFocus) {
      var card = document.getElementById('state-details');
      if (card && window.matchMedia('(max-width: 999px)').matches) card.scrollIntoView({ block: 'start' });
    }
  }

  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a.state');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    select(a.getAttribute('data-state'), true);
  });

  // Refresh an element from its data-poll URL until the server stops
  // marking the new content for polling (a closed execution).
  function poll(el) {
    var url = el.getAttribute('data-poll');
    var ms = parseInt(el.getAttribute('data-poll-ms'), 10) || 2000;
    var last = null;
    function tick() {
      if (document.hidden) { setTimeout(tick, ms); return; }
      fetch(url, { headers: { 'Accept': 'text/html' }, cache: 'no-store' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error(r.status)); })
        .then(function (html) {
          if (html !== last) {
            last = html;
            var focused = document.activeElement && document.activeElement.getAttribute('data-state');
            el.innerHTML = html;
            var sel = new URL(window.location.href).searchParams.get('state');
            if (sel) select(sel, false);
            if (focused) {
              var again = el.querySelector('a.state[data-state="' + CSS.escape(focused) + '"]');
              if (again) again.focus();
            }
          }
          var summary = el.querySelector('[data-exec-status]');
          if (summary && summary.getAttribute('data-exec-status') !== 'RUNNING') {
            el.removeAttribute('data-poll');
            return; // closed: nothing more will change
          }
          setTimeout(tick, ms);
        })
        .catch(function () { setTimeout(tick, ms * 2); });
    }
    setTimeout(tick, ms);
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-poll]').forEach(poll);
    var sel = new URL(window.location.href).searchParams.get('state');
    if (sel) select(sel, false);
  });
})();
