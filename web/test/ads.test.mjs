// Browser test of the Ads Manager (/ads.html, ads_manager.js) in Debian's chromium against a
// real `foryou serve` (harness.mjs): an advertiser signs in, creates a campaign, an ad group and
// an ad in forms that check fields as they are typed and show the server's errors beside the
// field, sees them listed, pauses the campaign, and sees its ad group's delivery charts. Then
// the viewer's side: an ad in the player says "Sponsored" with its call to action, and a tap on
// it is the ad click that bills its CPC ad group, once however often it is tapped.
//
//   cd web && node --test test/ads.test.mjs     (needs build/release/foryou and web/dist)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launchBrowser, openPage, startServer, waitFor } from './harness.mjs';

const PASSWORD = 'ads pass phrase';
let server, browser;

before(async () => {
  server = await startServer({ clips: [] });
  const res = await fetch(server.base + '/v1/auth/signup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle: 'shoe_shop', password: PASSWORD, interests: ['dance'] }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await server.api('POST', '/v1/admin/accounts/shoe_shop/roles', { roles: ['viewer', 'advertiser'] });
  const now = Date.now();
  for (const [id, creator] of [['shoe_clip', 'shoe_shop'], ['other_clip', 'someone_else']]) {
    await server.api('POST', '/v1/videos', {
      id, creator, caption: 'new shoes', hashtags: ['dance'], duration_ms: 8000, upload_ms: now,
      moderation: 'approved', media_url: '/media/none.webm',
    });
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// The stored records as the admin sees them.
const accountsOf = async () => (await server.api('GET', '/v1/ads/accounts')).accounts.filter((a) => a.owner === 'shoe_shop');

test('ads manager: create -> list -> pause -> report', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
  const { page, errors } = await openPage(context, `${server.base}/ads.html`);
  await page.fill('#signin [name=handle]', 'shoe_shop');
  await page.fill('#signin [name=password]', PASSWORD);
  await page.click('#signin button[type=submit]');

  await page.fill('#new-account [name=name]', 'Shoe Shop');
  await page.click('#new-account button[type=submit]');
  await waitFor('the account', async () => (await accountsOf()).length === 1);
  const account = (await accountsOf())[0].id;

  // A campaign: the budget is checked as it is typed.
  await page.waitForSelector('#new-campaign:not([hidden])');
  await page.fill('#new-campaign [name=name]', 'Spring sale');
  await page.fill('#new-campaign [name=budget_micros]', '0');
  await page.waitForSelector('#new-campaign .field-error[data-for=budget_micros]:text("a budget above 0")');
  await page.click('#new-campaign button[type=submit]');
  assert.equal((await server.api('GET', `/v1/ads/campaigns?account=${account}`)).campaigns.length, 0,
    'an invalid form is not sent');
  await page.fill('#new-campaign [name=budget_micros]', '50');
  assert.equal(await page.textContent('#new-campaign .field-error[data-for=budget_micros]'), '');
  await page.selectOption('#new-campaign [name=objective]', 'traffic');
  await page.click('#new-campaign button[type=submit]');
  await page.waitForSelector('.ads-list .campaign .line:has-text("Spring sale")');
  const [campaign] = (await server.api('GET', `/v1/ads/campaigns?account=${account}`)).campaigns;
  assert.equal(campaign.budget_micros, 50_000_000);
  assert.equal(campaign.objective, 'traffic');

  // An ad group: a bid checked against the strategy as it is typed.
  await page.waitForSelector('#new-ad-group:not([hidden])');
  await page.fill('#new-ad-group [name=name]', 'Dancers');
  await page.selectOption('#new-ad-group [name=bid_strategy]', 'lowest_cost');
  await page.fill('#new-ad-group [name=bid_micros]', '2');
  await page.waitForSelector('#new-ad-group .field-error[data-for=bid_micros]:text("no bid with lowest cost")');
  await page.selectOption('#new-ad-group [name=bid_strategy]', 'bid_cap');
  await page.fill('#new-ad-group [name=bid_micros]', '0.4');
  await page.fill('#new-ad-group [name=budget_micros]', '20');
  await page.fill('#new-ad-group [name="targeting.countries"]', 'us, ca');
  await page.fill('#new-ad-group [name="targeting.interests"]', 'dance');
  await page.click('#new-ad-group button[type=submit]');
  await page.waitForSelector('.ads-list .ad-group .line:has-text("Dancers")');
  const [group] = (await server.api('GET', `/v1/ads/ad_groups?campaign=${campaign.id}`)).ad_groups;
  assert.equal(group.bid_micros, 400_000);
  assert.deepEqual(group.targeting.countries, ['US', 'CA']);

  // An ad: another creator's video passes the form's check but the server refuses it, beside
  // the video field.
  await page.waitForSelector('#new-ad:not([hidden])');
  await page.fill('#new-ad [name=name]', 'Spring shoes');
  await page.fill('#new-ad [name=landing_url]', 'shoes.example');
  await page.waitForSelector('#new-ad .field-error[data-for=landing_url]:text("http")');
  await page.fill('#new-ad [name=landing_url]', 'https://shoes.example/spring');
  await page.fill('#new-ad [name=video]', 'other_clip');
  await page.click('#new-ad button[type=submit]');
  await page.waitForSelector('#new-ad .field-error[data-for=video]:text("posted by \'someone_else\'")');
  await page.fill('#new-ad [name=video]', 'shoe_clip');
  await page.click('#new-ad button[type=submit]');
  await page.waitForSelector('.ads-list .ad .line:has-text("Spring shoes")');
  assert.match(await page.textContent('.ads-list .ad .approval'), /pending/);

  // Pause the campaign from the list; the server has it paused; resume.
  await page.click(`.ads-list .campaign[data-id="${campaign.id}"] > .line .toggle`);
  await page.waitForSelector(`.ads-list .campaign[data-id="${campaign.id}"] > .line .badge.paused`);
  assert.equal((await server.api('GET', `/v1/ads/campaigns/${campaign.id}`)).paused, true);
  await page.screenshot({ path: join(SHOTS, 'ads_manager.png'), fullPage: true });
  await page.click(`.ads-list .campaign[data-id="${campaign.id}"] > .line .toggle:text("Resume")`);
  await page.waitForSelector(`.ads-list .campaign[data-id="${campaign.id}"] > .line .badge.active`);
  assert.equal((await server.api('GET', `/v1/ads/campaigns/${campaign.id}`)).paused, false);

  // Delivery: the group's learning state, and spend against its plan over today's 24 hours.
  const card = `.ads-delivery[data-group="${group.id}"]`;
  await page.waitForSelector(card);
  assert.match(await page.textContent(`${card} .badge`), /Learning/);
  assert.equal(await page.locator(`${card} svg.ads-chart`).first().locator('rect.spend').count(), 24);
  const plan = await page.getAttribute(`${card} svg.ads-chart polyline.plan`, 'points');
  assert.equal(plan.trim().split(' ').length, 24);
  const report = await server.api('GET', `/v1/ads/reports?account=${account}&level=ad_group&by=hour`);
  const planned = report.ad_groups[0].plan.reduce((s, p) => s + p.planned_micros, 0);
  assert.ok(planned > 19_000_000 && planned <= 20_000_000, `plan adds up to the daily budget: ${planned}`);
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
  await context.close();
});

// Until the player's event queue has sent everything it holds.
const eventsSent = (page) => waitFor('the player\'s events sent', () => page.evaluate(() => {
  const q = window.__foryou.events;
  return q.pending.length === 0 && !q.inFlight;
}));

// A world for an ad in the player: `organic` approved videos of as many creators and sounds over
// `tags` hashtags (full pages under the feed's rules), the brand's video (older than the fresh
// pool, so the feed rarely shows it organically: the player shows a video once, and a page never
// carries an ad of a video it shows), the viewer, and the brand's account. Returns once the
// feed's index has the videos (until then pages are short).
async function seedAdWorld({ prefix, organic, tags, brand, clip, caption, viewer, probe }) {
  const now = Date.now();
  for (let i = 0; i < organic; i++) {
    await server.api('POST', '/v1/videos', {
      id: `${prefix}org_${i}`, creator: `${prefix}maker_${i}`, caption: `${prefix}clip ${i}`,
      hashtags: [`${prefix || 'tag_'}${i % tags}`], sound: `${prefix}song_${i}`, duration_ms: 8000,
      upload_ms: now - i * 60000, moderation: 'approved', media_url: '/media/none.webm',
    });
  }
  await server.api('POST', '/v1/videos', {
    id: clip, creator: brand, caption, hashtags: ['shop'], duration_ms: 8000,
    upload_ms: now - 10 * 86_400_000, moderation: 'approved', media_url: '/media/none.webm',
  });
  await server.api('POST', '/v1/users', { id: viewer, language: 'en' }, server.appKey);
  await server.api('POST', '/v1/users', { id: probe, language: 'en' }, server.appKey);
  await waitFor('the videos in the feed\'s index', async () => (await server.api(
    'GET', `/v1/feed?user=${probe}&count=10`, undefined, server.appKey)).items.length >= 10);
  const signup = await fetch(server.base + '/v1/auth/signup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ handle: brand, password: PASSWORD }),
  });
  assert.equal(signup.status, 201, await signup.clone().text());
}

test('player: a sponsored item and its call to action, a CPC click billed once', async () => {
  await seedAdWorld({ prefix: '', organic: 30, tags: 10, brand: 'sneaker_brand', clip: 'sneaker_clip',
    caption: 'the new drop', viewer: 'ad_viewer', probe: 'index_probe' });
  // A CPC group (Bid Cap on clicks) with an approved ad, made by the admin for the brand's account.
  await server.api('POST', '/v1/ads/accounts', { id: 'sneakers', name: 'Sneakers', owner: 'sneaker_brand' });
  await server.api('POST', '/v1/ads/campaigns', {
    id: 'sneakers-cmp', account: 'sneakers', name: 'Drop', objective: 'traffic',
    budget_mode: 'daily', budget_micros: 50_000_000,
  });
  const bid = 1_500_000;  // $1.50 a click
  await server.api('POST', '/v1/ads/ad_groups', {
    id: 'sneakers-cpc', campaign: 'sneakers-cmp', name: 'Clicks', goal: 'click', bid_strategy: 'bid_cap',
    bid_micros: bid, budget_mode: 'daily', budget_micros: 20_000_000, pacing: 'fast',
  });
  await server.api('POST', '/v1/ads/ads', {
    id: 'sneakers-ad', ad_group: 'sneakers-cpc', name: 'Drop ad', video: 'sneaker_clip',
    call_to_action: 'shop_now', landing_url: 'https://sneakers.example/drop',
  });
  await server.api('POST', '/v1/ads/ads/sneakers-ad/approval', { approval: 'approved' });

  // The viewer signs in with the app key (the player's remembered key and user).
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  await context.addInitScript(([k, u]) => {
    localStorage.setItem('foryou.key', k);
    localStorage.setItem('foryou.user', u);
  }, [server.appKey, 'ad_viewer']);
  // The landing page is the advertiser's site: answered here, nothing leaves the machine.
  let landings = 0;
  await context.route('https://sneakers.example/**', (route) => {
    landings++;
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>sneakers</p>' });
  });
  const { page, errors } = await openPage(context, `${server.base}/`);
  await page.waitForFunction(() => window.__foryou.items.length > 0);
  // Swipe on to the ad (the first slot is the 5th item or later: 4 organic items come first).
  for (let i = 0; i < 30; i++) {
    if (await page.evaluate(() => Boolean(window.__foryou.items[window.__foryou.cur]?.sponsored))) break;
    const cur = await page.evaluate(() => window.__foryou.cur);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((c) => window.__foryou.cur !== c, cur, { timeout: 5000 }).catch(() => {});
  }
  const ad = await page.evaluate(() => window.__foryou.items[window.__foryou.cur]);
  const seen = await page.evaluate(() => window.__foryou.items.map((i) => i.ad || i.video).join(' '));
  assert.equal(ad.sponsored, true, `the player reached the ad: ${seen}`);
  assert.equal(ad.ad, 'sneakers-ad');
  await page.waitForSelector('.ad-label .cta');
  assert.equal(await page.textContent('.ad-label strong'), 'Sponsored');
  assert.equal(await page.textContent('.ad-label .cta'), 'Shop now');
  const href = new URL(await page.getAttribute('.ad-label .cta', 'href'));
  assert.equal(href.origin + href.pathname, 'https://sneakers.example/drop');
  assert.equal(href.searchParams.get('fy_click'), ad.click_id);
  await page.screenshot({ path: join(SHOTS, 'player-ad.png') });

  const report = async () => (await server.api(
    'GET', '/v1/ads/reports?account=sneakers&level=ad_group&by=all')).totals;
  assert.equal((await report()).clicks, 0, 'no click before the tap');
  // The tap opens the landing page and sends the ad click of the ad's slot.
  const [landing] = await Promise.all([context.waitForEvent('page'), page.click('.ad-label .cta')]);
  await landing.close();
  await eventsSent(page);
  await waitFor('the click in the report', async () => (await report()).clicks === 1);
  const billed = await report();
  assert.ok(billed.spend_micros > 0 && billed.spend_micros <= bid,
    `the click is billed, at most the bid: ${billed.spend_micros}`);
  // A second tap on the same ad: the landing page again, no second charge.
  const [again] = await Promise.all([context.waitForEvent('page'), page.click('.ad-label .cta')]);
  await again.close();
  await eventsSent(page);
  const after = await report();
  assert.equal(after.clicks, 1);
  assert.equal(after.spend_micros, billed.spend_micros);
  assert.equal(landings, 2);
  assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), []);
  await context.close();
});

// Swipes on (ArrowDown) until `done()` holds in the page, at most `max` swipes.
async function swipeUntil(page, done, max = 30) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(done)) return true;
    const cur = await page.evaluate(() => window.__foryou.cur);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((c) => window.__foryou.cur !== c, cur, { timeout: 5000 }).catch(() => {});
  }
  return page.evaluate(done);
}

test('player: an ad of a video watched organically, queued past a like, is shown once as Sponsored', async () => {
  // The first test's ad would compete for the slots: paused while this one runs.
  const sneakers = '/v1/ads/campaigns/sneakers-cmp';
  const pauseSneakers = (paused) => server.api('PATCH', sneakers, { paused }).catch((e) => {
    if (!/: 404 /.test(e.message)) throw e;
  });
  await pauseSneakers(true);
  await seedAdWorld({ prefix: 'fan_', organic: 24, tags: 8, brand: 'juice_brand', clip: 'juice_clip',
    caption: 'fresh juice', viewer: 'ad_fan', probe: 'fan_probe' });
  // A CPM group (Bid Cap on impressions: the impression bills it); its ad is approved later.
  await server.api('POST', '/v1/ads/accounts', { id: 'juice', name: 'Juice', owner: 'juice_brand' });
  await server.api('POST', '/v1/ads/campaigns', {
    id: 'juice-cmp', account: 'juice', name: 'Juice', objective: 'reach', budget_mode: 'daily', budget_micros: 50_000_000,
  });
  await server.api('POST', '/v1/ads/ad_groups', {
    id: 'juice-cpm', campaign: 'juice-cmp', name: 'Views', goal: 'impression', bid_strategy: 'bid_cap',
    bid_micros: 50_000_000, budget_mode: 'daily', budget_micros: 20_000_000, pacing: 'fast',
  });
  await server.api('POST', '/v1/ads/ads', {
    id: 'juice-ad', ad_group: 'juice-cpm', name: 'Juice ad', video: 'juice_clip',
    call_to_action: 'learn_more', landing_url: 'https://juice.example/',
  });

  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  await context.addInitScript(([k, u]) => {
    localStorage.setItem('foryou.key', k);
    localStorage.setItem('foryou.user', u);
  }, [server.appKey, 'ad_fan']);
  // The viewer opens a shared link of the brand's video: it plays organically first.
  const { page, errors } = await openPage(context, `${server.base}/#video=juice_clip`);
  await page.waitForFunction(() => window.__foryou.items[0]?.video === 'juice_clip' && !window.__foryou.loading);
  assert.equal(await page.evaluate(() => Boolean(window.__foryou.items[0].sponsored)), false);
  await page.waitForSelector('.slide[data-video="juice_clip"]');
  assert.equal(await page.locator('.ad-label').count(), 0, 'the organic play is not an ad');

  // Now the ad serves: the viewer's next page carries it (its first slot is the page's 5th item
  // or later), though the viewer has seen its video.
  await server.api('POST', '/v1/ads/ads/juice-ad/approval', { approval: 'approved' });
  const queued = () => page.evaluate(() => window.__foryou.items
    .map((it, i) => ({ i, ad: it.ad, click: it.click_id, sponsored: Boolean(it.sponsored) }))
    .filter((it) => it.ad === 'juice-ad'));
  const queue = () => page.evaluate(() => window.__foryou.items.map((i) => (i.sponsored ? `[${i.ad}]` : i.video)).join(' '));
  assert.ok(await swipeUntil(page, () => window.__foryou.pages >= 2 && !window.__foryou.loading),
    'the player fetched a second page');
  let ads = await queued();
  assert.equal(ads.length, 1, `the ad of a video seen before is queued: ${await queue()}`);
  assert.equal(ads[0].sponsored, true);
  const clickId = ads[0].click;

  // A like replaces what is fetched ahead of the next video with a new page: the ad stays queued.
  const cur = await page.evaluate(() => window.__foryou.cur);
  assert.ok(ads[0].i > cur + 2, `the ad is past the next video (at ${ads[0].i}, on screen ${cur})`);
  const pages = await page.evaluate(() => window.__foryou.pages);
  await page.keyboard.press('l');
  await page.waitForFunction((p) => window.__foryou.pages > p && !window.__foryou.loading, pages);
  ads = await queued();
  assert.deepEqual(ads.map((a) => a.click), [clickId], `the ad is still queued once after the like: ${await queue()}`);
  assert.ok(ads[0].i > cur, 'ahead of the video on screen');
  const neighbours = await page.evaluate((i) => [window.__foryou.items[i - 1], window.__foryou.items[i + 1]]
    .map((it) => Boolean(it && it.sponsored)), ads[0].i);
  assert.deepEqual(neighbours, [false, false], 'no ad beside it');

  // Swiping on reaches it: Sponsored, its impression bills the group once.
  assert.ok(await swipeUntil(page, () => window.__foryou.items[window.__foryou.cur]?.ad === 'juice-ad'),
    `the player reached the ad: ${await queue()}`);
  await page.waitForSelector('.slide[data-video="juice_clip"]');
  assert.equal(await page.textContent('.ad-label strong'), 'Sponsored');
  assert.equal(await page.evaluate(() => window.__foryou.items[window.__foryou.cur].click_id), clickId);
  await page.keyboard.press('ArrowDown');
  await eventsSent(page);
  const report = async () => (await server.api(
    'GET', '/v1/ads/reports?account=juice&level=ad_group&by=all')).totals;
  await waitFor('the ad\'s impression in the report', async () => (await report())?.impressions === 1);
  assert.ok((await report()).spend_micros > 0, 'the impression is billed');
  assert.equal((await queued()).length, 1, 'shown once');
  assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), []);
  await context.close();
  await pauseSneakers(false);
});
