// The live dashboard (/dashboard, admin key; docs/design/web.md): polls GET /v1/admin/stats
// every few seconds and draws the engine's health with uPlot: events/s by type, online AUC per
// task, model freshness, table rows and memory, feed latency, how often each feed rule fired;
// and the trending videos.
import uPlot from 'uplot';
import { Api, takeKey } from './api.js';
import { h, fmt } from './dom.js';

const POLL_MS = 2000;
// One colour per event type (15), told apart on the dark background: every pair at least 25
// apart in CIE L*a*b* (dashboard test).
export const PALETTE = ['#fe2c55', '#25f4ee', '#f5c542', '#5ed35e', '#b48cff', '#ff8c1a', '#3d6dff', '#ff7ad9',
  '#f0f0f0', '#b07a4f', '#00a087', '#d4ff4f', '#8c8c8c', '#b00bd9', '#00bbff'];

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
  // Requests come and go at human traffic: every sample is drawn as a point too, and p50 (solid)
  // stays visible where it equals p99 (dashed, wider, beneath it).
  { id: 'latency', title: 'Feed latency (ms)', unit: 'ms', points: true,
    series: (s) => ({ p99: s.map((x) => x.feed_p99_ms ?? null), p50: s.map((x) => x.feed_p50_ms ?? null) }),
    style: { p99: { stroke: '#fe2c55', width: 3, dash: [6, 4] }, p50: { stroke: '#25f4ee', width: 1.5 } } },
  { id: 'rules', title: 'Feed rules fired per interval', unit: '',
    series: (s) => ruleDeltas(s) },
];

const charts = new Map();  // id -> {plot, names, el}
window.__dashboard = { charts, polls: 0, errors: 0, last: null, palette: PALETTE };

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

// An axis as wide as its longest label (uPlot's `size` hook): a fixed width cuts labels such as
// "15,250" off at the edge.
function axisSize(self, values, axisIdx, cycleNum) {
  const axis = self.axes[axisIdx];
  if (cycleNum > 1 && axis._size) return axis._size;
  let size = axis.ticks.size + axis.gap;
  const longest = (values || []).reduce((a, v) => (String(v).length > a.length ? String(v) : a), '');
  if (longest) {
    self.ctx.font = axis.font[0];
    size += self.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.ceil(size) + 4;
}

function timeLabels(self, splits) {
  const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
  const opts = span >= 3600 ? { hour: '2-digit', minute: '2-digit' }
    : { hour: '2-digit', minute: '2-digit', second: '2-digit' };
  return splits.map((t) => new Date(t * 1000).toLocaleTimeString([], opts));
}

function plotFor(c, names, width) {
  const old = charts.get(c.id);
  const same = old && old.names.join('\u0000') === names.join('\u0000');
  if (same) return old;
  if (old) old.plot.destroy();
  const el = document.querySelector(`#chart-${c.id} .plot`);
  // A chart may put some series on a second scale, drawn on the right (MiB beside row counts).
  const right = c.right || { names: [] };
  // The time axis: one line per tick (uPlot's default adds a date line under some ticks, which
  // run into each other), with room between labels at phone width.
  const axes = [{ stroke: '#a2a2ad', grid: { stroke: '#2a2a35' }, space: 80, values: timeLabels },
    { stroke: '#a2a2ad', grid: { stroke: '#2a2a35' }, size: axisSize }];
  if (right.names.some((n) => names.includes(n))) {
    axes.push({ scale: right.scale, side: 1, stroke: '#a2a2ad', grid: { show: false }, size: axisSize, label: right.scale });
  }
  const opts = {
    width, height: 200,
    scales: { x: { time: true } },
    axes,
    series: [{}, ...names.map((n, i) => {
      const style = (c.style && c.style[n]) || {};
      const stroke = style.stroke || PALETTE[i % PALETTE.length];
      return { label: n, stroke, width: style.width || 1.5, dash: style.dash, spanGaps: false,
        points: c.points ? { show: true, size: n === 'p99' ? 9 : 6, stroke, fill: stroke } : undefined,
        ...(right.names.includes(n) ? { scale: right.scale } : {}) };
    })],
    legend: { show: true, live: false },
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
  // The latest sample with feed requests in it (the last interval may have had none).
  const lat = [...samples].reverse().find((x) => x.feed_p50_ms !== null && x.feed_p50_ms !== undefined);
  document.getElementById('summary').replaceChildren(
    stat('events / s', fmt(last.events_total_per_s ?? null, 1)),
    stat('feed p50 / p99 ms', lat ? `${fmt(lat.feed_p50_ms)} / ${fmt(lat.feed_p99_ms ?? null)}` : 'no requests yet'),
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
