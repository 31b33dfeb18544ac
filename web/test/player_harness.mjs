// The start-up of the browser tests (web/test/*.test.mjs): a real `foryou serve` (release build)
// on a fresh data directory with a catalog created through the admin API, clips made by
// scripts/make_clips.sh (ffmpeg) with their cover images beside them (/media/NAME.jpg, the first
// frame), and Debian's chromium driven by playwright-core; plus the functions the tests share.
//
// Env: FORYOU_BIN (default ../build/release/foryou), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS_DIR (default test-results/screenshots; `make screenshots` copies them to
// docs/screenshots/), FORYOU_SERVE_ARGS (more flags for foryou serve).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, waitFor } from './harness.mjs';

export { waitFor };

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
const BIN = process.env.FORYOU_BIN || join(repo, 'build/release/foryou');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = resolve(process.env.SCREENSHOTS_DIR || join(here, '../test-results/screenshots'));

// Starts `foryou serve` with clips for `categories` (/media/CATEGORY.webm and .jpg) and
// chromium. Resolves to { base, appKey, adminKey, browser, media, api(method, path, body, key),
// serverLog, stop() }; `api` uses the admin key unless given another ('' = none) and throws on
// an HTTP error.
export async function startServer(categories) {
  assert.ok(existsSync(BIN), `${BIN} is missing: run make build first`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install_deps.sh installs Debian's chromium`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'web/dist is missing: run npm run build in web/');
  const dataDir = mkdtempSync(join(tmpdir(), 'foryou-e2e-'));
  const media = join(dataDir, 'media');
  mkdirSync(media);
  execFileSync('bash', [join(repo, 'scripts/make_clips.sh'), media, ...categories], { stdio: 'inherit' });
  for (const name of categories) {
    const cover = join(media, name + '.jpg');
    if (existsSync(cover)) continue;
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', join(media, name + '.webm'),
      '-frames:v', '1', '-q:v', '5', cover]);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serverLog = [];
  const server = spawn(BIN, ['serve', '--data-dir', join(dataDir, 'data'), '--port', String(port),
    '--static-dir', join(repo, 'web/dist'), '--media-dir', media,
    ...(process.env.FORYOU_SERVE_ARGS ? process.env.FORYOU_SERVE_ARGS.split(' ') : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  await waitFor('foryou serve /healthz', async () => (await fetch(base + '/healthz')).ok, 60000, 200);
  const keys = JSON.parse(readFileSync(join(dataDir, 'data/keys.json'), 'utf8')).keys;
  const appKey = keys.find((k) => k.role === 'app').key;
  const adminKey = keys.find((k) => k.role === 'admin').key;
  const api = async (method, path, body, key = adminKey) => {
    const res = await fetch(base + path, {
      method, headers: { ...(key ? { 'X-Api-Key': key } : {}), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return path === '/metrics' ? text : JSON.parse(text);
  };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  mkdirSync(SHOTS, { recursive: true });
  const stop = async () => {
    await browser.close();
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, appKey, adminKey, browser, media, api, serverLog, stop };
}

// foryou_events_total{type="..."} in a /metrics text (0 when absent).
export function eventCount(metrics, type) {
  const m = metrics.match(new RegExp(`^foryou_events_total\\{type="${type}"\\} (\\d+)`, 'm'));
  return m ? Number(m[1]) : 0;
}

// The events the server accepted, of every type, in a /metrics text.
export function acceptedEvents(metrics) {
  let total = 0;
  for (const m of metrics.matchAll(/^foryou_events_total\{type="[a-z_]+"\} (\d+)/gm)) total += Number(m[1]);
  return total;
}

// A page that collects console errors and uncaught exceptions in `errors`.
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

// The player's state (window.__foryou) in a test's terms.
export const state = (page) => page.evaluate(() => {
  const s = window.__foryou;
  return { cur: s.cur, pages: s.pages, loading: !!s.loading,
    items: s.items.map((i) => ({ video: i.video, creator: i.creator, hashtags: i.hashtags })) };
});

// Waits until no feed page is loading and every event was sent.
export async function idle(page) {
  await page.waitForFunction(() => !window.__foryou.loading && window.__foryou.events &&
    window.__foryou.events.pending.length === 0 && !window.__foryou.events.inFlight);
}

export async function currentItem(page) {
  const s = await state(page);
  return s.items[s.cur];
}

// ArrowDown until the next video is on screen (a key press while the next page is still loading
// does nothing, as for a user).
export async function nextVideo(page) {
  const before = await page.evaluate(() => window.__foryou.cur);
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('ArrowDown');
    try {
      await page.waitForFunction((b) => window.__foryou.cur > b, before, { timeout: 500 });
      return;
    } catch {
      // still loading: press again
    }
  }
  throw new Error('could not move to the next video');
}
