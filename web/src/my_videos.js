// My videos (docs/design/web.md, "Posting"): the signed-in creator's own videos from
// GET /v1/me/videos, newest first: cover, caption, state (processing, failed, pending_review,
// approved, limited, removed) with its reason, and the video's numbers when the server sends
// `stats` (views, watch time, likes, shares, comments, followers gained, and where the views
// came from as a small bar list). While a video is processing the list reloads every
// REFRESH_MS until none is.
import { h, hue } from './dom.js';
import { compact } from './pages.js';

export const REFRESH_MS = 2000;

const STATE_WORDS = {
  processing: 'Processing…', failed: 'Failed', pending: 'Pending', pending_review: 'In review',
  approved: 'Public', limited: 'Limited reach', removed: 'Removed',
};
const SOURCES = ['foryou', 'following', 'sound', 'hashtag', 'profile', 'challenge', 'search', 'other'];
const SOURCE_WORDS = { foryou: 'For You', following: 'Following', sound: 'Sound', hashtag: 'Hashtag',
  profile: 'Profile', challenge: 'Challenge', search: 'Search', other: 'Other' };

// ctx: { api, openPanel(title, body, opts), play(video) }.
export function openMyVideos(ctx) {
  const list = h('ul', { class: 'my-videos', 'aria-label': 'My videos' }, h('li', {}, 'Loading…'));
  const body = h('div', { class: 'my-videos-page' }, list);
  ctx.openPanel('My videos', body, { cls: 'full' });
  load(ctx, list);
  return body;
}

async function load(ctx, list) {
  if (!list.isConnected) return;
  let videos;
  try {
    videos = (await ctx.api.get('/v1/me/videos?limit=100')).videos || [];
  } catch (e) {
    list.replaceChildren(h('li', { class: 'error' }, e.message));
    return;
  }
  if (!list.isConnected) return;
  list.replaceChildren(...(videos.length ? videos.map((v) => row(ctx, v)) : [h('li', { class: 'empty' }, 'No videos yet: post one with Create.')]));
  if (videos.some((v) => v.state === 'processing')) setTimeout(() => load(ctx, list), REFRESH_MS);
}

function row(ctx, v) {
  const playable = !!v.media_url && ['approved', 'limited'].includes(v.state);
  const cover = h('button', {
    class: 'my-cover', style: `--hue:${hue(v.id)}`, disabled: !playable, 'aria-label': 'Play ' + (v.caption || v.id),
    onclick: () => ctx.play(v),
  }, v.cover_url ? h('img', { src: v.cover_url, alt: '' }) : null);
  const img = cover.querySelector('img');
  if (img) img.addEventListener('error', () => img.remove());
  return h('li', { class: 'my-video', 'data-video': v.id, 'data-state': v.state }, cover,
    h('div', { class: 'my-facts' },
      h('p', { class: 'my-caption' }, v.caption || v.id),
      h('p', {}, h('span', { class: 'state state-' + v.state }, STATE_WORDS[v.state] || v.state),
        v.reason ? h('span', { class: 'my-reason' }, ' · ' + v.reason) : null),
      v.stats ? stats(v.stats) : null));
}

// "1h 02m", "3m 20s", "12s": a watch time.
export function duration(ms) {
  const s = Math.round((ms || 0) / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function stats(s) {
  const facts = [['views', s.views], ['watch time', undefined, duration(s.watch_ms)], ['likes', s.likes],
    ['shares', s.shares], ['comments', s.comments], ['followers gained', s.followers_gained]]
    .filter(([, n, text]) => text !== undefined || Number.isFinite(n));
  const sources = s.sources || {};
  const total = SOURCES.reduce((a, k) => a + (sources[k] || 0), 0);
  const bars = total ? h('ul', { class: 'sources', 'aria-label': 'Where views came from' },
    SOURCES.filter((k) => sources[k]).map((k) => h('li', { 'data-source': k },
      h('span', {}, SOURCE_WORDS[k]),
      h('span', { class: 'bar' }, h('i', { style: `width:${Math.round((100 * sources[k]) / total)}%` })),
      h('b', {}, compact(sources[k]))))) : null;
  return h('div', { class: 'my-stats' },
    h('p', { class: 'page-counts' }, facts.map(([label, n, text]) => h('span', { 'data-stat': label }, h('b', {}, text ?? compact(n)), ' ' + label))),
    bars);
}
