// Counts under the action buttons (likes, comments, favorites, shares), formatted as TikTok does
// (987, 1.2K, 3.4M), and the feed item fields they come from: `counts` of each feed item and the
// requesting user's `liked` / `favorited` / `following` (docs/design/web_social.md).

// 999 -> "999", 1234 -> "1.2K", 15300 -> "15.3K", 3400000 -> "3.4M"; one decimal below 100 of
// the unit, none above, the decimal dropped when it is zero.
export function formatCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '0';
  const units = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (n >= size) {
      const x = n / size;
      const s = x >= 100 ? String(Math.floor(x)) : (Math.floor(x * 10) / 10).toFixed(1).replace(/\.0$/, '');
      return s + unit;
    }
  }
  return String(Math.floor(n));
}

// Which count each rail button shows.
const RAIL_COUNTS = { like: 'likes', comment: 'comments', favorite: 'favorites', share: 'shares' };

// Writes the counts of `item` under the rail's buttons (the label stays as the button's name).
export function showRailCounts(rail, item) {
  if (!item.counts) return;
  for (const [id, field] of Object.entries(RAIL_COUNTS)) {
    const small = rail.querySelector(`#${id} small`);
    if (!small) continue;
    small.textContent = formatCount(item.counts[field] || 0);
    small.classList.add('count');
    small.dataset.count = String(item.counts[field] || 0);
  }
}

// The user's own action on `video` changes its count on screen at once, in every item of `items`
// that shows it (a video can be queued twice: from the feed and from a link or a page); the
// server's counts follow from the same events.
export function bumpCount(items, video, field, delta) {
  for (const item of items) {
    if (item.video !== video || !item.counts) continue;
    item.counts[field] = Math.max(0, (item.counts[field] || 0) + delta);
  }
}

// The requesting user's state served with a feed item joins what the player remembers.
export function absorbItemState(item, state) {
  if (item.liked) state.liked.add(item.video);
  if (item.favorited) state.favorited.add(item.video);
  if (item.following) state.following.add(item.creator);
}
