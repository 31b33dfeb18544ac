// Browser test of the Ads Manager (/ads.html, ads_manager.js) in Debian's chromium against a
// real `foryou serve` (harness.mjs): an advertiser signs in, creates a campaign, an ad group and
// an ad in forms that check fields as they are typed and show the server's errors beside the
// field, sees them listed, pauses the campaign, and sees its ad group's delivery charts.
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
