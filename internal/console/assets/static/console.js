// stepjobs local console: live refresh of server-rendered fragments,
// state selection on the graph, and the test form posted in place. Everything works without this file too
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
    var fit = e.target.closest && e.target.closest('.graph-fit');
    if (fit) {
      var box = fit.parentNode.querySelector('.graph');
      fitGraph(box, !box.classList.contains('fit'));
      return;
    }
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
            var box = el.querySelector('.graph');
            var view = box && { fit: box.classList.contains('fit'), x: box.scrollLeft, y: box.scrollTop };
            el.innerHTML = html;
            var again = el.querySelector('.graph');
            if (view && again) { // keep the reader's zoom and scroll
              fitGraph(again, view.fit);
              again.scrollLeft = view.x;
              again.scrollTop = view.y;
            }
            var sel = new URL(window.location.href).searchParams.get('state');
            if (sel) select(sel, false);
            if (focused) {
              var node = el.querySelector('a.state[data-state="' + CSS.escape(focused) + '"]');
              if (node) node.focus();
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

  // A large drawing is shown whole when that keeps its text readable
  // (scaled to 65 % or more), else at its natural size, scrolled to the
  // selected state (or the Start marker). The Fit button switches.
  var minScale = 0.65;
  function fitGraph(box, fit) {
    box.classList.toggle('fit', fit);
    var btn = box.parentNode.querySelector('.graph-fit');
    if (btn) btn.setAttribute('aria-pressed', String(fit));
  }
  function centreGraph() {
    document.querySelectorAll('.graph').forEach(function (box) {
      var svg = box.querySelector('svg.graph-large');
      if (!svg) return;
      var w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
      var maxH = parseFloat(getComputedStyle(box).maxHeight) || window.innerHeight;
      fitGraph(box, Math.min(box.clientWidth / w, maxH / h) >= minScale);
      if (box.scrollWidth <= box.clientWidth) return;
      var target = box.querySelector('.state.selected') || box.querySelector('.terminal');
      if (!target) return;
      var r = target.getBoundingClientRect(), b = box.getBoundingClientRect();
      box.scrollLeft += (r.left + r.width / 2) - (b.left + b.width / 2);
    });
  }

  // The mock's fields show for the kind of mock chosen (all show without
  // the script; the server ignores those of the other kind).
  function syncMock(form) {
    var on = form.querySelector('input[name="mock"]:checked');
    form.querySelectorAll('[data-mock]').forEach(function (el) {
      el.hidden = !on || on.value !== el.getAttribute('data-mock');
    });
  }
  document.addEventListener('change', function (e) {
    if (e.target.name === 'mock' && e.target.form) syncMock(e.target.form);
  });

  // The test form posts in place: the answer page's result section
  // replaces this one, and the form keeps what was typed.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.id !== 'test-state-form' || !window.fetch || !window.DOMParser) return;
    e.preventDefault();
    var out = document.getElementById('ts-result');
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    out.setAttribute('aria-busy', 'true');
    fetch(form.getAttribute('action'), {
      method: 'POST', body: new URLSearchParams(new FormData(form)), cache: 'no-store',
      headers: { 'Accept': 'text/html' }
    })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('ts-result');
        var failed = doc.querySelector('.error-box'); // an error page (the execution is gone)
        if (fresh) out.innerHTML = fresh.innerHTML;
        else if (failed) out.innerHTML = failed.outerHTML;
        else out.textContent = 'No result in the answer.';
      })
      .catch(function (err) {
        out.innerHTML = '';
        var p = document.createElement('p');
        p.className = 'error-box';
        p.setAttribute('role', 'alert');
        p.textContent = 'The test did not run: ' + err.message;
        out.appendChild(p);
      })
      .then(function () {
        button.disabled = false;
        out.removeAttribute('aria-busy');
        out.scrollIntoView({ block: 'start' });
        out.setAttribute('data-runs', String((parseInt(out.getAttribute('data-runs'), 10) || 0) + 1));
      });
  });

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-poll]').forEach(poll);
    var sel = new URL(window.location.href).searchParams.get('state');
    if (sel) select(sel, false);
    centreGraph();
    var form = document.getElementById('test-state-form');
    if (form) syncMock(form);
  });
})();
