// The live dashboard (/dashboard, admin key; docs/design/web.md): polls GET /v1/admin/stats
// every few seconds and draws the engine's health with uPlot: events/s by type, online AUC per
// task, model freshness, table rows and memory, feed latency, how often each feed rule fired;
// and the trending videos.
import uPlot from 'uplot';
import { Api, takeKey } from './api.js';
import { h, fmt } from './dom.js';

const POLL_MS = 2000;
const PALETTE = ['#fe2c55', '#25f4ee', '#f5c542', '#7cdb6a', '#b48cff', '#ff9f43', '#4da3ff', '#ff6bcb',
  '#c0c0c0', '#9be3c4', '#ffd1a1', '#e06666', '#6fa8dc', '#93c47d'];

const key = takeKey('foryou.admin_key');
const api = new Api(key);
const app = document.getElementById('app');

// Each chart: a title, a unit and a function from the response to named series over samples.
const CHARTS = [
  { id: 'events', title: 'Events per second, by type', unit: '/s',
    series: (s) => mapSeries(s, (x) => x.events_per_s) },
  { id: 'auc', title: 'Online AUC per task (last 20k examples)', unit: '',
    series: (s) => mapSeries(s, (x) => x.auc) },
  { id: 'freshness', title: 'Model freshness: event → serving lag (ms)', unit: 'ms',
    series: (s) => ({ 'lag ms': s.map((x) => x.freshness_ms ?? null) }) },
  { id: 'table', title: 'Embedding table rows and process memory', unit: '',
    series: (s) => ({ rows: s.map((x) => x.table_rows ?? null), 'table MiB': s.map((x) => mib(x.table_bytes)),
      'RSS MiB': s.map((x) => mib(x.rss_bytes)) }),
    right: { scale: 'MiB', names: ['table MiB', 'RSS MiB'] } },
  { id: 'latency', title: 'Feed latency (ms)', unit: 'ms',
    series: (s) => ({ p50: s.map((x) => x.feed_p50_ms ?? null), p99: s.map((x) => x.feed_p99_ms ?? null) }) },
  { id: 'rules', title: 'Feed rules fired per interval', unit: '',
    series: (s) => ruleDeltas(s) },
];

const charts = new Map();  // id -> {plot, names, el}
window.__dashboard = { charts, polls: 0, errors: 0, last: null };

function mib(b) {
  return b === null || b === undefined ? null : b / (1 << 20);
}

// Union of the keys of obj(sample) over samples -> one series per key (null where absent).
function mapSeries(samples, obj) {
  const names = new Set();
  for (const x of samples) for (const k of Object.keys(obj(x) || {})) names.add(k);
  const out = {};
  for (const n of [...names].sort()) out[n] = samples.map((x) => { const v = (obj(x) || {})[n]; return v ?? null; });
  return out;
}

// Rule counters are totals; the chart shows how many times each fired in each interval.
function ruleDeltas(samples) {
  const totals = mapSeries(samples, (x) => x.rules);
  const out = {};
  for (const [name, v] of Object.entries(totals)) {
    out[name] = v.map((x, i) => (i === 0 || x === null || v[i - 1] === null ? null : Math.max(0, x - v[i - 1])));
  }
  return out;
}

function render() {
  if (!key) {
    app.replaceChildren(h('main', {}, h('h1', {}, 'foryou dashboard'),
      h('p', {}, 'Open the dashboard with the link `foryou serve` printed (it carries the admin key: ',
        h('code', {}, '/dashboard#key=...'), ').')));
    return false;
  }
  const grid = h('section', { class: 'charts' });
  for (const c of CHARTS) {
    const box = h('div', { class: 'chart', id: 'chart-' + c.id, 'data-points': '0' }, h('h2', {}, c.title),
      h('div', { class: 'plot' }));
    grid.append(box);
  }
  grid.append(h('div', { class: 'chart', id: 'trending' }, h('h2', {}, 'Trending now'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'video'), h('th', {}, 'caption'),
      h('th', {}, 'creator'), h('th', { class: 'num' }, 'score'))), h('tbody', {}))));
  app.replaceChildren(h('main', {},
    h('h1', {}, 'foryou dashboard'),
    h('p', { class: 'hint', id: 'updated', 'aria-live': 'polite' }, 'Loading…'),
    h('section', { class: 'summary', id: 'summary' }),
    grid));
  return true;
}

function plotFor(c, names, width) {
  const old = charts.get(c.id);
  const same = old && old.names.join('\u0000') === names.join('\u0000');
  if (same) return old;
  if (old) old.plot.destroy();
  const el = document.querySelector(`#chart-${c.id} .plot`);
  // A chart may put some series on a second scale, drawn on the right (MiB beside row counts).
  const right = c.right || { names: [] };
  const axes = [{ stroke: '#a2a2ad', grid: { stroke: '#2a2a35' } }, { stroke: '#a2a2ad', grid: { stroke: '#2a2a35' }, size: 60 }];
  if (right.names.some((n) => names.includes(n))) {
    axes.push({ scale: right.scale, side: 1, stroke: '#a2a2ad', grid: { show: false }, size: 50, label: right.scale });
  }
  const opts = {
    width, height: 200,
    scales: { x: { time: true } },
    axes,
    series: [{}, ...names.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false,
      ...(right.names.includes(n) ? { scale: right.scale } : {}) }))],
    legend: { live: false },
  };
  const plot = new uPlot(opts, [[], ...names.map(() => [])], el);
  const entry = { plot, names, el };
  charts.set(c.id, entry);
  return entry;
}

function update(stats) {
  const samples = stats.samples || [];
  const xs = samples.map((x) => x.t_ms / 1000);
  for (const c of CHARTS) {
    const series = c.series(samples);
    const names = Object.keys(series);
    const box = document.getElementById('chart-' + c.id);
    const width = Math.max(260, box.clientWidth - 16);
    const { plot } = plotFor(c, names, width);
    if (Math.abs(plot.width - width) > 4) plot.setSize({ width, height: 200 });
    plot.setData([xs, ...names.map((n) => series[n])]);
    const points = names.reduce((a, n) => a + series[n].filter((v) => v !== null).length, 0);
    box.dataset.points = String(points);
  }
  const last = samples[samples.length - 1] || {};
  const stat = (label, value) => h('div', { class: 'stat' }, h('b', {}, value), h('span', {}, label));
  const auc = last.auc || {};
  document.getElementById('summary').replaceChildren(
    stat('events / s', fmt(last.events_total_per_s ?? null, 1)),
    stat('feed p50 / p99 ms', `${fmt(last.feed_p50_ms ?? null)} / ${fmt(last.feed_p99_ms ?? null)}`),
    stat('model freshness ms', fmt(last.freshness_ms ?? null, 0)),
    stat('AUC ' + (Object.keys(auc)[0] || ''), fmt(Object.values(auc)[0] ?? null, 3)),
    stat('table rows', fmt(last.table_rows ?? null, 0)),
    stat('memory (RSS)', last.rss_bytes ? fmt(mib(last.rss_bytes), 0) + ' MiB' : '–'));
  const body = document.querySelector('#trending tbody');
  body.replaceChildren(...(stats.trending || []).map((t, i) => h('tr', {},
    h('td', {}, String(i + 1)), h('td', {}, t.video), h('td', {}, t.caption || ''), h('td', {}, '@' + (t.creator || '')),
    h('td', { class: 'num' }, fmt(t.score, 2)))));
  document.getElementById('updated').textContent =
    `${samples.length} samples every ${(stats.interval_ms || POLL_MS) / 1000} s · updated ${new Date().toLocaleTimeString()}`;
}

async function poll() {
  try {
    const stats = await api.get('/v1/admin/stats');
    window.__dashboard.polls++;
    window.__dashboard.last = stats;
    update(stats);
  } catch (e) {
    window.__dashboard.errors++;
    const el = document.getElementById('updated');
    if (el) el.textContent = (e.status === 401 || e.status === 403) ? 'This key is not an admin key.' : 'Cannot load stats: ' + e.message;
  }
  setTimeout(poll, POLL_MS);
}

if (render()) {
  poll();
  addEventListener('resize', () => {
    for (const [id, c] of charts) {
      const box = document.getElementById('chart-' + id);
      c.plot.setSize({ width: Math.max(260, box.clientWidth - 16), height: 200 });
    }
  });
}
