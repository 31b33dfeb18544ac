// Browser test of the review page (/#review, review.js) in Debian's chromium against a real
// `foryou serve` (harness.mjs): a moderator approves a pending video with one key and it leaves
// the queue; a viewer without the role is told the page is for moderators.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, openPage, startServer, waitFor } from './harness.mjs';

const PASSWORD = 'review pass phrase';
let server, browser;

async function signUp(handle) {
  const res = await fetch(server.base + '/v1/auth/signup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle, password: PASSWORD, interests: ['cats'] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).token;
}

async function signedIn(token) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
  await context.addCookies([{ name: 'foryou_session', value: token, url: server.base, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

const queued = async () => (await server.api('GET', '/v1/moderation/queue?limit=100')).items.map((i) => i.video.id);

before(async () => {
  server = await startServer({ clips: ['cats'] });
  const now = Date.now();
  for (const id of ['rv_1', 'rv_2']) {
    await server.api('POST', '/v1/videos', {
      id, creator: 'rv_maker', caption: `a pending clip ${id}`, hashtags: ['cats'], duration_ms: 4000,
      upload_ms: now, moderation: 'pending', media_url: '/media/cats.webm',
    });
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('review: a moderator approves the oldest pending video with A and it leaves the queue', async () => {
  await signUp('rv_mod');
  await server.api('POST', '/v1/admin/accounts/rv_mod/roles', { roles: ['viewer', 'moderator'] });
  const res = await fetch(server.base + '/v1/auth/signin', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle: 'rv_mod', password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  const context = await signedIn((await res.json()).token);
  const { page, errors } = await openPage(context, `${server.base}/#review`);
  await page.waitForSelector('.review-facts[data-video="rv_1"]');
  assert.match(await page.textContent('.reasons'), /no_media/);
  assert.ok(await page.$('.review-media video'), 'the video plays on the page');
  await page.screenshot({ path: join(SHOTS, 'review.png') });
  await page.keyboard.press('a');
  await page.waitForSelector('.review-facts[data-video="rv_2"]');
  assert.deepEqual(await page.evaluate(() => window.__review.decided), [{ video: 'rv_1', state: 'approved' }]);
  assert.deepEqual(await queued(), ['rv_2']);
  assert.equal((await server.api('GET', '/v1/videos/rv_1')).moderation, 'approved');
  // N moves on without deciding; the queue is then shown empty.
  await page.keyboard.press('n');
  await waitFor('the empty queue', async () => /empty/.test(await page.textContent('.review-status')));
  assert.deepEqual(await queued(), ['rv_2']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('review: an account without the moderator role is told the page is for moderators', async () => {
  const context = await signedIn(await signUp('rv_viewer'));
  const { page } = await openPage(context, `${server.base}/#review`);
  await page.waitForSelector('.review-status.error');
  assert.match(await page.textContent('.review-status'), /for moderators/);
  assert.deepEqual(await queued(), ['rv_2']);
  await context.close();
});
