// The managers' dashboard: the filter form shows only the fields of the chosen kind of period;
// every figure with a chart spec (see plugins/dashboard/views.py `chart_spec`) becomes a Chart.js
// chart laid out right to left: time and categories run from the right edge, the value axis
// stands on the right, labels and tooltips are RTL, numbers in Persian digits. A bar with a link
// (a rep, a funnel step) opens the records behind it.
(function () {
  'use strict';
  var form = document.getElementById('filters');
  if (form) {
    var kind = document.getElementById('period-kind');
    var sync = function () {
      form.querySelectorAll('[data-for]').forEach(function (el) {
        el.hidden = el.getAttribute('data-for').split(' ').indexOf(kind.value) < 0;
      });
    };
    kind.addEventListener('change', sync);
    sync();
    // Send only what the chosen period needs and the filters that were set: short, readable URLs.
    form.addEventListener('submit', function () {
      form.querySelectorAll('select, input').forEach(function (el) {
        var wrapper = el.closest('[data-for]');
        if ((wrapper && wrapper.hidden) || el.value === '') { el.disabled = true; }
      });
    });
  }
  if (window.bootstrap) {
    document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) { new bootstrap.Tooltip(el); });
  }

  var specs = JSON.parse((document.getElementById('dashboard-charts') || {textContent: '[]'}).textContent);
  if (!specs.length || !window.Chart) { return; }
  var DIGITS = '۰۱۲۳۴۵۶۷۸۹';
  function persian(text) { return String(text).replace(/\d/g, function (d) { return DIGITS[d]; }); }
  // Grouped with the Persian thousands separator; a real minus kept on the left with an LRM.
  function fa(value) {
    var n = Math.round(Number(value) || 0);
    var text = persian(Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '٬'));
    return n < 0 ? '\u200E−' + text : text;
  }
  // Axis ticks for Rials: ۱٫۲ میلیارد, ۳۵۰ میلیون.
  function compact(value) {
    var n = Number(value) || 0, abs = Math.abs(n), units = [[1e12, 'هزار میلیارد'], [1e9, 'میلیارد'], [1e6, 'میلیون'], [1e3, 'هزار']];
    for (var i = 0; i < units.length; i++) {
      if (abs >= units[i][0]) {
        var v = Math.round(abs / units[i][0] * 10) / 10;
        var text = persian(String(v).replace('.', '٫')) + ' ' + units[i][1];
        return n < 0 ? '\u200E−' + text : text;
      }
    }
    return fa(n);
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#445';
  window.dashboardCharts = {};

  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) { return; }
    var money = spec.unit === 'rial';
    var horizontal = spec.type === 'hbar';
    var datasets = spec.datasets.map(function (d, i) {
      var line = d.type === 'line';
      var set = {label: d.label, data: d.data, type: line ? 'line' : 'bar', order: line ? 0 : i + 1,
                 backgroundColor: d.color, borderColor: d.color, borderWidth: line ? 2 : 0, pointRadius: line ? 2 : 0,
                 tension: 0, spanGaps: false};
      if (line && d.dashed_from !== null && d.dashed_from !== undefined) {
        var from = d.dashed_from;
        set.segment = {borderDash: function (ctx) { return ctx.p1DataIndex >= from ? [6, 4] : undefined; }};
        set.pointStyle = d.data.map(function (_v, k) { return k >= from ? 'rectRot' : 'circle'; });
        set.pointRadius = d.data.map(function (_v, k) { return k >= from ? 4 : 2; });
      }
      return set;
    });
    var valueAxis = {position: 'right', beginAtZero: true, grid: {color: '#eef0f3'},
                     ticks: {precision: 0, callback: function (v) { return money ? compact(v) : fa(v); }}};
    var categoryAxis = {grid: {display: false}, ticks: {autoSkip: !horizontal, maxRotation: 0}};
    var scales = horizontal
      ? {x: Object.assign({}, valueAxis, {reverse: true, position: 'bottom'}), y: Object.assign(categoryAxis, {position: 'right'})}
      : {x: Object.assign(categoryAxis, {reverse: true}), y: valueAxis};
    var chart = new Chart(canvas, {
      type: 'bar',
      data: {labels: spec.labels, datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false, indexAxis: horizontal ? 'y' : 'x', locale: 'fa-IR',
        // No growing bars: a figure is read, not watched, and a half-grown chart (a print, a
        // screenshot, a resize as the page loads) shows bars at the wrong place.
        animation: false,
        interaction: {mode: 'index', intersect: false},
        scales: scales,
        plugins: {
          legend: {display: datasets.length > 1, rtl: true, textDirection: 'rtl', position: 'top', align: 'start',
                   labels: {sort: function (a, b) { return a.datasetIndex - b.datasetIndex; }}},
          tooltip: {rtl: true, textDirection: 'rtl',
                    itemSort: function (a, b) { return a.datasetIndex - b.datasetIndex; },
                    callbacks: {label: function (ctx) {
                      var v = horizontal ? ctx.parsed.x : ctx.parsed.y;
                      if (v === null || v === undefined) { return null; }
                      return ' ' + ctx.dataset.label + ': ' + fa(v) + (money ? ' ریال' : '');
                    }}}
        },
        onClick: function (_event, elements) {
          if (elements.length && spec.links[elements[0].index]) { window.location.href = spec.links[elements[0].index]; }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length && spec.links[elements[0].index] ? 'pointer' : 'default';
        }
      }
    });
    window.dashboardCharts[spec.key] = chart;
    canvas.setAttribute('data-chart-ready', '1');
  });
})();
