// The search screen in a real browser (Debian's chromium driven by playwright-core) against a
// real `foryou serve` on a fresh data directory, with the start-up of e2e.test.mjs minus the
// clips (videos without media show their poster): sign up, open search from the top bar, type a
// prefix, see results as you type (debounced: one request for a burst of keys), play a video
// found, switch tabs, open a hashtag page and a creator page from the results.
//
//   cd web && node --test test/search.test.mjs     (needs build/release/foryou and web/dist)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const BIN = process.env.FORYOU_BIN || join(repo, 'build/release/foryou');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CATEGORIES = ['cats', 'cooking', 'travel', 'dance'];

let server, dataDir, base, adminKey, browser;
const serverLog = [];

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function api(method, path, body, key = adminKey) {
  const res = await fetch(base + path, {
    method, headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function waitFor(what, fn, timeoutMs = 20000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: run make build first`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install_deps.sh installs Debian's chromium`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'web/dist is missing: run npm run build in web/');
  dataDir = mkdtempSync(join(tmpdir(), 'foryou-search-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--data-dir', join(dataDir, 'data'), '--port', String(port),
    '--static-dir', join(repo, 'web/dist')], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  await waitFor('foryou serve /healthz', async () => (await fetch(base + '/healthz')).ok, 60000, 200);
  adminKey = JSON.parse(readFileSync(join(dataDir, 'data/keys.json'), 'utf8')).keys
    .find((k) => k.role === 'admin').key;
  const now = Date.now();
  let n = 0;
  for (const cat of CATEGORIES) {
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < 5; i++, n++) {
        await api('POST', '/v1/videos', {
          id: `v_${cat}_${c}_${i}`, creator: `${cat}_maker_${c}`, caption: `${cat} video ${c}-${i}`,
          hashtags: [cat], sound: `sound_${cat}`, duration_ms: 4000, upload_ms: now - (n + 1) * 60000,
          moderation: 'approved', media_url: '',
        });
      }
    }
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('search: results as you type, a video plays, tabs, hashtag and creator pages', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const searches = [];
  page.on('request', (r) => { if (r.url().includes('/v1/search')) searches.push(r.url()); });
  await page.goto(`${base}/`);
  // Logged out, / plays the public feed; Sign in leads to the forms.
  await page.click('#signin');
  const signUp = page.locator('form', { has: page.getByRole('heading', { name: 'Sign up' }) });
  await signUp.getByLabel('Handle').fill('searcher');
  await signUp.getByLabel('Password').fill('search pass phrase');
  await page.getByRole('button', { name: 'Start watching' }).click();
  await page.waitForSelector('.slide');

  // Open search from the top bar; the box has the focus. A burst of keys is one request.
  await page.click('#search');
  await page.waitForSelector('#search-input');
  await page.keyboard.type('trav', { delay: 20 });
  await page.waitForSelector('#search-results [data-video]');
  const found = await page.$$eval('#search-results [data-video]', (els) => els.map((e) => e.dataset.video));
  assert.equal(found.length, 10, `all travel videos found: ${found}`);
  assert.ok(found.every((id) => id.startsWith('v_travel_')), `only travel videos: ${found}`);
  assert.equal(searches.length, 1, `debounced: ${searches}`);
  assert.match(searches[0], /q=trav&type=videos/);

  // A video found plays in the player.
  const pick = found[3];
  await page.click(`#search-results [data-video="${pick}"]`);
  await page.waitForFunction((id) => {
    const s = window.__foryou;
    return !s.panelOpen && s.items[s.cur] && s.items[s.cur].video === id;
  }, pick);
  assert.equal(await page.getAttribute('.slide', 'data-video'), pick);

  // Hashtags tab, then the hashtag page.
  await page.click('#search');
  await page.fill('#search-input', 'coo');
  await page.click('.search-tabs [data-type="hashtags"]');
  await page.waitForSelector('#search-results [data-hashtag="cooking"]');
  assert.match(await page.textContent('#search-results [data-hashtag="cooking"]'), /10 videos/);
  await page.click('#search-results [data-hashtag="cooking"]');
  await page.waitForSelector('#panel-title:has-text("#cooking")');
  await page.waitForSelector('.grid .tile[data-video^="v_cooking_"]');
  await page.keyboard.press('Escape');

  // Creators tab: the creator page opens.
  await page.click('#search');
  await page.fill('#search-input', 'dance_maker_1');
  await page.click('.search-tabs [data-type="creators"]');
  await page.waitForSelector('#search-results [data-creator="dance_maker_1"]');
  await page.click('#search-results [data-creator="dance_maker_1"]');
  await page.waitForSelector('#panel-title:has-text("@dance_maker_1")');
  await page.waitForSelector('.grid .tile[data-video^="v_dance_1_"]');

  // A word nobody used: said so.
  await page.keyboard.press('Escape');
  await page.click('#search');
  await page.fill('#search-input', 'zzyzx');
  await page.waitForSelector('#search-results .hint:has-text("No videos match")');
  assert.deepEqual(errors, [], errors.join('\n'));
  await context.close();
});
