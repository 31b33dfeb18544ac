// Posting from the web app in a real browser (Debian's chromium driven by playwright-core)
// against a real `foryou serve` (harness.mjs) whose body limit (--max-body) makes a 30 kB clip,
// made here with the ffmpeg CLI, go up in three chunks:
// * the create page posts it with a caption, hashtags, an effect, a challenge and duets off while
//   one chunk's answer is lost (the server has the bytes): the upload asks where the server is
//   and goes on from there; the video shows in My videos, processing, then with its state, and
//   with its numbers when the answer has `stats`;
// * chunks failing again and again stop the upload with a message and a Retry that resumes it
//   (no second upload);
// * the More sheet offers Duet only when the video allows it, and Duet opens the create page with
//   the original shown and `duet_of` in the post;
// * a small screen plays the 360p rendition, a wide one the 720p;
// * a video played from a creator's page is an impression of the `profile` surface;
// * the server's refusal (a file over --upload-max-mb: 413) is shown as the server words it;
// * signed out, Create asks to sign in.
//
//   cd web && node --test test/create.test.mjs     (needs build/release/foryou and web/dist)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SHOTS, launchBrowser, openPage, startServer, waitFor } from './harness.mjs';

const PASSWORD = 'create pass phrase';
const CHUNK = 10240;
let server, browser, clip, token, posted;

before(async () => {
  server = await startServer({ clips: ['cats'], args: ['--max-body', String(CHUNK), '--upload-max-mb', '1'] });
  clip = join(server.dataDir, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15',
    '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-shortest', clip]);
  const now = Date.now();
  for (const [id, creator] of [['cw_ok', 'cw_maker'], ['cw_ok2', 'cw_maker']]) {
    await server.api('POST', '/v1/videos', {
      id, creator, caption: `a clip ${id}`, hashtags: ['cats'], sound: 'cwsong', duration_ms: 4000,
      upload_ms: now - 60000, moderation: 'approved', media_url: '/media/cats.webm',
    });
  }
  await server.api('POST', '/v1/challenges', {
    name: 'cwdance', title: 'Dance off', description: 'moves', start_ms: now - 3600000, end_ms: now + 86400000,
  });
  const res = await fetch(server.base + '/v1/auth/signup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle: 'cw_poster', password: PASSWORD, interests: ['cats'] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  token = (await res.json()).token;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// Chromium logs each request the test aborts as a console error.
const unexpected = (errors) => errors.filter((e) => !/net::ERR_FAILED/.test(e));

async function signedIn(viewport = { width: 1200, height: 800 }, deviceScaleFactor = 1) {
  const context = await browser.newContext({ viewport, deviceScaleFactor });
  await context.addCookies([{ name: 'foryou_session', value: token, url: server.base, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

// The upload requests the page sent: [method, path, Content-Range].
function recordUploads(page) {
  const seen = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/v1/uploads')) seen.push([r.method(), path, r.headers()['content-range'] || '']);
  });
  return seen;
}

const meVideos = async () => {
  const res = await fetch(server.base + '/v1/me/videos', { headers: { Authorization: 'Bearer ' + token } });
  return (await res.json()).videos;
};

test('create: a post goes up in chunks, resumes from the server after a lost answer, and shows in My videos', async () => {
  const context = await signedIn();
  const { page, errors } = await openPage(context, server.base + '/');
  const seen = recordUploads(page);
  // The second chunk reaches the server but its answer is lost.
  let puts = 0;
  await page.route('**/v1/uploads/*', async (route) => {
    if (route.request().method() !== 'PUT' || ++puts !== 2) return route.continue();
    await route.fetch();
    return route.abort('failed');
  });
  await page.click('#create');
  await page.waitForSelector('#create-effect option[value="mono"]', { state: 'attached' });
  await page.waitForSelector('#create-challenge option[value="cwdance"]', { state: 'attached' });
  await page.setInputFiles('#create-file', clip);
  await page.fill('#create-caption', 'my first clip');
  await page.fill('#create-hashtags', '#cats, #Fun');
  await page.selectOption('#create-effect', 'mono');
  await page.selectOption('#create-challenge', 'cwdance');
  await page.uncheck('#create-allow-duet');
  // A sound found by search: cwsong is a name without audio (the server would refuse it: "has
  // no audio to use"), so it is listed as not usable and cannot be picked; the post keeps the
  // clip's own sound.
  await page.fill('#create-sound-search', 'cwso');
  const result = page.locator('.sound-result[data-sound="cwsong"]');
  await result.waitFor();
  assert.ok(await result.isDisabled(), 'a sound without audio cannot be picked');
  assert.match(await result.innerText(), /no audio/);
  await page.screenshot({ path: join(SHOTS, 'create.png') });
  assert.equal(await page.getAttribute('#create-sound', 'data-sound'), '');
  await page.click('#create-post');

  await page.waitForSelector('.my-videos .my-video', { timeout: 20000 });
  const size = (await import('node:fs')).statSync(clip).size;
  const ranges = seen.filter(([m]) => m === 'PUT').map(([, , r]) => r);
  // Chunk 2 is not sent again: the GET after the failure says the server has it.
  assert.deepEqual(ranges, [`bytes 0-${CHUNK - 1}/${size}`, `bytes ${CHUNK}-${2 * CHUNK - 1}/${size}`,
    `bytes ${2 * CHUNK}-${size - 1}/${size}`]);
  const afterFailure = seen.findIndex(([m, , r]) => m === 'PUT' && r.startsWith(`bytes ${2 * CHUNK}-`));
  assert.equal(seen[afterFailure - 1][0], 'GET', 'the upload asked the server for its offset before going on');
  assert.equal(seen.filter(([m, p]) => m === 'POST' && p === '/v1/uploads').length, 1);

  const [mine] = await meVideos();
  posted = mine.id;
  assert.match(posted, /^vu-/);
  assert.equal(mine.caption, 'my first clip');
  assert.deepEqual([...mine.hashtags].sort(), ['cats', 'cwdance', 'fun']);
  assert.equal(mine.allow_duet, false);
  assert.equal(mine.allow_stitch, true);
  // Processing, then the state the server gives once the job is done.
  const row = `.my-video[data-video="${posted}"]`;
  await waitFor('the processed state', async () => (await page.getAttribute(row, 'data-state')) !== 'processing', 30000);
  const done = (await meVideos()).find((v) => v.id === posted);
  assert.ok(['approved', 'limited', 'pending_review'].includes(done.state), done.state);
  assert.equal(done.sound, 'so-' + posted.slice(3), "the clip's own audio became its sound");
  assert.equal(await page.getAttribute(row, 'data-state'), done.state);
  assert.ok(await page.textContent(`${row} .state`));
  await page.screenshot({ path: join(SHOTS, 'my_videos.png') });
  assert.deepEqual(unexpected(errors), []);
  await context.close();
});

test('create: My videos shows the stats the server sends, views by surface as bars', async () => {
  assert.ok(posted, 'the first test posted a video');
  const context = await signedIn();
  const { page, errors } = await openPage(context, server.base + '/');
  const stats = { views: 1234, watch_ms: 3723000, likes: 56, shares: 7, comments: 8, followers_gained: 9,
    sources: { foryou: 1000, following: 0, sound: 0, hashtag: 100, profile: 34, challenge: 0, search: 50, other: 50 } };
  // The server's answer with `stats` added (GET /v1/me/videos, docs/api.md).
  await page.route('**/v1/me/videos*', async (route) => {
    const body = await (await route.fetch()).json();
    for (const v of body.videos) if (v.id === posted) v.stats = stats;
    return route.fulfill({ json: body });
  });
  await page.click('#me');
  await page.click('#my-videos');
  const row = `.my-video[data-video="${posted}"]`;
  await page.waitForSelector(`${row} .my-stats`);
  const text = async (sel) => (await page.textContent(`${row} ${sel}`)).trim();
  assert.equal(await text('[data-stat="views"]'), '1.2K views');
  assert.equal(await text('[data-stat="watch time"]'), '1h 02m watch time');
  assert.equal(await text('[data-stat="followers gained"]'), '9 followers gained');
  const bars = await page.$$eval(`${row} .sources li`, (lis) => lis.map((li) => [li.dataset.source, li.querySelector('i').style.width]));
  assert.deepEqual(bars, [['foryou', '81%'], ['hashtag', '8%'], ['profile', '3%'], ['search', '4%'], ['other', '4%']]);
  await page.screenshot({ path: join(SHOTS, 'my_videos_stats.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('create: chunks failing again and again stop with a message, and Retry resumes the same upload', async () => {
  const context = await signedIn();
  const { page, errors } = await openPage(context, server.base + '/');
  const seen = recordUploads(page);
  let failing = true;
  let puts = 0;
  await page.route('**/v1/uploads/*', (route) => {
    if (route.request().method() === 'PUT' && ++puts >= 2 && failing) return route.abort('failed');
    return route.continue();
  });
  await page.click('#create');
  await page.setInputFiles('#create-file', clip);
  await page.fill('#create-caption', 'a second clip');
  await page.click('#create-post');
  await page.waitForSelector('#create-retry:not([hidden])', { timeout: 15000 });
  assert.match(await page.textContent('#create-error'), /The upload stopped at 33%/);
  failing = false;
  await page.click('#create-retry');
  await page.waitForSelector('.my-videos .my-video', { timeout: 20000 });
  assert.equal(seen.filter(([m, p]) => m === 'POST' && p === '/v1/uploads').length, 1, 'resumed, not restarted');
  const firsts = seen.filter(([m]) => m === 'PUT').map(([, , r]) => Number(/bytes (\d+)-/.exec(r)[1]));
  assert.equal(firsts.filter((f) => f === 0).length, 1, 'the first chunk went once');
  assert.ok((await meVideos()).some((v) => v.caption === 'a second clip'));
  assert.deepEqual(unexpected(errors), []);
  await context.close();
});

test('create: Duet shows only where allowed and opens the create page with the original', async () => {
  assert.ok(posted, 'the first test posted a video');
  const context = await signedIn();
  // The posted video turned duets off: More offers Stitch only.
  let { page, errors } = await openPage(context, `${server.base}/#video=${posted}`);
  await page.waitForSelector(`.slide[data-video="${posted}"]`);
  await page.click('#more');
  await page.waitForSelector('.menu[data-remixes="shown"]');
  assert.equal(await page.$('#duet'), null);
  assert.ok(await page.$('#stitch'));
  await page.close();
  ({ page, errors } = await openPage(context, `${server.base}/#video=cw_ok`));
  await page.waitForSelector('.slide[data-video="cw_ok"]');
  await page.click('#more');
  await page.click('#duet');
  await page.waitForSelector('#create-original[data-kind="duet"][data-video="cw_ok"]');
  let completed = null;
  page.on('request', (r) => { if (/\/complete$/.test(r.url())) completed = JSON.parse(r.postData()); });
  await page.setInputFiles('#create-file', clip);
  await page.click('#create-post');
  await page.waitForSelector('.my-videos .my-video', { timeout: 20000 });
  assert.equal(completed.duet_of, 'cw_ok');
  assert.equal((await meVideos()).find((v) => v.duet_of === 'cw_ok').duet_of, 'cw_ok');
  assert.deepEqual(errors, []);
  await context.close();
});

test('create: a small screen plays the 360p rendition, a wide one the 720p', async () => {
  assert.ok(posted, 'the first test posted a video');
  const v = (await meVideos()).find((x) => x.id === posted);
  assert.ok(v.media_url_360 && v.media_url_360 !== v.media_url);
  const src = async (viewport, scale) => {
    const context = await signedIn(viewport, scale);
    const { page } = await openPage(context, `${server.base}/#video=${posted}`);
    await page.waitForSelector(`.slide[data-video="${posted}"] video`);
    const url = new URL(await page.getAttribute('.slide video', 'src'), server.base).pathname;
    await context.close();
    return url;
  };
  assert.equal(await src({ width: 320, height: 640 }, 2), v.media_url_360);  // 640 device px
  assert.equal(await src({ width: 1200, height: 800 }, 1), v.media_url);
  assert.equal(await src({ width: 400, height: 700 }, 2), v.media_url);     // 800 device px
});

test('create: a video played from a creator page is an impression of the profile surface', async () => {
  const context = await signedIn();
  const { page } = await openPage(context, `${server.base}/#video=cw_ok`);
  const impressions = [];
  page.on('request', (r) => {
    if (r.method() !== 'POST' || !r.url().endsWith('/v1/events')) return;
    for (const e of JSON.parse(r.postData()).events || []) if (e.type === 'impression') impressions.push(e);
  });
  await page.waitForSelector('.slide[data-video="cw_ok"]');
  await page.click('.info .creator');
  await page.click('.tile[data-video="cw_ok2"]');
  await page.waitForSelector('.slide[data-video="cw_ok2"]');
  await waitFor('the impression sent', async () => impressions.some((e) => e.video === 'cw_ok2'), 10000);
  assert.equal(impressions.find((e) => e.video === 'cw_ok2').surface, 'profile');
  await context.close();
});

test('create: signed out, Create asks to sign in', async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const { page, errors } = await openPage(context, server.base + '/');
  await page.click('#create');
  await page.waitForSelector('#signin-go');
  assert.match(await page.textContent('#panel-title'), /Sign in to post videos/);
  assert.equal(await page.$('#create-file'), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('create: the server refusing the file (413) is shown in its own words', async () => {
  const big = 2 << 20;
  const res = await fetch(server.base + '/v1/uploads', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: JSON.stringify({ size: big, type: 'video/mp4' }),
  });
  assert.equal(res.status, 413);
  const said = (await res.json()).error.message;
  const context = await signedIn();
  const { page } = await openPage(context, server.base + '/');
  await page.click('#create');
  await page.setInputFiles('#create-file', { name: 'big.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(big) });
  await page.click('#create-post');
  await waitFor('the refusal', async () => (await page.textContent('#create-error')) === said, 10000);
  assert.ok(await page.isHidden('#create-retry'));
  await context.close();
});
