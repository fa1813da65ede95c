// report.html's script: the lead table (search, filters, sort), a page per lead with a picture of
// its evidence, and the language switch. Everything comes from the JSON in #data; text is only ever
// set as textContent, never parsed as markup. The state lives in the address's fragment
// (#q=…&family=…&sort=fen or #lead=…), so a filtered view or a lead's page can be bookmarked and
// sent, and opened the same way by a test.
(function () {
  'use strict';
  var started = performance.now();
  var D = JSON.parse(document.getElementById('data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var DAY = 86400;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // Text in both languages; the page shows one.
  function both(zh, en) {
    var f = document.createDocumentFragment();
    f.appendChild(el('span', { class: 'zh' }, [zh]));
    f.appendChild(el('span', { class: 'en' }, [en]));
    return f;
  }
  function svgBoth(parent, attrs, zh, en) {
    var a = Object.assign({}, attrs);
    a['class'] = (attrs['class'] ? attrs['class'] + ' ' : '') + 'zh';
    parent.appendChild(sv('text', a, zh));
    a['class'] = (attrs['class'] ? attrs['class'] + ' ' : '') + 'en';
    parent.appendChild(sv('text', a, en));
  }
  // Fen as 12,345.67 (integers: exact below 2^53 fen).
  function money(fen) {
    var neg = fen < 0, a = Math.abs(fen);
    var yuan = String(Math.floor(a / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var f = String(a % 100);
    return (neg ? '-' : '') + yuan + '.' + (f.length < 2 ? '0' + f : f);
  }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  // Seconds of the naive local clock, read as UTC so no time zone shifts them.
  function date(s) {
    var d = new Date(s * 1000);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
  }
  function time(s) {
    var d = new Date(s * 1000);
    return date(s) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  var SUBJECT = {
    provider: ['定点机构', 'institution'], patient: ['参保人', 'insured person'],
    doctor: ['医师', 'doctor'], visit: ['就诊', 'visit']
  };
  var STATUS = { 'new': ['新增', 'new'], recurring: ['持续', 'recurring'], escalated: ['升级', 'escalated'] };
  function family(f) { return D.families[f] || f; }
  function rule(id) { return D.rules[id] || [id, id]; }

  // ---- the table ----------------------------------------------------------------------------
  var tbody = document.getElementById('lead-rows');
  var rows = D.leads.map(function (l) {
    var subject = SUBJECT[l.subject_type] || [l.subject_type, l.subject_type];
    var tr = el('tr', { class: 'lead', id: 'row-' + l.id }, [
      el('td', { class: 'num' }, [String(l.rank)]),
      el('td', {}, [el('a', { href: '#lead=' + encodeURIComponent(l.id) }, [el('code', { class: 'lead-id' }, [l.id])])]),
      el('td', {}, [both(subject[0], subject[1]), el('br'), el('code', {}, [l.subject])]),
      el('td', {}, l.provider ? [
        el('code', {}, [l.provider]), el('br'),
        el('span', { class: 'muted' }, [(l.provider_name ? l.provider_name + ' · ' : '') + (D.kinds[l.kind] || l.kind)])
      ] : []),
      el('td', { class: 'num' }, [l.score.toFixed(3)]),
      el('td', { class: l.referral ? 'num ref' : 'num' }, [money(l.fen)]),
      el('td', {}, [
        both(l.headline[0], l.headline[1]),
        l.status ? el('span', { class: 'status ' + l.status }, [both(STATUS[l.status][0], STATUS[l.status][1])]) : '',
        el('div', { class: 'muted' }, [both(l.families.map(family).join('、') + ' · ' + l.hit_count + ' 条命中',
          l.families.join(', ') + ' · ' + l.hit_count + ' hits')])
      ])
    ]);
    return tr;
  });
  // What a search matches: ids, names, rule ids and names, headlines, families.
  var haystack = D.leads.map(function (l) {
    return [l.id, l.subject, l.provider || '', l.provider_name || '', l.headline[0], l.headline[1]]
      .concat(l.rules, l.rules.map(function (r) { return rule(r).join(' '); }), l.families, l.families.map(family))
      .join('\n').toLowerCase();
  });
  var controls = {
    q: document.getElementById('q'), family: document.getElementById('f-family'),
    kind: document.getElementById('f-kind'), referral: document.getElementById('f-referral'),
    status: document.getElementById('f-status')
  };
  var state = { q: '', family: '', kind: '', referral: '', status: '', sort: 'rank', dir: 'asc', lead: '' };

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    for (var k in state) state[k] = p.get(k) || (k === 'sort' ? 'rank' : k === 'dir' ? 'asc' : '');
  }
  function writeHash() {
    var p = new URLSearchParams();
    for (var k in state) {
      if (state[k] && !(k === 'sort' && state[k] === 'rank') && !(k === 'dir' && state[k] === 'asc')) p.set(k, state[k]);
    }
    var h = '#' + p.toString();
    if (h === '#') h = location.pathname.split('/').pop() || '#';
    try { history.replaceState(null, '', h); } catch (e) { /* a file: page may refuse; the view is right anyway */ }
  }
  function matches(i) {
    var l = D.leads[i];
    if (state.family && l.families.indexOf(state.family) < 0) return false;
    if (state.kind && l.kind !== state.kind) return false;
    if (state.referral && String(l.referral ? 1 : 0) !== state.referral) return false;
    if (state.status && l.status !== state.status) return false;
    if (state.q) {
      var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
      for (var w = 0; w < words.length; w++) if (haystack[i].indexOf(words[w]) < 0) return false;
    }
    return true;
  }
  function order() {
    var idx = D.leads.map(function (_, i) { return i; });
    var key = state.sort, sign = state.dir === 'desc' ? -1 : 1;
    if (key !== 'rank') {
      idx.sort(function (a, b) {
        var x = D.leads[a][key], y = D.leads[b][key];
        // Ties by rank, itself ordered by text ids: the same order every time.
        return x !== y ? (x < y ? -sign : sign) : D.leads[a].rank - D.leads[b].rank;
      });
    } else if (sign < 0) {
      idx.reverse();
    }
    return idx;
  }
  function renderTable() {
    var shown = order().filter(matches);
    var f = document.createDocumentFragment();
    shown.forEach(function (i) { f.appendChild(rows[i]); });
    tbody.replaceChildren(f);
    var c = document.getElementById('count');
    c.replaceChildren(both('显示 ' + shown.length + ' / ' + D.leads.length + ' 条', shown.length + ' of ' + D.leads.length + ' shown'));
    c.setAttribute('data-shown', String(shown.length));
    document.querySelectorAll('#lead-table th.sort').forEach(function (th) {
      th.setAttribute('aria-sort', th.dataset.sort === state.sort ? (state.dir === 'desc' ? 'descending' : 'ascending') : 'none');
    });
  }

  // ---- a lead's page ------------------------------------------------------------------------
  function card(v, zh, en) {
    // Ids and names in a smaller hand than numbers.
    var text = /[^0-9.,%/ —-]/.test(v);
    return el('div', { class: text ? 'card text' : 'card' }, [el('div', { class: 'v' }, [v]), el('div', { class: 'k' }, [both(zh, en)])]);
  }
  function legend(items) {
    return el('div', { class: 'legend' }, items.map(function (it) {
      return el('span', {}, [el('i', { style: 'background:' + it[0] }), both(it[1], it[2])]);
    }));
  }
  var RED = '#b3261e', BLUE = '#2f6fb0', ORANGE = '#e08a00';

  function timeline(p) {
    var W = 1160, L = 190, R = 16, TOP = 30, TRACK = 24, GAP = 10;
    var span = Math.max(1, p.to - p.from);
    function x(t) { return L + (W - L - R) * (Math.min(Math.max(t, p.from), p.to) - p.from) / span; }
    // Each person's settlements in tracks, so that overlapping stays (and marks on them) show
    // side by side: greedy packing in time order, a mark taking 14 pixels.
    var mark = 14 * span / (W - L - R);
    var packed = p.lanes.map(function (lane) {
      var ends = [];
      var order = lane.events.map(function (e, i) { return i; }).sort(function (a, b) {
        return lane.events[a].start - lane.events[b].start || a - b;
      });
      var track = new Array(lane.events.length);
      order.forEach(function (i) {
        var e = lane.events[i], end = Math.max(e.end, e.start + mark);
        var k = 0;
        while (k < ends.length && ends[k] > e.start) k++;
        ends[k] = end;
        track[i] = k;
      });
      return { track: track, tracks: Math.max(ends.length, 1) };
    });
    var H = TOP + packed.reduce(function (h, l) { return h + l.tracks * TRACK + GAP; }, 0) + 4;
    var svg = sv('svg', { class: 'picture timeline', viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img' });
    var byDay = span > 2 * DAY;
    var steps = byDay ? [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY] : [300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600];
    var step = steps.filter(function (s) { return span / s <= 14; })[0] || steps[steps.length - 1];
    var firstTick = true;
    for (var t = Math.ceil(p.from / step) * step; t <= p.to; t += step) {
      svg.appendChild(sv('line', { x1: x(t), x2: x(t), y1: TOP - 6, y2: H - 4, stroke: '#e3e8ee' }));
      // Minutes: the first tick carries the date.
      var lbl = byDay ? date(t).slice(5) : (firstTick ? time(t).slice(5) : time(t).slice(11));
      firstTick = false;
      svg.appendChild(sv('text', { x: x(t), y: TOP - 12, 'font-size': 11, 'text-anchor': 'middle', fill: '#5b6b7c' }, lbl));
    }
    var y0 = TOP;
    p.lanes.forEach(function (lane, i) {
      var pk = packed[i], hLane = pk.tracks * TRACK;
      svg.appendChild(sv('rect', { x: L, y: y0, width: W - L - R, height: hLane, fill: i % 2 ? '#fff' : '#f7f9fb' }));
      svg.appendChild(sv('text', { x: L - 8, y: y0 + Math.min(hLane, TRACK) / 2 + 4, 'font-size': 12, 'text-anchor': 'end' }, lane.label));
      lane.events.forEach(function (e, j) {
        var y = y0 + pk.track[j] * TRACK;
        var color = e.flagged ? RED : (e.provider === p.subject_provider ? BLUE : ORANGE);
        var tip = e.visit + ' · ' + p.providers[e.provider] + ' · ' + time(e.start) +
          (e.end > e.start ? ' – ' + time(e.end) : '') + ' · ' + money(e.fen) + ' 元';
        var g = sv('g', { class: 'event ' + e.kind + (e.flagged ? ' flagged' : '') });
        g.appendChild(sv('title', {}, tip));
        if (e.kind === 'inpatient') {
          var x0 = x(e.start), x1 = Math.max(x(e.end), x0 + 3);
          g.appendChild(sv('rect', { x: x0, y: y + 4, width: x1 - x0, height: TRACK - 8, fill: '#fff', stroke: color, 'stroke-width': 1.5 }));
          var d0 = Math.floor(e.start / DAY) * DAY;
          (e.charged_days || []).forEach(function (d) {
            var a = Math.max(d0 + d * DAY, e.start), b = Math.min(d0 + (d + 1) * DAY, e.end);
            if (b > a) g.appendChild(sv('rect', { class: 'charged', x: x(a), y: y + 6, width: Math.max(1, x(b) - x(a)), height: TRACK - 12, fill: color, opacity: 0.55 }));
          });
        } else if (e.kind === 'pharmacy') {
          var cx = x(e.start), cy = y + TRACK / 2;
          g.appendChild(sv('rect', { x: cx - 5, y: cy - 5, width: 10, height: 10, fill: color, transform: 'rotate(45 ' + cx + ' ' + cy + ')' }));
        } else {
          g.appendChild(sv('circle', { cx: x(e.start), cy: y + TRACK / 2, r: 5.5, fill: color }));
        }
        svg.appendChild(g);
      });
      if (lane.more) svg.appendChild(sv('text', { x: W - R - 2, y: y0 + 11, 'font-size': 10, 'text-anchor': 'end', fill: '#5b6b7c' }, '+' + lane.more));
      y0 += hLane + GAP;
    });
    var box = el('figure', { class: 'picture-box' }, [svg]);
    box.appendChild(legend([
      [RED, '本线索命中的结算', "the lead's settlements"],
      [BLUE, '本机构的其他结算', 'other settlements at the institution'],
      [ORANGE, '其他机构的结算', 'settlements elsewhere']
    ]));
    box.appendChild(el('figcaption', {}, [both(
      '方框为住院（入院至出院），实心部分为有收费的日期，空白为无收费的“空床日”；圆点为门诊，菱形为药店结算。' +
        (p.more_people ? '另有 ' + p.more_people + ' 人未画出。' : ''),
      'Boxes are stays (admission to discharge), filled on the days anything was charged and open on hollow days; dots are outpatient visits, diamonds pharmacy settlements.' +
        (p.more_people ? ' ' + p.more_people + ' more people not drawn.' : ''))]));
    return box;
  }

  function measure(p, v) { return p.measure === 'visits_per_patient' ? (v / 100).toFixed(2) : money(v); }
  function peers(p) {
    var W = 1160, H = 250, L = 20, R = 20, TOP = 20, BOT = 36;
    var svg = sv('svg', { class: 'picture peers', viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img' });
    var n = p.values.length, max = Math.max(p.subject, n ? p.values[n - 1] : 0, 1);
    var bw = (W - L - R) / Math.max(n, 1);
    function y(v) { return TOP + (H - TOP - BOT) * (1 - Math.max(v, 0) / max); }
    p.values.forEach(function (v, i) {
      svg.appendChild(sv('rect', { x: L + i * bw, y: y(v), width: Math.max(bw - 0.5, 0.5), height: H - BOT - y(v), fill: '#b8c7d9' }));
    });
    var pos = p.peers > 1 ? (p.peers - p.rank) / (p.peers - 1) : 1;
    var sx = L + pos * (W - L - R - bw);
    svg.appendChild(sv('rect', { class: 'subject', x: sx, y: y(p.subject), width: Math.max(bw, 4), height: H - BOT - y(p.subject), fill: RED }));
    svg.appendChild(sv('line', { x1: L, x2: W - R, y1: y(p.median), y2: y(p.median), stroke: '#12324f', 'stroke-dasharray': '5 4' }));
    svgBoth(svg, { x: L + 4, y: y(p.median) - 5, 'font-size': 12 }, '同类中位数 ' + measure(p, p.median), 'peer median ' + measure(p, p.median));
    svgBoth(svg, { x: Math.min(sx, W - R - 260), y: Math.max(y(p.subject) - 6, 14), 'font-size': 12, fill: RED },
      '本机构 ' + measure(p, p.subject) + '（第 ' + p.rank + ' / ' + p.peers + ' 名）',
      'this institution ' + measure(p, p.subject) + ' (rank ' + p.rank + ' of ' + p.peers + ')');
    svgBoth(svg, { x: L, y: H - 12, 'font-size': 12, fill: '#5b6b7c' },
      '同类机构（' + p.group + '）按' + p.measure_zh + '由低到高排列',
      'peers (' + p.group + ') by ' + p.measure_en + ', lowest to highest');
    var box = el('figure', { class: 'picture-box' }, [svg]);
    box.appendChild(legend([[RED, '本机构', 'this institution'], ['#b8c7d9', '同类机构', 'peers']]));
    return box;
  }

  function chains(p) {
    var box = el('figure', { class: 'picture-box chains' });
    p.chains.forEach(function (c) {
      var row = el('div', { class: 'chain' }, [el('div', { class: 'code' }, [both('追溯码 ', 'trace code '), el('code', {}, [c.code])])]);
      var cards = el('div', { class: 'chain-cards' });
      c.sales.forEach(function (s, i) {
        if (i) cards.appendChild(el('span', { class: 'arrow' }, ['→']));
        cards.appendChild(el('div', { class: 'sale' + (s.flagged ? ' flagged' : '') }, [
          el('div', { class: 'when' }, [time(s.time)]),
          el('div', {}, [both('参保人 ', 'person '), el('code', {}, [s.patient])]),
          el('div', {}, [both('机构 ', 'at '), el('code', {}, [s.provider])]),
          el('div', {}, [both('数量 ', 'quantity '), s.quantity]),
          el('div', { class: 'muted' }, [s.visit])
        ]));
      });
      if (c.more) cards.appendChild(el('span', { class: 'muted' }, ['+' + c.more]));
      row.appendChild(cards);
      box.appendChild(row);
    });
    box.appendChild(el('figcaption', {}, [both(
      '同一追溯码的每次销售，按时间排列；红框为本线索命中的结算。一盒药的追溯码只应售出一次。',
      "Every sale of the same trace code, in time order; red frames are the lead's settlements. A pack's code should be sold once.")]));
    return box;
  }

  function picture(l) {
    var p = D.pictures[l.id];
    if (!p) {
      return el('p', { class: 'muted' }, [both(
        '证据图仅为前 ' + D.pictures_for + ' 条线索生成（[leads] report_pictures）。',
        'Pictures are drawn for the first ' + D.pictures_for + ' leads ([leads] report_pictures).')]);
    }
    return p.type === 'timeline' ? timeline(p) : p.type === 'peers' ? peers(p) : chains(p);
  }

  function leadPage(l) {
    var page = document.getElementById('lead-page');
    var back = new URLSearchParams();
    ['q', 'family', 'kind', 'referral', 'status', 'sort', 'dir'].forEach(function (k) { if (state[k]) back.set(k, state[k]); });
    var subject = SUBJECT[l.subject_type] || [l.subject_type, l.subject_type];
    var kids = [
      el('a', { href: '#' + back.toString(), class: 'back' }, [both('← 返回线索列表', '← back to the leads')]),
      el('h2', {}, [both('线索 ' + l.rank + ' · ', 'Lead ' + l.rank + ' · '), el('code', { class: 'lead-id' }, [l.id])]),
      el('p', { class: 'headline' }, [both(l.headline[0], l.headline[1])]),
      el('div', { class: 'cards' }, [
        card(subject[0] + ' ' + l.subject, '对象', 'subject'),
        card(l.provider ? (l.provider_name || l.provider) : '—', '定点机构', 'institution'),
        card(l.score.toFixed(3), '评分', 'score'),
        card(money(l.fen), l.referral ? '涉及金额（元，达到移送标准）' : '涉及金额（元）', l.referral ? 'amount (yuan, for referral)' : 'amount (yuan)'),
        card(String(l.hit_count), '命中', 'hits'),
        card(l.status ? STATUS[l.status][0] + ' / ' + STATUS[l.status][1] : '—', '与上期比较', 'against the baseline')
      ].concat(l.points != null ? [card(l.points + (l.points_ytd != null ? ' / ' + l.points_ytd : ''), '记分（本期 / 年度累计）', 'points (period / year)')] : [])),
      el('h3', {}, [both('证据图', 'Picture of the evidence')]),
      picture(l),
      el('h3', {}, [both('命中明细', 'Hits')])
    ];
    var table = el('table', { class: 'hits' }, [el('tr', {}, [
      el('th', {}, [both('规则', 'Rule')]), el('th', { class: 'num' }, [both('金额（元）', 'Amount')]),
      el('th', { class: 'num' }, [both('严重度', 'Severity')]), el('th', {}, [both('证据', 'Evidence')]),
      el('th', {}, [both('就诊 / 明细', 'Visit / lines')])
    ])]);
    l.hits.forEach(function (i) {
      var h = D.hits[i], r = rule(h.rule);
      table.appendChild(el('tr', {}, [
        el('td', {}, [both(r[0], r[1]), el('br'), el('code', {}, [h.rule])]),
        el('td', { class: 'num' }, [money(h.fen)]),
        el('td', { class: 'num' }, [h.severity.toFixed(2)]),
        el('td', {}, [both(h.evidence[0], h.evidence[1])]),
        el('td', {}, [h.visit ? el('code', {}, [h.visit]) : '', h.line_count ? el('div', { class: 'muted' }, [
          h.lines.join(' ') + (h.line_count > h.lines.length ? ' … (' + h.line_count + ')' : '')]) : ''])
      ]));
    });
    kids.push(table);
    if (l.hit_count > l.hits.length) {
      kids.push(el('p', { class: 'muted' }, [both('另有 ' + (l.hit_count - l.hits.length) + ' 条命中见 hits.parquet 与案件材料。',
        (l.hit_count - l.hits.length) + ' more hits in hits.parquet and the dossier.')]));
    }
    if (l.dossier) {
      kids.push(el('p', {}, [both('案件材料（曝光台案例格式）：', 'Case dossier (exposure-case format): '),
        el('a', { href: 'cases/' + encodeURIComponent(l.id) + '.md' }, ['Markdown']), ' · ',
        el('a', { href: 'cases/' + encodeURIComponent(l.id) + '.docx' }, ['Word'])]));
    }
    page.replaceChildren.apply(page, kids);
  }

  function render() {
    var lead = state.lead && D.leads.filter(function (l) { return l.id === state.lead; })[0];
    document.body.classList.toggle('on-lead', !!lead);
    document.getElementById('lead-page').hidden = !lead;
    if (lead) {
      leadPage(lead);
      window.scrollTo(0, 0);
    } else {
      renderTable();
    }
  }
  function fromControls() {
    state.q = controls.q.value.trim();
    state.family = controls.family.value;
    state.kind = controls.kind.value;
    state.referral = controls.referral.value;
    state.status = controls.status ? controls.status.value : '';
    state.lead = '';
    writeHash();
    renderTable();
  }
  function toControls() {
    controls.q.value = state.q;
    controls.family.value = state.family;
    controls.kind.value = state.kind;
    controls.referral.value = state.referral;
    if (controls.status) controls.status.value = state.status;
  }
  var timer;
  controls.q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(fromControls, 120); });
  ['family', 'kind', 'referral', 'status'].forEach(function (k) {
    if (controls[k]) controls[k].addEventListener('change', fromControls);
  });
  document.querySelectorAll('#lead-table th.sort').forEach(function (th) {
    th.addEventListener('click', function () {
      var k = th.dataset.sort;
      state.dir = state.sort === k ? (state.dir === 'desc' ? 'asc' : 'desc') : (k === 'rank' ? 'asc' : 'desc');
      state.sort = k;
      writeHash();
      renderTable();
    });
  });
  window.addEventListener('hashchange', function () { readHash(); toControls(); render(); });
  document.getElementById('lang').addEventListener('click', function () {
    var h = document.documentElement;
    h.lang = h.lang === 'zh' ? 'en' : 'zh';
  });
  readHash();
  // #lang=en opens the page in English.
  if (new URLSearchParams(location.hash.replace(/^#/, '')).get('lang') === 'en') document.documentElement.lang = 'en';
  toControls();
  render();
  // How long the page took to read its data and draw the first view, for whoever measures it.
  document.getElementById('count').setAttribute('data-ms', String(Math.round(performance.now() - started)));
})();
