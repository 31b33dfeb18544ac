// Sponsored items in the player's queue (docs/design/web.md, "Ads in the queue"). The server has
// held an ad's charge from the moment it served it and bills it from the impression the player
// sends when the ad is on screen; it has no way to hear that an ad will not be shown (the hold
// is released when the billing window ends). So the queue never drops a served ad to stay
// fresh: an ad fetched ahead is set aside when the player replaces what it fetched, and put back
// among the videos that replace it, never next to another ad and never right after (or before)
// the same ad.

// Organic videos at least between two ads put back in the queue.
export const AD_GAP = 2;

// Whether a fetched feed item (of the page `requestId`) joins the queue, noting it in `seen`. An
// organic video joins once: pages may repeat a video queued or shown before. An ad joins once per
// served slot (its request id and position, what its impression names), whatever its video: the
// video of an ad may have played organically, and a later page may serve the same ad again; each
// is an ad the server serves and bills on its own. An ad's video is noted too, so an organic copy
// of it coming later is not shown a second time.
export function admitItem(seen, item, requestId) {
  if (item.sponsored) {
    const slot = `ad ${requestId} ${item.position ?? 0}`;
    if (seen.has(slot)) return false;
    seen.add(slot);
    seen.add(item.video);
    return true;
  }
  if (seen.has(item.video)) return false;
  seen.add(item.video);
  return true;
}

// Splits `tail` (items removed from the queue) into the ads to put back, each with its offset in
// the tail ({ item, offset }), and the rest, which is dropped: organic items, and ads shown
// already (`impressed`; the viewer went back past them), which are not shown twice.
export function setAsideAds(tail) {
  const ads = [];
  const dropped = [];
  tail.forEach((item, offset) => {
    if (item.sponsored && !item.impressed) ads.push({ item, offset });
    else dropped.push(item);
  });
  return { ads, dropped };
}

// Whether ad `item` may go at index `at` of `items`: at least AD_GAP organic items between it and
// the ads before and after, and neither of those two ads the same ad.
function adFits(items, at, item) {
  for (let i = at - 1; i >= 0; i--) {
    if (!items[i].sponsored) continue;
    if (at - 1 - i < AD_GAP || items[i].ad === item.ad) return false;
    break;
  }
  for (let i = at; i < items.length; i++) {
    if (!items[i].sponsored) continue;
    if (i - at < AD_GAP || items[i].ad === item.ad) return false;
    break;
  }
  return true;
}

// Puts the set-aside ads (`waiting`, as setAsideAds returns them, in order) back into `items` from
// index `start` on: each at start + its offset (the place it had, as far as the queue reaches) or
// the first index after it where it fits (adFits; the end of the queue too). Returns the ads that
// fit nowhere yet (the queue is short, or its only ad is the same one): they wait for the next
// page. `items` is changed in place.
export function putBackAds(items, start, waiting) {
  const left = [];
  for (const w of waiting) {
    let at = Math.min(start + w.offset, items.length);
    while (at <= items.length && !adFits(items, at, w.item)) at++;
    if (at <= items.length) items.splice(at, 0, w.item);
    else left.push(w);
  }
  return left;
}
