// The rules of web/src/ad_queue.js (no browser needed): which fetched items join the player's
// queue, and where the ads set aside when the queue is replaced go back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AD_GAP, admitItem, putBackAds, setAsideAds } from '../src/ad_queue.js';

const organic = (video) => ({ video });
const ad = (video, adId, position) => ({ video, sponsored: true, ad: adId, position, request_id: 'r1' });
// The queue as a string: organic videos by id, ads as [ad id].
const show = (items) => items.map((it) => (it.sponsored ? `[${it.ad}]` : it.video)).join(' ');

test('admitItem: an organic video once; an ad once per served slot, even of a video seen before', () => {
  const seen = new Set();
  assert.equal(admitItem(seen, organic('v1'), 'r1'), true);
  assert.equal(admitItem(seen, organic('v1'), 'r2'), false, 'a repeated organic video is dropped');
  // The viewer watched v1 organically; it comes back as an ad: shown.
  assert.equal(admitItem(seen, ad('v1', 'a1', 4), 'r2'), true);
  assert.equal(admitItem(seen, ad('v1', 'a1', 4), 'r2'), false, 'the same served slot joins once');
  // The same ad served again on a later page is another served ad.
  assert.equal(admitItem(seen, ad('v1', 'a1', 6), 'r3'), true);
  assert.equal(admitItem(seen, ad('v2', 'a2', 0), 'r3'), true);
  assert.equal(admitItem(seen, organic('v2'), 'r4'), false, 'an organic copy of an ad\'s video is dropped');
  assert.equal(admitItem(seen, ad('v3', 'a3', undefined), 'r5'), true, 'an ad without a position is slot 0');
  assert.equal(admitItem(seen, ad('v3', 'a3', 0), 'r5'), false);
});

test('setAsideAds: the ads not shown yet of a tail with their offsets; the rest apart', () => {
  const shown = { ...ad('z', 'a3', 5), impressed: true };  // the viewer went back past it
  const tail = [organic('o1'), ad('x', 'a1', 3), organic('o2'), shown, organic('o3'), ad('y', 'a2', 9)];
  const { ads, dropped } = setAsideAds(tail);
  assert.deepEqual(ads.map((w) => [w.item.ad, w.offset]), [['a1', 1], ['a2', 5]]);
  assert.deepEqual(dropped.map((it) => it.video), ['o1', 'o2', 'z', 'o3']);
});

test('putBackAds: an ad keeps its place in the new queue, as far as it reaches', () => {
  // On screen c (index 0), next n; the new page n1..n6 from index 2.
  const items = ['c', 'n', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map(organic);
  const left = putBackAds(items, 2, [{ item: ad('x', 'a1'), offset: 3 }]);
  assert.deepEqual(left, []);
  assert.equal(show(items), 'c n n1 n2 n3 [a1] n4 n5 n6');
  // Past the end of a short queue: at its end.
  const short = ['c', 'n', 'n1'].map(organic);
  assert.deepEqual(putBackAds(short, 2, [{ item: ad('x', 'a1'), offset: 7 }]), []);
  assert.equal(show(short), 'c n n1 [a1]');
});

test('putBackAds: never beside another ad, never next to the same ad in the run of ads', () => {
  assert.equal(AD_GAP, 2);
  // The new page brought an ad a2 where a1 would go: a1 moves on until two organic videos
  // separate it from a2.
  const items = [organic('c'), organic('n'), organic('n1'), ad('y', 'a2'), organic('n2'), organic('n3'), organic('n4')];
  assert.deepEqual(putBackAds(items, 2, [{ item: ad('x', 'a1'), offset: 1 }]), []);
  assert.equal(show(items), 'c n n1 [a2] n2 n3 [a1] n4');
  // The ad on screen counts too: the first place is two videos after it.
  const afterAd = [ad('z', 'a9'), organic('n'), organic('n1'), organic('n2')];
  assert.deepEqual(putBackAds(afterAd, 1, [{ item: ad('x', 'a1'), offset: 0 }]), []);
  assert.equal(show(afterAd), '[a9] n n1 [a1] n2');
  // The new page served the same ad again (another slot): the kept copy goes only after another
  // ad; with none, it waits for the next page.
  const same = [organic('c'), organic('n'), organic('n1'), organic('n2'), ad('x', 'a1'), organic('n3'), organic('n4'), organic('n5')];
  const waiting = [{ item: ad('x', 'a1'), offset: 0 }];
  assert.deepEqual(putBackAds(same, 2, waiting), waiting);
  assert.equal(show(same), 'c n n1 n2 [a1] n3 n4 n5', 'the queue is unchanged');
  same.push(organic('n6'), ad('y', 'a2'), organic('n7'), organic('n8'), organic('n9'));
  assert.deepEqual(putBackAds(same, 2, waiting), []);
  assert.equal(show(same), 'c n n1 n2 [a1] n3 n4 n5 n6 [a2] n7 n8 [a1] n9');
});

test('putBackAds: two ads set aside stay apart; one that fits nowhere waits', () => {
  // Only the next video is left (the new page failed): the first ad fits after it, the second
  // would be beside it and waits.
  const items = [organic('c'), organic('n')];
  const waiting = [{ item: ad('x', 'a1'), offset: 0 }, { item: ad('y', 'a2'), offset: 6 }];
  const left = putBackAds(items, 2, waiting);
  assert.equal(show(items), 'c n [a1]');
  assert.deepEqual(left.map((w) => w.item.ad), ['a2']);
  // The next page: a2 goes where its place is, as far as the queue reaches.
  items.push(organic('p1'), organic('p2'), organic('p3'));
  assert.deepEqual(putBackAds(items, 2, left), []);
  assert.equal(show(items), 'c n [a1] p1 p2 p3 [a2]');
});
