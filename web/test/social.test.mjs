// Browser tests of the social screens (docs/design/web_social.md): counts under the actions,
// the comments sheet, profiles, the Following tab and the inbox, in Debian's chromium against one
// real `foryou serve` (harness.mjs) with a small catalog: a creator with an account, a creator
// without one, and a video of the viewer's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, openPage, startServer, waitFor } from './harness.mjs';

const VIEWER = 'sw_viewer';
const MAKER = 'sw_maker';
const FAN = 'sw_fan';
const PASSWORD = 'social pass phrase';
const FIRST = 'v_maker_0';

let server, browser, viewer, page, errors;
const api = (...args) => server.api(...args);

// Signs up an account through the API; its session token.
async function account(handle) {
  const res = await fetch(server.base + '/v1/auth/signup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle, password: PASSWORD, interests: ['cats'] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).token;
}

// A browser context signed in with `token` (the session cookie the server would set).
async function signedIn(token, viewport = { width: 390, height: 844 }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  await context.addCookies([{ name: 'foryou_session', value: token, url: server.base, httpOnly: true, sameSite: 'Strict' }]);
  return context;
}

async function idle(p) {
  await p.waitForFunction(() => !window.__foryou.loading && window.__foryou.events &&
    window.__foryou.events.pending.length === 0 && !window.__foryou.events.inFlight);
}

const railCount = (p, id) => p.textContent(`#${id} small`);

before(async () => {
  server = await startServer({ clips: ['cats', 'music'] });
  const viewerToken = await account(VIEWER);
  server.makerToken = await account(MAKER);
  await api('POST', '/v1/users', { id: FAN }, server.appKey);
  const now = Date.now();
  const video = (id, creator, cat, ageMin) => api('POST', '/v1/videos', {
    id, creator, caption: `${cat} by ${creator} ${id}`, hashtags: [cat], sound: `sound_${cat}`, duration_ms: 4000,
    upload_ms: now - ageMin * 60000, moderation: 'approved', media_url: `/media/${cat}.webm`,
  });
  for (let i = 0; i < 8; i++) await video(`v_maker_${i}`, MAKER, 'cats', 10 + i);
  // Creators without an account; enough of them that the feed's per-creator rules leave full pages.
  for (let i = 0; i < 40; i++) await video(`v_other_${i}`, `sw_other_${i % 10}`, i % 2 ? 'music' : 'cats', 30 + i);
  await video('v_viewer_0', VIEWER, 'music', 60);
  // Someone else liked the first video already.
  await api('POST', '/v1/events', { events: [{ type: 'like', user: FAN, video: FIRST, time_ms: now }] }, server.appKey);
  browser = await launchBrowser();
  viewer = await signedIn(viewerToken);
  ({ page, errors } = await openPage(viewer, `${server.base}/#video=${FIRST}`));
  await page.waitForSelector(`.slide[data-video="${FIRST}"]`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('counts: shown under the actions of every video; a like moves its count at once', async () => {
  await page.waitForSelector('#like small.count');
  assert.equal(await railCount(page, 'like'), '1', 'the like of another user is counted');
  assert.equal(await railCount(page, 'comment'), '0');
  await page.keyboard.press('l');
  assert.equal(await page.getAttribute('#like', 'aria-pressed'), 'true');
  assert.equal(await railCount(page, 'like'), '2', 'the count moves with the like at once');
  await idle(page);
  await waitFor('the server counts the like', async () => (await api('GET', `/v1/videos/${FIRST}`)).counts.likes === 2);
  // Videos of the feed carry counts too.
  // (The feed may serve the shared video again right after it: move on until another plays.)
  for (let i = 0; i < 5 && (await page.evaluate(() => window.__foryou.items[window.__foryou.cur].video)) === FIRST; i++) {
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(150);
  }
  assert.notEqual(await page.evaluate(() => window.__foryou.items[window.__foryou.cur].video), FIRST);
  await page.waitForSelector('#share small.count');
  await page.keyboard.press('ArrowUp');
  await page.waitForSelector(`.slide[data-video="${FIRST}"]`);
  await page.waitForSelector('#like small.count');
  assert.equal(await railCount(page, 'like'), '2', 'the like stays counted');
  await page.screenshot({ path: join(SHOTS, 'social-feed.png') });
});

test('comments: post, reply, delete own, listed after a reload, pinned by the creator', async () => {
  await page.keyboard.press('c');
  await page.waitForSelector('.comments-sheet');
  await page.getByLabel('Your comment').fill('first comment from the viewer');
  await page.getByRole('button', { name: 'Post' }).click();
  const mine = page.locator('.comment-list > .comment', { hasText: 'first comment from the viewer' });
  await mine.waitFor();
  assert.equal(await railCount(page, 'comment'), '1', 'the comment count moves at once');
  assert.equal(await page.locator('.comments-sheet .pin').count(), 0, 'no pin for a viewer who is not the creator');
  // A reply goes under its comment.
  await mine.locator('.reply').first().click();
  await page.getByLabel('Your comment').fill('a reply to it');
  await page.getByRole('button', { name: 'Post' }).click();
  await mine.locator('.replies .comment-text', { hasText: 'a reply to it' }).waitFor();
  // A second comment, deleted by its author.
  await page.getByLabel('Your comment').fill('this one goes away');
  await page.getByRole('button', { name: 'Post' }).click();
  const doomed = page.locator('.comment-list > .comment', { hasText: 'this one goes away' });
  await doomed.waitFor();
  await page.screenshot({ path: join(SHOTS, 'social-comments.png') });
  await doomed.locator('.delete').click();
  await doomed.waitFor({ state: 'detached' });
  const listed = await api('GET', `/v1/videos/${FIRST}/comments`);
  assert.deepEqual(listed.comments.filter((c) => !c.deleted).map((c) => c.text), ['first comment from the viewer']);

  // After a reload: listed, with its reply behind "View 1 reply".
  await page.goto(`${server.base}/?again=1#video=${FIRST}`);
  await page.waitForSelector(`.slide[data-video="${FIRST}"]`);
  await page.keyboard.press('c');
  const again = page.locator('.comment-list > .comment', { hasText: 'first comment from the viewer' });
  await again.waitFor();
  await again.getByRole('button', { name: 'View 1 reply' }).click();
  await again.locator('.replies .comment-text', { hasText: 'a reply to it' }).waitFor();
  await page.keyboard.press('Escape');

  // The video's creator pins it: first, with a label.
  const makerCtx = await signedIn(server.makerToken);
  const m = await openPage(makerCtx, `${server.base}/#video=${FIRST}`);
  await m.page.waitForSelector(`.slide[data-video="${FIRST}"]`);
  await m.page.keyboard.press('c');
  await m.page.getByLabel('Your comment').fill('thanks for watching');
  await m.page.getByRole('button', { name: 'Post' }).click();
  await m.page.locator('.comment-list > .comment', { hasText: 'thanks for watching' }).waitFor();
  await m.page.locator('.comment-list > .comment', { hasText: 'first comment from the viewer' }).locator('.pin').click();
  await m.page.locator('.comment-list > .comment.pinned', { hasText: 'first comment from the viewer' })
    .locator('.pinned-label').waitFor();
  const first = m.page.locator('.comment-list > .comment').first();
  assert.match(await first.innerText(), /Pinned[\s\S]*first comment from the viewer/);
  const api1 = await api('GET', `/v1/videos/${FIRST}/comments`);
  assert.equal(api1.comments[0].text, 'first comment from the viewer');
  assert.equal(api1.comments[0].pinned, true);
  // A refused comment (a banned term) shows the server's message and keeps the text.
  await m.page.getByLabel('Your comment').fill('get FREE LIKES here');
  await m.page.getByRole('button', { name: 'Post' }).click();
  await m.page.locator('.comment-form .error', { hasText: "text: contains the banned term 'free likes'" }).waitFor();
  assert.equal(await m.page.inputValue('.comment-form textarea'), 'get FREE LIKES here');
  assert.equal(await m.page.locator('.comment-list > .comment', { hasText: 'FREE LIKES' }).count(), 0);
  assert.deepEqual(m.errors.filter((e) => !/status of 400/.test(e)), [], 'no console errors (creator)');
  assert.equal(m.errors.length, 1, 'the one 400 is the refused comment');
  await makerCtx.close();

  // A long list comes a page (20) at a time as its end scrolls into view.
  for (let i = 0; i < 25; i++) {
    await api('POST', '/v1/videos/v_maker_1/comments', { user: FAN, text: `fan comment ${i}` }, server.appKey);
  }
  await page.goto(`${server.base}/?more=1#video=v_maker_1`);
  await page.waitForSelector('.slide[data-video="v_maker_1"]');
  await page.keyboard.press('c');
  await page.locator('.comment-list > .comment', { hasText: 'fan comment 24' }).waitFor();
  assert.equal(await page.locator('.comment-list > .comment').count(), 20, 'the first page');
  await page.locator('.comment-list > .comment').last().scrollIntoViewIfNeeded();
  await page.locator('.comment-list > .comment', { hasText: 'fan comment 0' }).waitFor();
  assert.equal(await page.locator('.comment-list > .comment').count(), 25, 'the rest after scrolling');
  await page.keyboard.press('Escape');
});

test('profile: @handle opens your profile (not sign-out); name and bio survive a server restart', async () => {
  await page.click('#me');
  await page.waitForSelector(`.profile[data-user="${VIEWER}"] .profile-head`);
  assert.equal(await page.getByRole('heading', { name: 'Sign in' }).count(), 0, 'still signed in');
  assert.equal(await page.evaluate(async () => (await (await fetch('/v1/auth/me')).json()).signed_in), true, 'still signed in');
  assert.ok(await page.isVisible('#profile-signout'), 'sign-out is inside the profile');
  assert.ok(await page.isVisible('.profile-tabs [data-kind="favorites"]'), 'favorites on your own profile');
  await page.click('#edit-profile');
  await page.getByLabel('Name').fill('Vera Viewer');
  await page.getByLabel('Bio').fill('Cats, mostly.');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForSelector('.profile-name:text("Vera Viewer")');
  assert.equal(await page.textContent('.bio'), 'Cats, mostly.');
  assert.equal(await page.textContent('.avatar.large'), 'VV', 'initials when there is no avatar');
  // A photo picked from a file becomes the avatar; "Download my data" saves the export.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await page.click('#edit-profile');
  await page.setInputFiles('input[name="avatar"]', { name: 'me.png', mimeType: 'image/png', buffer: png });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => {
    const img = document.querySelector('.avatar.large img');
    return img && img.complete && img.naturalWidth === 1 && /\/v1\/users\/sw_viewer\/avatar/.test(img.src);
  });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert.equal(download.suggestedFilename(), `foryou-${VIEWER}.json`);
  const exported = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'));
  assert.equal(exported.id, VIEWER);
  await page.screenshot({ path: join(SHOTS, 'social-profile.png') });

  await page.goto('about:blank');  // nothing polls the server while it restarts
  await server.restart();
  await page.goto(`${server.base}/`);
  await page.waitForSelector('.slide');
  await page.click('#me');
  await page.waitForSelector('.profile-name:text("Vera Viewer")');
  assert.equal(await page.textContent('.bio'), 'Cats, mostly.');
  await page.keyboard.press('Escape');
});

test("following: follow from a creator's profile, then the Following tab plays that creator's newest video", async () => {
  await page.click('#tab-following');
  await page.waitForSelector('.following-empty');
  assert.equal(await page.textContent('.following-empty'), 'Follow creators to see their videos here');
  await page.click('#tab-foryou');
  await page.waitForSelector('.slide');
  await page.goto(`${server.base}/?follow=1#video=${FIRST}`);
  await page.waitForSelector(`.slide[data-video="${FIRST}"]`);
  await page.click('.info .creator');
  await page.waitForSelector(`.profile[data-user="${MAKER}"] #profile-follow`);
  assert.equal(await page.locator('.profile-tabs [data-kind="favorites"]').count(), 0, "no favorites tab on another's profile");
  await page.waitForSelector('.profile .grid .tile');
  await page.click('#profile-follow');
  await page.waitForSelector('#profile-follow:text("Following")');
  await page.waitForSelector('[data-stat="followers"] b:text("1")');
  await idle(page);
  await api('POST', '/v1/videos', {
    id: 'v_maker_new', creator: MAKER, caption: 'brand new from the maker', hashtags: ['cats'], duration_ms: 4000,
    upload_ms: Date.now(), moderation: 'approved', media_url: '/media/cats.webm',
  });
  await page.keyboard.press('Escape');
  await page.click('#tab-following');
  await page.waitForSelector('.slide[data-video="v_maker_new"]');
  assert.equal(await page.getAttribute('#tab-following', 'aria-selected'), 'true');
  await page.screenshot({ path: join(SHOTS, 'social-following.png') });
  // The followers list opens from the count; a row opens that profile.
  await page.click('.info .creator');
  await page.click('[data-stat="followers"]');
  await page.click(`.user-row[data-user="${VIEWER}"]`);
  await page.waitForSelector(`.profile[data-user="${VIEWER}"] .profile-head`);
  await page.keyboard.press('Escape');
  await page.click('#tab-foryou');
});

test('inbox: a like from another user shows with an unread badge; opening it marks it read', async () => {
  await api('POST', '/v1/events', { events: [{ type: 'like', user: FAN, video: 'v_viewer_0', time_ms: Date.now() }] },
    server.appKey);
  await page.reload();
  await page.waitForSelector('#inbox .unread:not([hidden])');
  await page.click('#inbox');
  await page.locator('.inbox-item[data-type="like"]', { hasText: '@' + FAN }).waitFor();
  await page.waitForSelector('#inbox .unread[hidden]', { state: 'attached' });
  await waitFor('the inbox marked read', async () =>
    (await api('GET', `/v1/inbox?user=${VIEWER}`, undefined, server.appKey)).unread === 0);
  assert.deepEqual(errors, [], 'no console errors');
});

test('delete account: asks for the password inside the profile; a wrong one is refused, the right one signs out', async () => {
  const context = await signedIn(await account('sw_leaver'));
  const { page: p } = await openPage(context, `${server.base}/`);
  await p.waitForSelector('.slide');
  await p.click('#me');
  await p.click('#delete-account');
  const confirm = p.getByRole('alertdialog', { name: 'Delete account' });
  await confirm.getByLabel('Password').fill('not the password');
  await confirm.getByRole('button', { name: 'Delete account' }).click();
  await p.locator('.account .error', { hasText: 'wrong password' }).waitFor();
  assert.equal((await api('GET', '/v1/users/sw_leaver')).id, 'sw_leaver', 'a wrong password deletes nothing');
  await confirm.getByLabel('Password').fill(PASSWORD);
  await confirm.getByRole('button', { name: 'Delete account' }).click();
  await p.getByText('Your account is deleted.').waitFor();
  await p.getByRole('heading', { name: 'Sign in' }).waitFor();
  const gone = await fetch(`${server.base}/v1/users/sw_leaver`, { headers: { 'X-Api-Key': server.adminKey } });
  assert.equal(gone.status, 404, 'the user is gone');
  await context.close();
});
