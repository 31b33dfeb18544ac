// How long a swipe waits: time from a video's arrival on screen to its first frame playing, with
// the player's prefetching (the next two videos buffered) against the same player with it off
// (?prefetch=0), in one run against one server. Needs a running `foryou serve` with media
// (`make demo`) and Debian's chromium.
//
//   node bench/swipe_latency.mjs http://127.0.0.1:8080 APP_KEY [swipes=30] [dwell_ms=1500]
//
// Prints per mode p50 / p90 and last:
//   swipe_latency prefetch_p50_ms=.. no_prefetch_p50_ms=.. ratio_p50=.. prefetch_p90_ms=.. no_prefetch_p90_ms=..
import { chromium } from 'playwright-core';

const [base, key, swipesArg, dwellArg] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node bench/swipe_latency.mjs BASE_URL APP_KEY [swipes] [dwell_ms]');
  process.exit(2);
}
const swipes = Number(swipesArg || 30);
const dwell = Number(dwellArg || 1500);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});

async function run(prefetch) {
  const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
  const page = await context.newPage();
  const user = `bench_${prefetch ? 'pf' : 'nopf'}_${Date.now().toString(36)}`;
  await page.goto(`${base}/${prefetch ? '' : '?prefetch=0'}#key=${key}`);
  await page.getByLabel('User name', { exact: true }).fill(user);
  await page.getByRole('button', { name: 'Start watching' }).click();
  await page.waitForSelector('.slide');
  for (let i = 0; i < swipes; i++) {
    await page.waitForTimeout(dwell);
    await page.keyboard.press('ArrowDown');
  }
  await page.waitForTimeout(dwell);
  const xs = await page.evaluate(() => window.__foryou.startLatencies.slice(1));  // the first has no prefetch
  await context.close();
  xs.sort((a, b) => a - b);
  const q = (p) => xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN;
  console.log(`${prefetch ? 'prefetch   ' : 'no prefetch'}: n=${xs.length} p50_ms=${q(0.5).toFixed(1)} p90_ms=${q(0.9).toFixed(1)} max_ms=${q(1).toFixed(1)}`);
  return { p50: q(0.5), p90: q(0.9) };
}

const off = await run(false);
const on = await run(true);
await browser.close();
console.log(`swipe_latency prefetch_p50_ms=${on.p50.toFixed(1)} no_prefetch_p50_ms=${off.p50.toFixed(1)} ` +
  `ratio_p50=${(off.p50 / on.p50).toFixed(1)} prefetch_p90_ms=${on.p90.toFixed(1)} no_prefetch_p90_ms=${off.p90.toFixed(1)}`);
