// The Ads Manager (/ads.html, docs/design/web.md): an advertiser signs in with its account,
// creates campaigns, ad groups and ads in forms that check each field as it is typed (the
// server's errors appear beside the field they name), pauses and resumes them, and sees each ad
// group's delivery today: spend against the pacing plan by hour, impressions, CPA and its
// learning state, drawn as plain SVG. Everything goes through /v1/ads (docs/api.md, "Ads").
import { h, fmt } from './dom.js';

const MICROS = 1e6;
const HOUR = 3600e3;
const app = document.getElementById('app');

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  if (!res.ok) {
    const e = new Error(json?.error?.message || `HTTP ${res.status}`);
    e.status = res.status;
    throw e;
  }
  return json;
}

// ---- Forms: fields checked as they are typed; a server error lands beside its field ----

const text = (v) => String(v ?? '').trim();
const money = (v) => Math.round(Number(text(v) || 0) * MICROS);
const list = (v) => text(v).split(',').map((s) => s.trim()).filter(Boolean);
const dateMs = (v) => (text(v) ? Date.parse(text(v) + 'T00:00:00Z') : 0);
const needName = (v) => (text(v).length < 1 || text(v).length > 200 ? 'a name of 1 to 200 characters' : '');

// `fields`: {name (the JSON field, dotted for nested ones), label, type, options, value,
// check(raw, form) -> '' | message, json(raw) -> value}. `submit(body)` sends it.
function form(title, id, fields, submit, done) {
  const err = h('p', { class: 'error', role: 'alert' });
  const inputs = {};
  const errors = {};
  const rows = fields.map((f) => {
    const input = f.options
      ? h('select', { name: f.name }, f.options.map((o) => h('option', { value: o }, o)))
      : h('input', { name: f.name, type: f.type || 'text', value: f.value ?? '', placeholder: f.placeholder || '' });
    inputs[f.name] = input;
    errors[f.name] = h('span', { class: 'field-error', 'data-for': f.name, role: 'status' });
    return h('label', {}, f.label, input, errors[f.name]);
  });
  const el = h('form', { class: 'card ads-form', id, novalidate: true }, h('h2', {}, title), rows, err,
    h('button', { type: 'submit', class: 'primary' }, 'Create'));
  const raw = () => Object.fromEntries(fields.map((f) => [f.name, inputs[f.name].value]));
  const check = () => {
    const values = raw();
    let ok = true;
    for (const f of fields) {
      const message = f.check ? f.check(values[f.name], values) : '';
      errors[f.name].textContent = message;
      inputs[f.name].setAttribute('aria-invalid', message ? 'true' : 'false');
      if (message) ok = false;
    }
    return ok;
  };
  el.addEventListener('input', check);
  el.addEventListener('change', check);
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!check()) return;
    const values = raw();
    const body = {};
    for (const f of fields) {
      const v = f.json ? f.json(values[f.name]) : text(values[f.name]);
      if (v === undefined) continue;
      const path = f.name.split('.');
      let at = body;
      for (const p of path.slice(0, -1)) at = at[p] ??= {};
      at[path[path.length - 1]] = v;
    }
    try {
      const made = await submit(body);
      el.reset();
      done(made);
    } catch (e) {
      // "campaign.budget_micros: must be > 0" -> beside the budget field.
      const m = /^[a-z_]+\.([a-z_.]+?)(?:\[\d+\])?: (.*)$/.exec(e.message);
      const field = m && fields.find((f) => f.name === m[1] || m[1].startsWith(f.name + '.'));
      if (field) {
        errors[field.name].textContent = m[2];
        inputs[field.name].setAttribute('aria-invalid', 'true');
      } else {
        err.textContent = e.message;
      }
    }
  });
  el.setOptions = (name, options) => {
    const keep = inputs[name].value;
    inputs[name].replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
    if (options.some(([v]) => v === keep)) inputs[name].value = keep;
  };
  return el;
}

// ---- Charts: one ad group's hours of today ----

function chart(title, hours, series, unit) {
  const W = 360, H = 120, pad = 22;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => pad + (i * (W - pad - 4)) / hours.length;
  const y = (v) => H - pad - (v / max) * (H - pad - 8);
  const bw = (W - pad - 4) / hours.length - 2;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'ads-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const add = (tag, attrs) => {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
    return el;
  };
  add('line', { x1: pad, y1: H - pad, x2: W - 4, y2: H - pad, class: 'axis' });
  for (const s of series) {
    if (s.kind === 'bars') {
      s.values.forEach((v, i) => add('rect', {
        x: x(i) + 1, y: y(v), width: Math.max(1, bw), height: H - pad - y(v), class: s.cls, 'data-hour': i,
      }));
    } else {
      add('polyline', { points: s.values.map((v, i) => `${x(i) + bw / 2 + 1},${y(v)}`).join(' '), class: s.cls });
    }
  }
  for (const i of [0, 6, 12, 18]) {
    add('text', { x: x(i), y: H - 6, class: 'tick' }).textContent = String(new Date(hours[i]).getUTCHours()).padStart(2, '0') + 'h';
  }
  add('text', { x: 2, y: 12, class: 'tick' }).textContent = fmt(max) + unit;
  return h('figure', { class: 'ads-figure' }, h('figcaption', {}, title), svg);
}

function deliveryCard(group, rows) {
  const hours = group.plan.map((p) => p.hour_ms);
  const at = (field) => hours.map((t) => rows.filter((r) => r.id === group.id && r.bucket_ms === t)
    .reduce((sum, r) => sum + r[field], 0));
  const spend = at('spend_micros').map((v) => v / MICROS);
  const plan = group.plan.map((p) => p.planned_micros / MICROS);
  const impressions = at('impressions');
  const conversions = at('conversions').reduce((a, b) => a + b, 0);
  const spent = spend.reduce((a, b) => a + b, 0);
  return h('section', { class: 'card ads-delivery', 'data-group': group.id },
    h('h3', {}, group.name, ' ',
      h('span', { class: 'badge ' + (group.learning ? 'learning' : 'learned') }, group.learning ? 'Learning' : 'Learned'),
      group.paused ? h('span', { class: 'badge paused' }, 'Paused') : null),
    h('p', { class: 'hint' },
      `Spent today ${fmt(spent)} of ${group.daily_target_micros === null ? 'no limit' : fmt(group.daily_target_micros / MICROS)}`,
      ` · ${fmt(impressions.reduce((a, b) => a + b, 0), 0)} impressions`,
      ` · CPA ${conversions ? fmt(spent / conversions) : '–'}`,
      ` · ${group.goal_events} ${group.goal} events`),
    chart('Spend vs plan by hour', hours, [
      { kind: 'bars', values: spend, cls: 'spend' }, { kind: 'line', values: plan, cls: 'plan' }], ''),
    chart('Impressions by hour', hours, [{ kind: 'bars', values: impressions, cls: 'impressions' }], ''));
}

// ---- The signed-in page ----

async function manager(me) {
  const state = { account: '', accounts: [] };
  const picker = h('select', { name: 'account', 'aria-label': 'Ads account' });
  const tree = h('section', { class: 'card ads-tree' });
  const delivery = h('section', { class: 'ads-deliveries' });
  const status = h('p', { class: 'error', role: 'alert' });

  const accountForm = form('New ads account', 'new-account', [
    { name: 'name', label: 'Account name', check: needName },
  ], (body) => call('POST', '/v1/ads/accounts', body), async (a) => {
    state.account = a.id;
    await refresh();
  });
  const campaignForm = form('New campaign', 'new-campaign', [
    { name: 'name', label: 'Name', check: needName },
    { name: 'objective', label: 'Objective', options: ['reach', 'video_views', 'traffic', 'conversions'] },
    { name: 'budget_mode', label: 'Budget', options: ['daily', 'lifetime', 'none'] },
    { name: 'budget_micros', label: 'Budget amount', type: 'number', json: money,
      check: (v, f) => (f.budget_mode !== 'none' && !(Number(v) > 0) ? 'a budget above 0' : '') },
    { name: 'start_ms', label: 'Start (UTC)', type: 'date', json: dateMs },
    { name: 'end_ms', label: 'End (UTC)', type: 'date', json: dateMs,
      check: (v, f) => (text(v) && text(f.start_ms) && dateMs(v) <= dateMs(f.start_ms) ? 'after the start' : '') },
  ], (body) => call('POST', '/v1/ads/campaigns', { ...body, account: state.account }), () => refresh());
  const groupForm = form('New ad group', 'new-ad-group', [
    { name: 'campaign', label: 'Campaign', options: [] },
    { name: 'name', label: 'Name', check: needName },
    { name: 'goal', label: 'Optimise for', options: ['click', 'impression', 'view', 'conversion'] },
    { name: 'bid_strategy', label: 'Bid strategy', options: ['bid_cap', 'cost_cap', 'lowest_cost'] },
    { name: 'bid_micros', label: 'Bid (per event; CPM per 1,000)', type: 'number', json: money,
      check: (v, f) => (f.bid_strategy === 'lowest_cost'
        ? (Number(v) ? 'no bid with lowest cost' : '')
        : !(Number(v) > 0) ? 'a bid above 0' : '') },
    { name: 'budget_mode', label: 'Budget', options: ['daily', 'lifetime', 'none'] },
    { name: 'budget_micros', label: 'Budget amount', type: 'number', json: money,
      check: (v, f) => (f.budget_mode !== 'none' && !(Number(v) > 0) ? 'a budget above 0' : '') },
    { name: 'pacing', label: 'Pacing', options: ['smooth', 'fast'] },
    { name: 'targeting.countries', label: 'Countries (US, CA)', json: (v) => list(v).map((c) => c.toUpperCase()),
      check: (v) => (list(v).every((c) => /^[A-Za-z]{2}$/.test(c)) ? '' : 'two-letter codes, comma separated') },
    { name: 'targeting.interests', label: 'Interests (dance, cats)', json: list },
  ], (body) => call('POST', '/v1/ads/ad_groups', body), () => refresh());
  const adForm = form('New ad', 'new-ad', [
    { name: 'ad_group', label: 'Ad group', options: [] },
    { name: 'name', label: 'Name', check: needName },
    { name: 'video', label: 'Video id (one of your posts)',
      check: (v) => (/^[A-Za-z0-9_-]{1,64}$/.test(text(v)) ? '' : 'a video id: letters, digits, _ and -') },
    { name: 'call_to_action', label: 'Call to action',
      options: ['learn_more', 'shop_now', 'sign_up', 'download', 'watch_more', 'contact_us', 'book_now'] },
    { name: 'landing_url', label: 'Landing page', type: 'url', placeholder: 'https://',
      check: (v) => (/^https?:\/\/[^/\s]+\S*$/.test(text(v)) ? '' : 'an http:// or https:// address') },
  ], (body) => call('POST', '/v1/ads/ads', body), () => refresh());

  const toggle = (kind, record) => h('button', {
    class: 'toggle', 'data-id': record.id,
    onclick: async () => {
      try {
        await call('PATCH', `/v1/ads/${kind}/${encodeURIComponent(record.id)}`, { paused: !record.paused });
        await refresh();
      } catch (e) { status.textContent = e.message; }
    },
  }, record.paused ? 'Resume' : 'Pause');
  const stateBadge = (r) => h('span', { class: 'badge ' + (r.paused ? 'paused' : 'active') }, r.paused ? 'Paused' : 'Active');

  async function refresh() {
    status.textContent = '';
    try {
      state.accounts = (await call('GET', '/v1/ads/accounts')).accounts;
      if (!state.accounts.some((a) => a.id === state.account)) state.account = state.accounts[0]?.id || '';
      picker.replaceChildren(...state.accounts.map((a) => h('option', { value: a.id }, a.name)));
      picker.value = state.account;
      const forms = [campaignForm, groupForm, adForm];
      forms.forEach((f) => { f.hidden = !state.account; });
      if (!state.account) {
        tree.replaceChildren(h('p', { class: 'hint' }, 'Create an ads account to start.'));
        delivery.replaceChildren();
        return;
      }
      const q = encodeURIComponent;
      const campaigns = (await call('GET', `/v1/ads/campaigns?account=${q(state.account)}`)).campaigns;
      const groupsOf = {}, adsOf = {};
      for (const c of campaigns) {
        groupsOf[c.id] = (await call('GET', `/v1/ads/ad_groups?campaign=${q(c.id)}`)).ad_groups;
        for (const g of groupsOf[c.id]) adsOf[g.id] = (await call('GET', `/v1/ads/ads?ad_group=${q(g.id)}`)).ads;
      }
      campaignForm.hidden = false;
      groupForm.setOptions('campaign', campaigns.map((c) => [c.id, c.name]));
      const groups = campaigns.flatMap((c) => groupsOf[c.id]);
      adForm.setOptions('ad_group', groups.map((g) => [g.id, g.name]));
      groupForm.hidden = !campaigns.length;
      adForm.hidden = !groups.length;
      tree.replaceChildren(h('h2', {}, 'Campaigns'), campaigns.length ? h('ul', { class: 'ads-list' }, campaigns.map((c) =>
        h('li', { class: 'campaign', 'data-id': c.id },
          h('div', { class: 'line' }, h('strong', {}, c.name), stateBadge(c),
            h('span', { class: 'hint' }, `${c.objective} · ${c.budget_mode} ${c.budget_mode === 'none' ? '' : fmt(c.budget_micros / MICROS)}`),
            toggle('campaigns', c)),
          h('ul', {}, groupsOf[c.id].map((g) => h('li', { class: 'ad-group', 'data-id': g.id },
            h('div', { class: 'line' }, g.name, stateBadge(g), h('span', { class: 'hint' }, `${g.bid_strategy} · ${g.goal}`), toggle('ad_groups', g)),
            h('ul', {}, adsOf[g.id].map((a) => h('li', { class: 'ad', 'data-id': a.id },
              h('div', { class: 'line' }, a.name, stateBadge(a),
                h('span', { class: 'badge approval ' + a.approval }, a.approval), toggle('ads', a)))))))))))
        : h('p', { class: 'hint' }, 'No campaigns yet.'));
      const report = await call('GET', `/v1/ads/reports?account=${q(state.account)}&level=ad_group&by=hour`);
      delivery.replaceChildren(h('h2', {}, 'Delivery today (UTC)'),
        ...(report.ad_groups.length ? report.ad_groups.map((g) => deliveryCard(g, report.rows))
          : [h('p', { class: 'hint' }, 'No ad groups yet.')]));
    } catch (e) {
      status.textContent = e.message;
    }
  }
  picker.addEventListener('change', () => { state.account = picker.value; refresh(); });

  app.replaceChildren(h('main', { class: 'ads' },
    h('header', { class: 'ads-head' }, h('h1', {}, 'Ads Manager'), picker,
      h('span', { class: 'hint' }, `Signed in as ${me.handle}`)),
    status,
    h('div', { class: 'ads-grid' }, h('div', { class: 'ads-forms' }, accountForm, campaignForm, groupForm, adForm),
      h('div', {}, tree, delivery))));
  await refresh();
}

function signIn(message) {
  const err = h('p', { class: 'error', role: 'alert' }, message);
  const f = h('form', { class: 'card', id: 'signin' }, h('h2', {}, 'Sign in to the Ads Manager'),
    h('label', {}, 'Handle', h('input', { name: 'handle', required: true, autocomplete: 'username' })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    err, h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    try {
      await call('POST', '/v1/auth/signin', { handle: d.get('handle').trim(), password: d.get('password') });
      start();
    } catch (e) {
      err.textContent = e.message;
    }
  });
  app.replaceChildren(h('main', { class: 'auth' }, h('h1', {}, 'Ads Manager'), f));
}

async function start() {
  try {
    const me = await call('GET', '/v1/auth/me');
    if (!me.signed_in) return signIn('');
    if (!me.roles.includes('advertiser') && !me.roles.includes('admin')) {
      return signIn(`${me.handle} has no advertiser role: ask an admin for it.`);
    }
    await manager(me);
  } catch (e) {
    signIn(e.message);
  }
}

start();
