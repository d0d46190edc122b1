// CPC Kiosk touch pages: on-screen keyboard, idle wipe, touch niceties.
// The pages work without this script; it adds comfort, never function.
// Nothing is kept in localStorage, sessionStorage or cookies.
(function () {
  'use strict';
  var body = document.body;
  var uiLang = body.getAttribute('data-lang') || 'tg';

  // ---- touch niceties: no context menu, no drag, no pinch or ctrl-zoom ----
  document.addEventListener('contextmenu', function (e) { e.preventDefault(); });
  document.addEventListener('dragstart', function (e) { e.preventDefault(); });
  document.addEventListener('selectstart', function (e) {
    var t = e.target;
    if (!(t && t.closest && t.closest('input, textarea'))) e.preventDefault();
  });
  document.addEventListener('touchmove', function (e) { if (e.touches.length > 1) e.preventDefault(); }, { passive: false });
  document.addEventListener('wheel', function (e) { if (e.ctrlKey) e.preventDefault(); }, { passive: false });
  // A page restored from the back-forward cache may show the last person's
  // data: fetch it again (the server then shows only what the session holds).
  window.addEventListener('pageshow', function (e) { if (e.persisted) location.reload(); });

  // ---- on-screen keyboard ----
  function row(s) { return s.split(' '); }
  var TEXT = {
    tg: { label: 'ТҶ', rows: [row('й қ у к е н г ш ғ з х ъ'), row('ф ҳ в а п р о л д ж э'), row('я ч с м и т ӣ б ю ё ӯ ҷ')] },
    ru: { label: 'РУ', rows: [row('й ц у к е н г ш щ з х ъ'), row('ф ы в а п р о л д ж э'), row('я ч с м и т ь б ю ё')] },
    uzc: { label: 'ЎЗ', rows: [row('й ц у к е н г ш ў з х ъ'), row('ф қ в а п р о л д ж э'), row('я ч с м и т ь б ю ё ғ ҳ')] },
    uzl: { label: 'OʻZ', rows: [row('q w e r t y u i o p oʻ gʻ'), row('a s d f g h j k l ʼ'), row('z x c v b n m sh ch')] },
    en: { label: 'EN', rows: [row('q w e r t y u i o p'), row('a s d f g h j k l'), row('z x c v b n m')] }
  };
  var TEXT_ORDER = ['tg', 'ru', 'uzc', 'uzl', 'en'];
  var FIRST = { tg: 'tg', ru: 'ru', uz: 'uzc', en: 'en' };
  var SYM = [row('1 2 3 4 5 6 7 8 9 0'), row('- / : ; ( ) № « » "'), row('. , ? ! \' + @ #')];
  var PADS = {
    number: [row('1 2 3'), row('4 5 6'), row('7 8 9'), ['{abc}', '0', '-']],
    phone: [row('1 2 3'), row('4 5 6'), row('7 8 9'), ['+', '0', ' ']],
    date: [row('1 2 3'), row('4 5 6'), row('7 8 9'), ['.', '0', '{none}']],
    time: [row('1 2 3'), row('4 5 6'), row('7 8 9'), [':', '0', '{none}']]
  };
  var kb = document.getElementById('kb');
  var field = null;     // the input being typed in
  var mode = null;      // 'text' | 'code' | a PADS key
  var layout = FIRST[uiLang] || 'tg';
  var shift = false, sym = false, letters = false; // letters: a number pad switched to ABC

  function lbl(key) { return kb.getAttribute('data-' + key) || key; }

  function keyButton(text, action, cls, aria) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('data-a', action);
    if (cls) b.className = cls;
    if (aria) b.setAttribute('aria-label', aria);
    return b;
  }

  function upper(k) { return k.charAt(0).toUpperCase() + k.slice(1); }

  function render() {
    kb.textContent = '';
    var rows, pad = PADS[mode] && !letters;
    kb.className = pad ? 'kb pad' : 'kb';
    kb.setAttribute('data-layout', pad ? mode : (sym ? 'sym' : (mode === 'url' ? 'url' : (mode === 'code' || letters ? 'en' : layout))));
    if (pad) {
      rows = PADS[mode];
    } else if (sym) {
      rows = SYM;
    } else {
      var base = (mode === 'code' || mode === 'url' || letters) ? TEXT.en.rows : TEXT[layout].rows;
      if (mode === 'code') rows = [row('1 2 3 4 5 6 7 8 9 0 -')].concat(base);
      else if (mode === 'url') rows = [row('1 2 3 4 5 6 7 8 9 0')].concat(base); // addresses, queue names: Latin, lower case
      else rows = base;
    }
    rows.forEach(function (r) {
      var div = document.createElement('div');
      div.className = 'kb-row';
      r.forEach(function (k) {
        if (k === '{none}') { var s = keyButton('', 'none'); s.disabled = true; s.setAttribute('aria-hidden', 'true'); div.appendChild(s); return; }
        if (k === '{abc}') { div.appendChild(keyButton('ABC', 'abc', 'wide')); return; }
        var t = (shift || mode === 'code' || letters) && !pad ? upper(k) : k;
        var b = keyButton(t, 'key');
        b.setAttribute('data-k', t);
        if (k === ' ') { b.textContent = '␣'; b.setAttribute('aria-label', lbl('space')); }
        div.appendChild(b);
      });
      kb.appendChild(div);
    });
    var c = document.createElement('div');
    c.className = 'kb-row';
    if (!pad) {
      if (mode === 'text') c.appendChild(keyButton('⇧', 'shift', 'wide' + (shift ? ' on' : ''), lbl('shift')));
      if (mode === 'text') c.appendChild(keyButton(sym ? 'АБВ' : '123', 'sym', 'wide'));
      if (mode === 'text' && !sym) c.appendChild(keyButton(TEXT[TEXT_ORDER[(TEXT_ORDER.indexOf(layout) + 1) % TEXT_ORDER.length]].label, 'switch', 'wide', lbl('switch')));
      if (letters) c.appendChild(keyButton('123', 'pad', 'wide'));
      if (mode === 'text') c.appendChild(keyButton('␣', 'key', 'space', lbl('space'))).setAttribute('data-k', ' ');
      if (mode === 'url') row(': / . - _').forEach(function (k) { c.appendChild(keyButton(k, 'key')).setAttribute('data-k', k); });
    }
    c.appendChild(keyButton('⌫', 'bs', 'wide', lbl('backspace')));
    c.appendChild(keyButton(lbl('done'), 'done', 'wide done'));
    kb.appendChild(c);
  }

  function insert(text) {
    var v = field.value, s = field.selectionStart, e = field.selectionEnd;
    if (s == null) { s = e = v.length; }
    var max = field.maxLength > 0 ? field.maxLength : Infinity;
    if (v.length - (e - s) + text.length > max) return;
    field.value = v.slice(0, s) + text + v.slice(e);
    field.setSelectionRange(s + text.length, s + text.length);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function backspace() {
    var v = field.value, s = field.selectionStart, e = field.selectionEnd;
    if (s == null) { s = e = v.length; }
    if (s === e && s > 0) {
      s -= 1;
      // Uzbek oʻ and gʻ are typed as one key: erase them as one.
      if (s > 0 && (v.charAt(s) === 'ʻ')) s -= 1;
    }
    field.value = v.slice(0, s) + v.slice(e);
    field.setSelectionRange(s, s);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // Keep the field above the keyboard and below the sticky danger line.
  function reveal() {
    if (!field) return;
    var h = kb.offsetHeight;
    document.documentElement.style.setProperty('--kb-h', h + 'px');
    var banner = document.querySelector('.danger');
    var topLimit = (banner ? banner.getBoundingClientRect().bottom : 0) + 8;
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    var r = field.getBoundingClientRect();
    var top = label ? Math.min(label.getBoundingClientRect().top, r.top) : r.top;
    var bottomLimit = window.innerHeight - h - 8;
    if (r.bottom > bottomLimit || top < topLimit) {
      window.scrollBy(0, Math.min(top - topLimit, r.bottom - bottomLimit > 0 ? r.bottom - bottomLimit : top - topLimit));
    }
  }

  function open(el) {
    if (field !== el) { shift = false; sym = false; letters = false; }
    field = el;
    mode = el.getAttribute('data-kb');
    if (mode === 'text' && field.value === '') shift = true; // capital first letter
    render();
    kb.hidden = false;
    reveal();
    // The browser may still scroll the focused field itself: check again.
    requestAnimationFrame(reveal);
    setTimeout(reveal, 120);
  }

  function close() {
    kb.hidden = true;
    field = null;
    document.documentElement.style.setProperty('--kb-h', '0px');
  }

  if (kb) {
    document.addEventListener('focusin', function (e) {
      var t = e.target;
      if (t && t.matches && t.matches('[data-kb]')) open(t);
      else if (!kb.contains(t)) close();
    });
    // A tap on a key must not take the focus from the field.
    kb.addEventListener('mousedown', function (e) { e.preventDefault(); });
    kb.addEventListener('click', function (e) {
      var b = e.target.closest('button');
      if (!b || !field) return;
      switch (b.getAttribute('data-a')) {
        case 'key':
          insert(b.getAttribute('data-k'));
          if (shift && mode === 'text') { shift = false; render(); }
          break;
        case 'bs': backspace(); break;
        case 'shift': shift = !shift; render(); break;
        case 'sym': sym = !sym; render(); break;
        case 'switch': layout = TEXT_ORDER[(TEXT_ORDER.indexOf(layout) + 1) % TEXT_ORDER.length]; render(); break;
        case 'abc': letters = true; render(); break;
        case 'pad': letters = false; render(); break;
        case 'done': var f = field; close(); f.blur(); return;
      }
      reveal();
    });
    window.addEventListener('resize', reveal);
  }

  // ---- idle: "Are you still there?", then wipe ----
  var idleSecs = parseInt(body.getAttribute('data-idle'), 10) || 60;
  var countSecs = parseInt(body.getAttribute('data-countdown'), 10) || 20;
  var overlay = document.getElementById('idle');
  var form = document.getElementById('idle-form');
  var counter = document.getElementById('idle-count');
  var idleTimer = 0, tick = 0, left = 0;

  function wipe() { clearInterval(tick); form.submit(); }

  function onIdle() {
    // The home screen holds nothing personal; only a language other than the
    // default is reset for the next person.
    if (body.getAttribute('data-page') === 'home') {
      if (uiLang !== 'tg') wipe();
      return;
    }
    close();
    left = countSecs;
    counter.textContent = String(left);
    overlay.hidden = false;
    tick = setInterval(function () {
      left -= 1;
      counter.textContent = String(Math.max(left, 0));
      if (left <= 0) wipe();
    }, 1000);
  }

  function activity() {
    if (!overlay || !overlay.hidden) return; // only the overlay's buttons answer it
    clearTimeout(idleTimer);
    idleTimer = setTimeout(onIdle, idleSecs * 1000);
  }

  if (overlay && form) {
    ['pointerdown', 'keydown', 'touchstart', 'input'].forEach(function (t) {
      document.addEventListener(t, activity, { passive: true, capture: true });
    });
    document.getElementById('idle-stay').addEventListener('click', function () {
      clearInterval(tick);
      overlay.hidden = true;
      activity();
    });
    activity();
  }
})();

// ---- CPPT dashboard: a filter form marked data-autosubmit shows the
// result as soon as a choice changes (its "Show" button does the same
// without the script) ----
(function () {
  'use strict';
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });
})();

// ---- officer console: one filter picker open at a time (a tap outside
// closes it), and a whole row of the reports list opens its report (the
// number's link does the same without the script) ----
(function () {
  'use strict';
  var picks = document.querySelectorAll('details.pick');
  picks.forEach(function (d) {
    d.addEventListener('toggle', function () {
      if (!d.open) return;
      picks.forEach(function (o) { if (o !== d) o.open = false; });
    });
  });
  if (picks.length) {
    document.addEventListener('click', function (e) {
      if (e.target.closest('details.pick') || e.target.closest('#kb')) return;
      picks.forEach(function (d) { d.open = false; });
    });
  }
  // The personal data just shown after a stated reason: bring it into view.
  var revealed = document.getElementById('revealed');
  if (revealed) revealed.scrollIntoView({ block: 'center' });
  document.querySelectorAll('tr[data-href]').forEach(function (tr) {
    tr.addEventListener('click', function (e) {
      if (e.target.closest('a, button')) return;
      location.href = tr.getAttribute('data-href');
    });
  });
})();
