// The player's <video> elements (docs/design/web.md, "The feed"): the one on screen and the next
// ones buffered in a hidden box, a poster card for a video without playable media (never a
// broken player), playback that falls back to muted when autoplay with sound is refused, and
// the watch's completion and replays counted from playback.
import { h, hue } from './dom.js';
import { coverUrl } from './surface.js';
import { mediaUrlOf } from './rendition.js';

// The media of the player's `state` (media: id -> <video>, watch, muted, items, cur).
// `box()` is the hidden element buffered videos wait in, `ahead` how many are buffered after
// the one on screen, `mutedFallback()` runs when autoplay with sound was refused and the video
// plays muted instead. Returns { mediaFor, playMedia, prefetch, dropMedia }.
export function playerMedia(state, box, ahead, mutedFallback) {
  function mediaFor(item) {
    let el = state.media.get(item.video);
    if (!el && item.media_url) el = makeVideo(item);
    if (!el) return poster(item);
    return el;
  }

  function makeVideo(item) {
    const v = h('video', {
      src: mediaUrlOf(item), poster: item.cover_url || coverUrl(item.media_url), loop: true, playsinline: true, preload: 'auto',
      'aria-label': item.caption || item.video,
    });
    v.muted = state.muted;
    v.addEventListener('error', () => {
      // No broken player: a video whose media cannot be played becomes a poster card.
      state.media.delete(item.video);
      if (v.isConnected) v.replaceWith(poster(item));
      else v.remove();
    });
    v.addEventListener('timeupdate', () => {
      const w = state.watch;
      if (!w || w.media !== v) return;
      const d = v.duration || 0;
      if (d && v.currentTime >= d - 0.35) w.completed = true;
      if (w.lastTime > v.currentTime + 0.5) {
        // Looped back to the start: a replay.
        w.completed = true;
        w.replays++;
      }
      w.lastTime = v.currentTime;
    });
    state.media.set(item.video, v);
    return v;
  }

  // A poster card: the caption on a colour of the video's first hashtag (or creator).
  function poster(item) {
    const tag = (item.hashtags && item.hashtags[0]) || item.creator;
    return h('div', { class: 'poster', style: `--hue:${hue(tag)}` },
      h('p', { class: 'poster-caption' }, item.caption || 'Video ' + item.video),
      h('p', { class: 'poster-note' }, 'no media for this video'));
  }

  function playMedia(v) {
    v.muted = state.muted;
    const p = v.play();
    if (p) p.catch(() => {
      // Autoplay with sound refused before a gesture: play muted instead.
      if (!v.muted) {
        v.muted = true;
        state.muted = true;
        mutedFallback();
        v.play().catch(() => {});
      }
    });
  }

  function prefetch() {
    const wanted = new Set();
    for (let i = state.cur; i <= state.cur + ahead && i < state.items.length; i++) wanted.add(state.items[i].video);
    for (let i = state.cur + 1; i <= state.cur + ahead && i < state.items.length; i++) {
      const item = state.items[i];
      if (!item.media_url || state.media.has(item.video)) continue;
      box().append(makeVideo(item));
    }
    for (const [id, el] of state.media) {
      if (!wanted.has(id)) dropMedia(id, el);
    }
  }

  function dropMedia(id, el = state.media.get(id)) {
    if (!el) return;
    state.media.delete(id);
    if (el.isConnected && el.parentNode !== box()) return;  // on screen: kept until replaced
    el.removeAttribute('src');
    el.load();
    el.remove();
  }

  return { mediaFor, playMedia, prefetch, dropMedia };
}
