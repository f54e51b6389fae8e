/** The report's stylesheet, inlined in the page. */
export const reportStyle = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --panel: #ffffff; --page: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--page); }
header.page, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header.page { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 0; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.summary { color: var(--muted); margin: 0; }
.summary b { color: var(--ink); }
.problems { background: #fff4e5; border: 1px solid #f0c27b; border-radius: 6px; padding: 8px 14px; margin-top: 14px; }
.problems ul { margin: 4px 0; padding-left: 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
figure.chart { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 6px; }
figure.chart .plot { width: 100%; min-height: 220px; }
figure.chart .u-legend { font-size: 12px; }
figure.chart .u-title { display: none; }
table.headline { border-collapse: collapse; background: var(--panel); }
table.headline th, table.headline td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; font-weight: normal; }
table.headline td.number { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
.directory { color: var(--muted); margin: 0 0 4px; font-size: 12px; }
.summary .alarm-count, .summary .alarm-count b { color: #9b1c1c; }
table.alarms { border-collapse: collapse; background: var(--panel); width: 100%; }
table.alarms th, table.alarms td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
table.alarms thead th { background: #fde0e0; color: #9b1c1c; font-weight: 600; }
table.alarms td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.alarms code { white-space: nowrap; }
.no-alarms { color: var(--muted); margin: 0; }
.unit { color: var(--muted); font-weight: normal; font-size: 12px; }
.no-data { color: var(--muted); font-style: italic; padding: 30px 0; text-align: center; margin: 0; }
table.last-values { border-collapse: collapse; background: var(--panel); font-size: 12px; }
table.last-values td, table.last-values th { border: 1px solid var(--line); padding: 3px 8px; text-align: left; }
table.last-values td.number { text-align: right; font-variant-numeric: tabular-nums; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
form.filters label { display: flex; gap: 6px; align-items: center; }
form.filters input[type=number] { width: 76px; }
.key { display: flex; flex-wrap: wrap; gap: 6px 12px; margin: 10px 0; font-size: 12px; }
.key span { padding: 1px 6px; border-radius: 4px; }
article.rollout { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
article.rollout header { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
.badge { border-radius: 10px; padding: 1px 9px; font-weight: 600; font-size: 12px; }
.reward-high { background: #d3f2dc; color: #11632d; }
.reward-low { background: #fff0c7; color: #7a5200; }
.reward-zero { background: #fde0e0; color: #9b1c1c; }
.reward-none { background: #e8ebf1; color: var(--muted); }
.badge.reason { background: #e8ebf1; color: var(--ink); font-weight: normal; }
.meta { color: var(--muted); font-size: 12px; }
article.rollout dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
article.rollout dt { color: var(--muted); }
article.rollout dd { margin: 0; }
.warning { color: #8a4b00; font-size: 12px; }
.trajectory { white-space: pre-wrap; word-break: break-word; font: 12.5px/1.6 ui-monospace, "DejaVu Sans Mono", monospace; border-top: 1px solid var(--line); padding-top: 8px; }
.k-think { background: #efe6fb; color: #4b2a7b; }
.k-search { background: #dcebfb; color: #0b4a85; }
.k-result { background: #e7efdf; color: #3b5229; }
.k-answer { background: #d3f2dc; color: #0f5a28; font-weight: 600; }
.lit { font-weight: 700; opacity: 0.75; }
.open { text-decoration: underline wavy #c81e1e; }
.m0 { background-image: repeating-linear-gradient(135deg, rgba(60, 70, 90, 0.13) 0 3px, transparent 3px 7px); color: #6b7385; }
.show-tokens .t0 { box-shadow: inset 0 -2px 0 #f08ab0; }
.show-tokens .t1 { box-shadow: inset 0 -2px 0 #7cb7f0; }
pre.config { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 420px; }
footer { color: var(--muted); font-size: 12px; padding-top: 24px; padding-bottom: 30px; }
`;

/**
 * The rollout viewer's filters: step, reward range and reason hide the non-matching `article.rollout`
 * elements by their `data-*` attributes; the tokens checkbox toggles token boundaries. No data is
 * embedded in the script (it reads the escaped attributes), so model text can never end it early.
 */
export const reportScript = `
(function () {
  'use strict';
  var articles = Array.prototype.slice.call(document.querySelectorAll('article.rollout'));
  var step = document.getElementById('filter-step');
  var reason = document.getElementById('filter-reason');
  var minimum = document.getElementById('filter-min');
  var maximum = document.getElementById('filter-max');
  var tokens = document.getElementById('filter-tokens');
  var shown = document.getElementById('shown-count');
  if (!step || !reason || !minimum || !maximum || !tokens || !shown) return;
  function bound(input, fallback) {
    if (input.value === '') return fallback;
    var value = Number(input.value);
    return isNaN(value) ? fallback : value;
  }
  function apply() {
    var low = bound(minimum, -Infinity);
    var high = bound(maximum, Infinity);
    var rangeOn = minimum.value !== '' || maximum.value !== '';
    var count = 0;
    articles.forEach(function (article) {
      var reward = article.dataset.reward === '' ? NaN : Number(article.dataset.reward);
      var visible =
        (step.value === '' || article.dataset.step === step.value) &&
        (reason.value === '' || article.dataset.reason === reason.value) &&
        (!rangeOn || (reward >= low && reward <= high));
      article.hidden = !visible;
      if (visible) count += 1;
    });
    shown.textContent = String(count);
  }
  [step, reason, minimum, maximum].forEach(function (input) {
    input.addEventListener('input', apply);
    input.addEventListener('change', apply);
  });
  tokens.addEventListener('change', function () {
    document.body.classList.toggle('show-tokens', tokens.checked);
  });
  apply();
})();
`;
