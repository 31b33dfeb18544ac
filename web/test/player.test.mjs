// Browser tests of the player's video surface, gestures, the logged-out path, the creator /
// sound pages and the dashboard at human traffic (docs/design/web.md): chromium against a real
// `foryou serve` started by harness.mjs, one server for the file.
//
//   cd web && node --test test/player.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, startServer, eventCount, openPage, waitFor } from './player_harness.mjs';

const CATEGORIES = ['cats', 'dance', 'music'];
let server, base, appKey, adminKey, browser, api;

before(async () => {
  server = await startServer([...CATEGORIES, 'bare']);
  ({ base, appKey, adminKey, browser, api } = server);
  unlinkSync(join(server.media, 'bare.jpg'));  // a clip without its cover image
  const now = Date.now();
  let n = 0;
  for (const cat of CATEGORIES) {
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < 6; i++, n++) {
        await api('POST', '/v1/videos', {
          id: `v_${cat}_${c}_${i}`, creator: `${cat}_maker_${c}`, caption: `${cat} video ${c}-${i}`, hashtags: [cat],
          sound: `sound_${cat}_${i % 3}`, duration_ms: 4000, upload_ms: now - (n + 1) * 60000, moderation: 'approved',
          media_url: i === 5 ? '/media/bare.webm' : `/media/${cat}.webm`,
        });
      }
    }
  }
  await api('POST', '/v1/videos', {
    id: 'v_pending', creator: 'cats_maker_0', caption: 'not reviewed yet', hashtags: ['cats'], duration_ms: 4000,
    moderation: 'pending', media_url: '/media/cats.webm',
  });
  for (const id of ['pl_desk', 'pl_phone']) await api('POST', '/v1/users', { id, language: 'en' }, appKey);
});

after(async () => {
  if (server) await server.stop();
});

// A context signed in with the app key as `user` (the player's #key= path, remembered).
async function keyContext(user, viewport) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(([k, u]) => {
    if (!localStorage.getItem('foryou.key')) {
      localStorage.setItem('foryou.key', k);
      localStorage.setItem('foryou.user', u);
    }
  }, [appKey, user]);
  return context;
}

// Console errors other than the missing cover of the 'bare' clip (its fallback is under test).
function realErrors(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/bare\.jpg$/.test(m.location().url || '')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

const cur = (page) => page.evaluate(() => window.__foryou.cur);
const onScreen = (page) => page.evaluate(() => window.__foryou.items[window.__foryou.cur].video);

// Moves on (ArrowDown) until a video with a playing clip is on screen.
async function untilPlaying(page) {
  for (let i = 0; i < 12; i++) {
    try {
      await page.waitForFunction(() => {
        const v = document.querySelector('.slide video');
        return v && v.readyState >= 2 && v.currentTime > 0.1 && Number.isFinite(v.duration);
      }, null, { timeout: 4000 });
      return;
    } catch {
      const c = await cur(page);
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction((b) => window.__foryou.cur > b, c);
    }
  }
  throw new Error('no playing clip');
}

test('dashboard at human traffic: no "– / –", points for single samples, p50 beside p99, labels that fit at 375 px', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const { page, errors } = await openPage(context, `${base}/dashboard#key=${adminKey}`);
  await page.waitForFunction(() => window.__dashboard.polls > 0);
  const summary = await page.locator('#summary').innerText();
  assert.match(summary, /no requests yet/, summary);
  assert.doesNotMatch(summary, /– \/ –/, summary);

  // One feed request: a single sample of latency, drawn as points.
  await api('GET', '/v1/feed?user=pl_desk&count=2', undefined, appKey);
  await page.waitForFunction(() => Number(document.getElementById('chart-latency').dataset.points) > 0, null, { timeout: 15000 });
  const latency = await page.evaluate(() => {
    const { plot } = window.__dashboard.charts.get('latency');
    return plot.series.slice(1).map((s, i) => ({ label: s.label, points: s.points.show(plot, i + 1, 0, 0, []) === true,
      stroke: typeof s.stroke === 'function' ? s.stroke(plot, 1) : s.stroke }));
  });
  assert.deepEqual(latency.map((s) => s.label).sort(), ['p50', 'p99']);
  assert.ok(latency.every((s) => s.points), JSON.stringify(latency));
  assert.notEqual(latency[0].stroke, latency[1].stroke, 'p50 and p99 in different colours');
  const legend = await page.locator('#chart-latency .u-legend').innerText();
  assert.match(legend, /p50/);
  assert.match(legend, /p99/);
  assert.doesNotMatch(await page.locator('#summary').innerText(), /no requests yet/);

  // The 15 event types in 15 colours told apart (CIE76 distance >= 25 between every pair).
  const strokes = await page.evaluate(() => window.__dashboard.charts.get('events').plot.series.slice(1)
    .map((s) => (typeof s.stroke === 'function' ? s.stroke(null, 0) : s.stroke)));
  assert.equal(strokes.length, 15);
  const lab = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v > 0.04045 ? ((v + 0.055) / 1.055) ** 2.4 : v / 12.92));
    const xyz = [(0.4124 * c[0] + 0.3576 * c[1] + 0.1805 * c[2]) / 0.95047, 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2],
      (0.0193 * c[0] + 0.1192 * c[1] + 0.9505 * c[2]) / 1.08883].map((t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116));
    return [116 * xyz[1] - 16, 500 * (xyz[0] - xyz[1]), 200 * (xyz[1] - xyz[2])];
  };
  for (let i = 0; i < strokes.length; i++) {
    for (let j = i + 1; j < strokes.length; j++) {
      const d = Math.hypot(...lab(strokes[i]).map((v, k) => v - lab(strokes[j])[k]));
      assert.ok(d >= 25, `event colours ${strokes[i]} and ${strokes[j]} too close (${d.toFixed(1)})`);
    }
  }

  // Every y-axis is as wide as its longest label (none cut off at the edge), whatever the values.
  await page.waitForTimeout(2200);
  const axes = await page.evaluate(() => {
    const out = [];
    for (const [id, { plot }] of window.__dashboard.charts) {
      plot.axes.forEach((a, i) => {
        if (i === 0 || !a._values) return;
        plot.ctx.font = a.font[0];
        const widest = Math.max(0, ...a._values.map((v) => plot.ctx.measureText(String(v)).width / devicePixelRatio));
        out.push({ id, i, size: a._size, need: widest + a.ticks.size + a.gap, values: a._values });
      });
    }
    return out;
  });
  assert.ok(axes.length >= 6, JSON.stringify(axes));
  for (const a of axes) assert.ok(a.size >= a.need, `axis ${a.i} of ${a.id}: ${a.size}px for ${JSON.stringify(a.values)}`);
  // A label such as "15,250": the axis grows to fit it.
  const grown = await page.evaluate(() => {
    const { plot } = window.__dashboard.charts.get('table');
    const a = plot.axes[1];
    return { size: a.size(plot, ['15,250', '5,000'], 1, 0), small: a.size(plot, ['5'], 1, 0) };
  });
  assert.ok(grown.size > grown.small + 20, JSON.stringify(grown));

  // The time axis's labels (each line of them) do not run into each other.
  const timeOverlaps = await page.evaluate(() => {
    const bad = [];
    let checked = 0;
    for (const [id, { plot }] of window.__dashboard.charts) {
      const a = plot.axes[0];
      if (!a._values || !a._splits) continue;
      plot.ctx.font = a.font[0];
      const lines = a._values.map((v) => String(v ?? '').split('\n'));
      for (let line = 0; line < 2; line++) {
        let lastRight = -Infinity;
        a._splits.forEach((t, i) => {
          const text = lines[i][line];
          if (!text) return;
          const x = plot.valToPos(t, 'x');
          const w = plot.ctx.measureText(text).width / devicePixelRatio;
          checked++;
          if (x - w / 2 < lastRight) bad.push(`${id}: ${text}`);
          lastRight = x + w / 2;
        });
      }
    }
    return { bad, checked };
  });
  assert.deepEqual(timeOverlaps.bad, []);
  assert.ok(timeOverlaps.checked > 0, JSON.stringify(timeOverlaps));

  // At phone width: nothing wider than the screen, and no two labels of a legend or the summary
  // on top of each other.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth));
  const overlaps = await page.evaluate(() => {
    const bad = [];
    const groups = [...document.querySelectorAll('.u-legend'), document.getElementById('summary')];
    for (const g of groups) {
      const boxes = [...g.querySelectorAll('.u-series, .stat')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) bad.push([i, j]);
        }
      }
    }
    return bad;
  });
  assert.deepEqual(overlaps, []);
  await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('player surface: the progress bar seeks, a tap pauses with an icon, a double tap likes without pausing, desktop buttons and keys', async () => {
  const context = await keyContext('pl_desk', { width: 1280, height: 800 });
  const page = await context.newPage();
  const errors = realErrors(page);
  await page.goto(`${base}/`);
  await page.waitForSelector('.slide');
  await untilPlaying(page);
  // No debug line for the viewer.
  assert.equal(await page.isVisible('.status'), false, 'the events line is hidden');
  assert.doesNotMatch(await page.locator('main').innerText(), /events sent/);

  // A click on the progress bar seeks there; a drag along it seeks as it goes, without a swipe.
  const at = await cur(page);
  const bar = await page.locator('.slide .progress').boundingBox();
  const seekTo = async (frac) => page.mouse.click(bar.x + bar.width * frac, bar.y + bar.height / 2);
  const time = () => page.evaluate(() => {
    const v = document.querySelector('.slide video');
    return { t: v.currentTime, d: v.duration };
  });
  await seekTo(0.75);
  let tv = await time();
  assert.ok(Math.abs(tv.t - 0.75 * tv.d) < 0.6, JSON.stringify(tv));
  await page.mouse.move(bar.x + bar.width * 0.1, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width * 0.3, bar.y + bar.height / 2, { steps: 4 });
  await page.mouse.move(bar.x + bar.width * 0.5, bar.y + bar.height / 2, { steps: 4 });
  tv = await time();
  assert.ok(Math.abs(tv.t - 0.5 * tv.d) < 0.6, JSON.stringify(tv));
  await page.mouse.up();
  assert.equal(await cur(page), at, 'seeking is not a swipe');
  const fill = await page.evaluate(() => parseFloat(document.querySelector('.slide .progress-fill').style.width));
  assert.ok(fill > 30 && fill < 100, `the bar shows the position: ${fill}%`);

  // A tap pauses and shows the pause icon; another resumes and hides it.
  const cx = 640, cy = 300;
  await page.mouse.click(cx, cy);
  await page.waitForFunction(() => document.querySelector('.slide video').paused);
  assert.ok(await page.isVisible('.slide .pause-icon'), 'pause icon while paused');
  await page.mouse.click(cx, cy);
  await page.waitForFunction(() => !document.querySelector('.slide video').paused);
  assert.equal(await page.isVisible('.slide .pause-icon'), false);

  // A double tap likes (a heart where tapped, the like event) and neither pauses nor resumes.
  const likesBefore = eventCount(await api('GET', '/metrics'), 'like');
  const video = await onScreen(page);
  await page.mouse.dblclick(cx, cy);
  await page.waitForSelector('.stage .heart');
  await page.waitForFunction((v) => window.__foryou.liked.has(v), video);
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => document.querySelector('.slide video').paused), false, 'a double tap does not pause');
  assert.equal(await page.getAttribute('#like', 'aria-pressed'), 'true');
  await waitFor('the like in /metrics', async () => eventCount(await api('GET', '/metrics'), 'like') === likesBefore + 1);

  // Space pauses too; desktop buttons move between videos; the keys are written on screen.
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('.slide video').paused);
  assert.ok(await page.isVisible('#next-video') && await page.isVisible('#prev-video'));
  const hint = await page.locator('.keys-hint').innerText();
  assert.match(hint, /like/i, hint);
  const before = await cur(page);
  await page.click('#next-video');
  await page.waitForFunction((b) => window.__foryou.cur === b + 1, before);
  await page.click('#prev-video');
  await page.waitForFunction((b) => window.__foryou.cur === b, before);
  await page.screenshot({ path: join(SHOTS, 'player-desktop-surface.png') });
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('player gestures: the video follows a drag, then snaps to the next video or back', async () => {
  const context = await keyContext('pl_phone', { width: 390, height: 844 });
  const page = await context.newPage();
  const errors = realErrors(page);
  await page.goto(`${base}/`);
  await page.waitForSelector('.slide');
  await page.waitForFunction(() => window.__foryou.items.length > 3);
  assert.equal(await page.isVisible('#next-video'), false, 'no desktop buttons on a phone');
  const shift = () => page.evaluate(() => new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.slide')).transform).m42);
  const start = await cur(page);
  // A short drag: the slide follows, then springs back; still the same video, not paused.
  await page.mouse.move(195, 500);
  await page.mouse.down();
  await page.mouse.move(195, 460, { steps: 4 });
  // The slide moves at the next frame after the pointer's: waited for, not read at once.
  await page.waitForFunction(() => Math.abs(new DOMMatrixReadOnly(
    getComputedStyle(document.querySelector('.slide')).transform).m42 + 40) < 2, undefined,
  { timeout: 2000 }).catch(() => {});
  assert.ok(Math.abs((await shift()) + 40) < 2, `the slide follows the finger: ${await shift()}`);
  await page.waitForTimeout(300);  // a slow drag (a quick one is a flick)
  await page.mouse.up();
  await page.waitForFunction(() => getComputedStyle(document.querySelector('.slide')).transform === 'none' ||
    new DOMMatrixReadOnly(getComputedStyle(document.querySelector('.slide')).transform).m42 === 0);
  assert.equal(await cur(page), start, 'a short drag snaps back');
  // A long drag up: the next video.
  await page.mouse.move(195, 600);
  await page.mouse.down();
  await page.mouse.move(195, 450, { steps: 5 });
  await page.waitForFunction(() => new DOMMatrixReadOnly(
    getComputedStyle(document.querySelector('.slide')).transform).m42 < -100, undefined,
  { timeout: 2000 }).catch(() => {});
  assert.ok((await shift()) < -100);
  await page.mouse.move(195, 300, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((s) => window.__foryou.cur === s + 1, start);
  // And down again: the previous one.
  await page.mouse.move(195, 300);
  await page.mouse.down();
  await page.mouse.move(195, 500, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction((s) => window.__foryou.cur === s, start);
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('logged out: / plays the public feed, a shared link opens for anyone, actions ask to sign in, nothing is logged', async () => {
  // The API: the logged-out feed and a shared video need no credential; the pending one is 404.
  const pub = await (await fetch(`${base}/v1/feed?count=5&lang=en`)).json();
  assert.equal(pub.items.length, 5, JSON.stringify(pub));
  assert.equal((await fetch(`${base}/v1/feed?user=pl_desk`)).status, 401);
  assert.equal((await fetch(`${base}/v1/videos/v_pending`)).status, 404);

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = realErrors(page);
  const posted = [];
  page.on('request', (r) => { if (r.method() !== 'GET') posted.push(r.method() + ' ' + r.url()); });
  await page.goto(`${base}/`);
  await page.waitForSelector('.slide');
  assert.equal(await page.evaluate(() => window.__foryou.user), '');
  assert.ok(await page.isVisible('#signin'), 'a Sign in button');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => window.__foryou.cur === 1);
  // Like, double tap, follow, comment: each asks to sign in and sends nothing.
  for (const act of [() => page.click('#like'), () => page.mouse.dblclick(195, 400), () => page.click('#follow'),
    () => page.click('#comment')]) {
    await act();
    await page.getByRole('dialog').getByText(/^Sign in to /).first().waitFor();
    await page.keyboard.press('Escape');
  }
  assert.equal(await page.evaluate(() => window.__foryou.liked.size), 0);
  // The share button copies a link that opens the video for anyone.
  const shared = await onScreen(page);
  await page.click('#share');
  const toast = await page.locator('.toast').innerText();
  const link = toast.match(/https?:\/\/\S+/)[0];
  assert.equal(link, `${base}/#video=${shared}`);
  await page.waitForTimeout(1500);  // the event queue's flush interval
  assert.deepEqual(posted, [], 'nothing sent for a visitor');

  const friend = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const fp = await friend.newPage();
  const friendErrors = realErrors(fp);
  await fp.goto(link);
  await fp.waitForSelector(`.slide[data-video="${shared}"]`);
  assert.doesNotMatch(await fp.locator('body').innerText(), /Open the player with the link/);
  // A pending video's link is refused with a message, and the feed plays on.
  await fp.goto(`${base}/?again=1#video=v_pending`);
  await fp.getByText("The shared video 'v_pending' is not available").waitFor();
  await fp.waitForSelector('.slide');
  await friend.close();
  assert.equal(friendErrors.filter((e) => !/404/.test(e)).length, 0, friendErrors.join('\n'));

  // Sign in from the prompt: the form, then the feed opens on the same video.
  await page.click('#like');
  await page.click('#signin-go');
  const signUp = page.locator('form', { has: page.getByRole('heading', { name: 'Sign up' }) });
  await signUp.getByLabel('Handle').fill('pl_visitor');
  await signUp.getByLabel('Password').fill('visitor pass phrase');
  await page.getByRole('button', { name: 'Start watching' }).click();
  await page.waitForSelector(`.slide[data-video="${shared}"]`);
  assert.equal(await page.evaluate(() => window.__foryou.user), 'pl_visitor');
  await page.click('#like');
  await page.waitForFunction(() => document.querySelector('#like').getAttribute('aria-pressed') === 'true');
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('pages: a creator avatar and follow button, a sound by its title, tiles with cover images and no raw engagement', async () => {
  // Logged out: the page reads; follow asks to sign in.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors = realErrors(page);
  await page.goto(`${base}/#video=v_dance_1_0`);
  await page.waitForSelector('.slide[data-video="v_dance_1_0"]');
  await page.click('.info .creator');
  await page.waitForSelector('.page-head .avatar');
  assert.equal((await page.locator('.page-head .avatar').innerText()).trim(), 'DM');
  const tiles = page.locator('.grid .tile');
  assert.equal(await tiles.count(), 6);
  const text = await page.locator('.panel').innerText();
  assert.doesNotMatch(text, /engagement/i, text);
  assert.match(text, /6\s*videos/, text);
  // Covers load for clips that have one; the 'bare' clip's tile keeps its gradient.
  await page.waitForFunction(() => [...document.querySelectorAll('.tile img.cover')].every((i) => i.complete));
  const covers = await page.$$eval('.tile', (ts) => ts.map((t) => ({ id: t.dataset.video, img: !!t.querySelector('img.cover'),
    ok: !!t.querySelector('img.cover') && t.querySelector('img.cover').naturalWidth > 0 })));
  for (const c of covers) {
    if (c.id.endsWith('_5')) assert.equal(c.img, false, `${c.id}: no broken image`);
    else assert.ok(c.ok, `${c.id}: cover shown`);
  }
  await page.click('#page-follow');
  await page.getByRole('heading', { name: 'Sign in to follow creators' }).waitFor();
  await page.keyboard.press('Escape');
  // The sound: by its title, never its id.
  await page.click('.info .sound');
  await page.waitForSelector('.page-head h3');
  const title = await page.locator('#panel-title').innerText();
  assert.match(title, /original sound - @dance_maker_\d/, title);
  assert.doesNotMatch(title, /sound_dance_0/, title);
  assert.match(await page.locator('.info .sound').innerText(), /original sound/);
  await page.screenshot({ path: join(SHOTS, 'player-sound-page.png') });
  await context.close();

  // Signed in: follow and unfollow from the page send their events.
  const signed = await keyContext('pl_desk', { width: 390, height: 844 });
  const sp = await signed.newPage();
  const spErrors = realErrors(sp);
  await sp.goto(`${base}/#video=v_music_0_1`);
  await sp.waitForSelector('.slide[data-video="v_music_0_1"]');
  const m0 = await api('GET', '/metrics');
  await sp.click('.info .creator');
  await sp.click('#page-follow');
  await sp.waitForFunction(() => document.querySelector('#page-follow').getAttribute('aria-pressed') === 'true');
  assert.equal(await sp.locator('#page-follow').innerText(), 'Following');
  await sp.click('#page-follow');
  await sp.waitForFunction(() => document.querySelector('#page-follow').getAttribute('aria-pressed') === 'false');
  await waitFor('follow and unfollow in /metrics', async () => {
    const m = await api('GET', '/metrics');
    return eventCount(m, 'follow') === eventCount(m0, 'follow') + 1 && eventCount(m, 'unfollow') === eventCount(m0, 'unfollow') + 1;
  });
  assert.deepEqual([...errors, ...spErrors], [], 'no console errors');
  await signed.close();
});
