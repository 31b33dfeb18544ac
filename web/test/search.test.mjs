// The search screen in a real browser (Debian's chromium driven by playwright-core) against a
// real `foryou serve` on a fresh data directory, with the start-up of e2e.test.mjs minus the
// clips (videos without media show their poster): sign up, open search from the top bar, type a
// prefix, see results as you type (debounced: one request for a burst of keys), play a video
// found, switch tabs, open a hashtag page and a creator page from the results.
//
//   cd web && node --test test/search.test.mjs     (needs build/release/foryou and web/dist)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, startServer } from './harness.mjs';

const CATEGORIES = ['cats', 'cooking', 'travel', 'dance'];

let server, base, browser;
const api = (...args) => server.api(...args);

before(async () => {
  // No clips: the catalog's videos have no media (the search screen shows their posters).
  server = await startServer({ clips: [] });
  base = server.base;
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
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
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
  await page.screenshot({ path: join(SHOTS, 'search-results.png') });
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
