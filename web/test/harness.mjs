// Start-up of the browser tests: a real `foryou serve` (release build) on a fresh data directory
// and port with clips made by scripts/make_clips.sh, the admin API to fill its catalog, and
// Debian's chromium through playwright-core.
//
// Env: FORYOU_BIN (default ../build/release/foryou), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS_DIR (default test-results/screenshots), FORYOU_SERVE_ARGS (extra serve flags).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const BIN = process.env.FORYOU_BIN || join(repo, 'build/release/foryou');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = resolve(process.env.SCREENSHOTS_DIR || join(here, '../test-results/screenshots'));

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export async function waitFor(what, fn, timeoutMs = 20000, everyMs = 100) {
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

// A `foryou serve` on a fresh data directory with one clip per name of `clips` in its media
// directory, and `args` added to its flags. `api(method, path, body, key)` calls it (the admin key by default); `restart()` stops
// it and starts it again on the same data directory and port; `stop()` ends it and removes the
// directory.
export async function startServer({ clips, args = [] }) {
  assert.ok(existsSync(BIN), `${BIN} is missing: run make build first`);
  assert.ok(existsSync(join(repo, 'web/dist/index.html')), 'web/dist is missing: run npm run build in web/');
  const dataDir = mkdtempSync(join(tmpdir(), 'foryou-e2e-'));
  const media = join(dataDir, 'media');
  mkdirSync(media);
  if (clips.length) execFileSync('bash', [join(repo, 'scripts/make_clips.sh'), media, ...clips], { stdio: 'inherit' });
  const port = await freePort();
  const s = { base: `http://127.0.0.1:${port}`, dataDir, media, log: [], proc: null, appKey: '', adminKey: '' };
  const launch = async () => {
    s.proc = spawn(BIN, ['serve', '--data-dir', join(dataDir, 'data'), '--port', String(port),
      '--static-dir', join(repo, 'web/dist'), '--media-dir', media, ...args,
      ...(process.env.FORYOU_SERVE_ARGS ? process.env.FORYOU_SERVE_ARGS.split(' ') : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    s.proc.stdout.on('data', (d) => s.log.push(String(d)));
    s.proc.stderr.on('data', (d) => s.log.push(String(d)));
    await waitFor('foryou serve /healthz', async () => (await fetch(s.base + '/healthz')).ok, 60000, 200);
  };
  const halt = async () => {
    if (!s.proc || s.proc.exitCode !== null) return;
    const exited = new Promise((r) => s.proc.once('exit', r));
    s.proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  const keys = JSON.parse(readFileSync(join(dataDir, 'data/keys.json'), 'utf8')).keys;
  s.appKey = keys.find((k) => k.role === 'app').key;
  s.adminKey = keys.find((k) => k.role === 'admin').key;
  s.api = async (method, path, body, key = s.adminKey) => {
    const res = await fetch(s.base + path, {
      method, headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return path === '/metrics' ? text : JSON.parse(text);
  };
  s.restart = async () => {
    await halt();
    await launch();
  };
  s.stop = async () => {
    await halt();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return s;
}

export async function launchBrowser() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install_deps.sh installs Debian's chromium`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

// A page that collects console errors and uncaught exceptions in `errors`. Two answers the app
// expects are not errors: a video's cover image that does not exist (/media/NAME.jpg; the tile
// keeps its gradient) and the 404 of GET /v1/users/ID for a catalog creator without a user
// record (the profile shows the creator's page).
const EXPECTED_MISSES = [/^\/media\/[^/]+\.jpg$/, /^\/v1\/users\/[^/]+$/];
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const at = new URL(m.location().url || 'about:blank', 'http://x').pathname;
    if (/status of 404/.test(m.text()) && EXPECTED_MISSES.some((re) => re.test(at))) return;
    errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}
