/**
 * The page's chart drawing: each `div.plot` carries its data as a `data-chart` attribute (`ChartData`,
 * JSON, HTML-escaped in the page), which this script hands to uPlot (inlined before it). The x scale is
 * the data's `[xMin, xMax]`, so an axis ends at the phase's last step; ticks are whole steps. After
 * drawing, the plot box records the drawn x range as `data-x-min` / `data-x-max` (the browser test reads
 * them). No run data is part of the script's text, so model text can never end the script early.
 */
export const chartScript = `
(function () {
  'use strict';
  if (typeof uPlot !== 'function') return;
  var stepIncrements = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];
  // as formatNumber: up to 3 significant digits, exponent form below 0.001 and from 100 000 on
  function label(value) {
    if (value == null || !isFinite(value)) return '';
    if (value === 0) return '0';
    var magnitude = Math.abs(value);
    if (magnitude < 1e-3 || magnitude >= 1e5) return value.toExponential(1).replace('.0e', 'e');
    return String(Number(value.toPrecision(3)));
  }
  function labels(u, splits) { return splits.map(label); }
  var plots = [];
  Array.prototype.slice.call(document.querySelectorAll('div.plot[data-chart]')).forEach(function (box) {
    var chart = JSON.parse(box.getAttribute('data-chart'));
    var series = [{ label: chart.xLabel }].concat(chart.lines.map(function (line) {
      return {
        label: line.label,
        stroke: line.color,
        width: line.width,
        spanGaps: line.spanGaps,
        points: { show: line.points, size: 5, fill: line.color, stroke: line.color }
      };
    }));
    var options = {
      width: Math.max(240, box.clientWidth),
      height: 220,
      series: series,
      scales: {
        x: { time: false, range: function () { return [chart.xMin, chart.xMax]; } },
        y: {
          range: function (u, min, max) {
            if (min == null || max == null) return [0, 1];
            if (chart.includeZero) { min = Math.min(0, min); max = Math.max(0, max); }
            return uPlot.rangeNum(min, max, 0.1, true);
          }
        }
      },
      axes: [{ label: chart.xLabel, incrs: stepIncrements, size: 44 }, { size: 64, values: labels }],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      hooks: {
        setScale: [function (u, key) {
          if (key !== 'x') return;
          box.setAttribute('data-x-min', String(u.scales.x.min));
          box.setAttribute('data-x-max', String(u.scales.x.max));
        }]
      }
    };
    var plot = new uPlot(options, chart.columns, box);
    plots.push({ box: box, plot: plot });
  });
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (entry) { entry.plot.setSize({ width: Math.max(240, entry.box.clientWidth), height: 220 }); });
    }, 100);
  });
})();
`;
