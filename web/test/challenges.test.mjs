// Hashtag challenges and sound pages in a real browser (Debian's chromium driven by
// playwright-core) against a real `foryou serve` on a fresh data directory, logged out: an
// admin-created challenge opens from a link (/#challenge=NAME) with its banner (title, dates,
// "Sponsored") and its entries; the search screen lists it and leads to it; its hashtag's page
// links to it; a sound page marks the original video.
//
//   cd web && node --test test/challenges.test.mjs     (needs build/release/foryou and web/dist)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, openPage, startServer } from './harness.mjs';

let server, browser;
const api = (...args) => server.api(...args);

before(async () => {
  server = await startServer({ clips: [] });
  const now = Date.now();
  const video = (id, creator, hashtags, sound, ageMin, moderation = 'approved') => api('POST', '/v1/videos', {
    id, creator, caption: `${id} caption`, hashtags, sound, duration_ms: 4000,
    upload_ms: now - ageMin * 60000, moderation, media_url: '',
  });
  for (let i = 0; i < 3; i++) await video(`entry_${i}`, `dancer_${i}`, ['dance'], '', i + 1);
  await video('entry_pending', 'dancer_9', ['dance'], '', 1, 'pending');
  await video('other_0', 'cook_0', ['cooking'], '', 5);
  await video('song_first', 'song_maker', ['cooking'], 'hitsong', 60);
  await video('song_later', 'song_fan', ['cooking'], 'hitsong', 30);
  await api('POST', '/v1/challenges', {
    name: 'dance', title: 'Dance off', description: 'Show your best moves',
    start_ms: now - 3600000, end_ms: now + 86400000, sponsor: 'adv1',
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('challenges: the page from a link, the search list and the hashtag; the original of a sound', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const { page, errors } = await openPage(context, `${server.base}/#challenge=dance`);

  // The link opens the challenge page: banner, sponsor label, the approved entries.
  await page.waitForSelector('.challenge-banner h3:has-text("Dance off")');
  assert.match(await page.textContent('.challenge-banner'), /Show your best moves/);
  assert.equal(await page.textContent('.challenge-banner .sponsored'), 'Sponsored');
  assert.match(await page.textContent('.challenge-banner .page-counts'), /3 entries/);
  await page.waitForSelector('.grid .tile[data-video="entry_0"]');
  const entries = await page.$$eval('.grid .tile', (els) => els.map((e) => e.dataset.video).sort());
  assert.deepEqual(entries, ['entry_0', 'entry_1', 'entry_2']);
  await page.screenshot({ path: join(SHOTS, 'challenge-page.png') });
  // An entry plays in the player.
  await page.click('.grid .tile[data-video="entry_1"]');
  await page.waitForFunction(() => {
    const s = window.__foryou;
    return !s.panelOpen && s.items[s.cur] && s.items[s.cur].video === 'entry_1';
  });

  // The search screen lists the challenges running now, and one opens its page.
  await page.click('#search');
  await page.waitForSelector('#challenges [data-challenge="dance"]');
  assert.match(await page.textContent('#challenges [data-challenge="dance"]'), /Dance off.*3 entries/);
  await page.click('#challenges [data-challenge="dance"]');
  await page.waitForSelector('.challenge-banner h3:has-text("Dance off")');
  await page.keyboard.press('Escape');

  // The hashtag's page leads to its challenge; a hashtag that is none has no such button.
  await page.click('#search');
  await page.fill('#search-input', 'danc');
  await page.click('.search-tabs [data-type="hashtags"]');
  await page.click('#search-results [data-hashtag="dance"]');
  await page.waitForSelector('#page-challenge[data-challenge="dance"]');
  await page.click('#page-challenge');
  await page.waitForSelector('.challenge-banner h3:has-text("Dance off")');
  await page.keyboard.press('Escape');

  // A sound page: the original video's tile says so, and its creator is named.
  await page.click('#search');
  await page.fill('#search-input', 'hitsong');
  await page.click('.search-tabs [data-type="sounds"]');
  await page.click('#search-results [data-sound="hitsong"]');
  await page.waitForSelector('.grid .tile[data-video="song_first"] .badge.original');
  assert.equal(await page.$('.grid .tile[data-video="song_later"] .badge.original'), null);
  assert.match(await page.textContent('.sound-original'), /Original by @song_maker/);
  await page.screenshot({ path: join(SHOTS, 'sound-original.png') });

  assert.deepEqual(errors, [], errors.join('\n'));
  await context.close();
});
