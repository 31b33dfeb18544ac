// The For You player (docs/design/web.md): sign-up / sign-in, a vertical full-screen feed that
// plays one video at a time, the actions on each video, and the creator / sound / hashtag pages.
// Every watch and action becomes an event (events.js); likes, follows and "not interested" make
// the player fetch a fresh page at once, so the feed visibly adapts. "New videos" (R, or pulling
// down on the first video) fetches a new page and resets nothing; the reset of the For You feed
// is in the settings, behind a confirmation (settings.js).
import { Api, ApiError, takeKey } from './api.js';
import { EventQueue } from './events.js';
import { bindGestures } from './gestures.js';
import { h, hue } from './dom.js';
import { settingsBody } from './settings.js';
import { searchBody } from './search.js';
import { renderAccountAuth, renderAuth as renderAuthIn, renderNoKey } from './auth.js';

const USER_STORE = 'foryou.user';
const MUTE_STORE = 'foryou.muted';
const PAGE = 10;          // videos per feed request
const LOW_WATER = 4;      // fetch more when fewer are left ahead
// Videos buffered ahead of the current one (?prefetch=0 turns it off: the baseline of
// web/bench/swipe_latency.mjs).
const PREFETCH = new URLSearchParams(location.search).get('prefetch') === '0' ? 0 : 2;

const REPORT_REASONS = ['spam', 'misleading', 'violence', 'harassment', 'nudity', 'other'];

const app = document.getElementById('app');
const key = takeKey();   // '' = accounts: the session cookie
const api = new Api(key);
let events = null;

// The state of the feed screen. Exposed read-only as window.__foryou for the browser tests.
const state = {
  user: '',
  items: [],          // feed items in the order served (each with request_id)
  cur: 0,             // index of the video on screen
  loading: null,      // the feed request in flight
  seen: new Set(),    // videos already in `items`
  dropCreators: new Set(),
  dropSounds: new Set(),
  liked: new Set(),
  following: new Set(),
  favorited: new Set(),
  muted: localStorage.getItem(MUTE_STORE) !== '0',
  watch: null,        // the watch of the current video
  media: new Map(),   // video id -> <video> element (current + prefetched)
  panelOpen: false,
  pages: 0,           // feed pages fetched
  startLatencies: [], // ms from a video's arrival on screen to its first frame playing
};
window.__foryou = state;

start();

function start() {
  events = new EventQueue(key, { onChange: renderStatus });
  state.events = events;
  if (!key) {
    // Signed in already if the session cookie is valid; a server without accounts answers 404.
    api.me().then((me) => (me.signed_in ? openFeed(me.user) : renderAuth('')), (e) => {
      if (e instanceof ApiError && e.status === 404) renderNoKey(app);
      else renderAuth('Cannot reach the server: ' + e.message);
    });
    return;
  }
  const user = localStorage.getItem(USER_STORE);
  if (user) {
    api.user(user).then(
      () => openFeed(user),
      (e) => {
        if (e instanceof ApiError && (e.status === 404 || e.status === 401)) {
          localStorage.removeItem(USER_STORE);
          renderAuth(e.status === 401 ? 'This key is not accepted by the server.' : '');
        } else {
          renderAuth('Cannot reach the server: ' + e.message);
        }
      });
  } else {
    renderAuth('');
  }
}

function renderAuth(message) {
  if (!key) return renderAccountAuth(app, api, message, (id) => openFeed(id));
  renderAuthIn(app, api, message, (id) => {
    localStorage.setItem(USER_STORE, id);
    openFeed(id);
  });
}

// ---- The feed screen ----

let stage, info, rail, statusLine, panel, prefetchBox, toastBox;

function openFeed(user) {
  Object.assign(state, { user, items: [], cur: 0, seen: new Set(), pages: 0, watch: null });
  state.media.clear();
  stage = h('section', { class: 'stage', 'aria-live': 'polite', 'aria-label': 'Video' });
  info = h('div', { class: 'info' });
  rail = h('nav', { class: 'rail', 'aria-label': 'Actions' });
  statusLine = h('div', { class: 'status', 'aria-live': 'off' });
  panel = h('div', { class: 'panel', role: 'dialog', 'aria-modal': 'true', hidden: true });
  prefetchBox = h('div', { class: 'prefetch', 'aria-hidden': 'true' });
  toastBox = h('div', { class: 'toast', role: 'status' });
  const top = h('header', { class: 'top' },
    h('h1', {}, 'For You'),
    h('div', { class: 'top-actions' },
      h('button', { id: 'search', onclick: openSearch, title: 'Search' }, 'Search'),
      h('button', { id: 'sound', onclick: toggleSound, 'aria-label': 'Sound', title: 'Sound (M)' }),
      h('button', { id: 'new-videos', onclick: newVideos, title: 'New videos (R)' }, 'New videos'),
      h('button', { id: 'settings', onclick: openSettings, title: 'Settings' }, 'Settings'),
      h('button', { id: 'signout', onclick: signOut, title: 'Sign out' }, '@' + user)));
  app.replaceChildren(h('main', { class: 'feed' }, top, stage, info, rail, statusLine, panel, prefetchBox, toastBox));
  renderSound();
  bindStageGestures();
  renderStatus();
  loadMore().then(async () => {
    // A shared link (/#video=ID) plays that video first.
    const shared = new URLSearchParams(location.hash.slice(1)).get('video');
    if (shared) {
      history.replaceState(null, '', location.pathname + location.search);
      try {
        const v = await api.get(`/v1/videos/${encodeURIComponent(shared)}`);
        state.items.unshift(pageItem(v, 'share', 'shared with you'));
      } catch {
        toast(`The shared video '${shared}' is not available`);
      }
    }
    if (!state.items.length) {
      stage.replaceChildren(h('p', { class: 'empty' }, 'No videos to show yet. Try "New videos" in a moment.'));
      return;
    }
    show(0);
  });
}

// A feed item for a video that did not come from the feed (a page, a shared link).
function pageItem(v, surface, reason) {
  return {
    video: v.id, creator: v.creator, sound: v.sound, hashtags: v.hashtags, caption: v.caption,
    duration_ms: v.duration_ms, media_url: v.media_url, reason,
    request_id: surface + '-' + Date.now().toString(36), position: 0, surface,
  };
}

// Leaving the page (tab hidden, closed, navigated away) ends the watch and hands the pending
// events to the browser; coming back starts a new watch of the same video.
document.addEventListener('visibilitychange', () => {
  if (!stage || !stage.isConnected) return;
  if (document.visibilityState === 'hidden') {
    finishWatch();
    events.beacon();
  } else if (!state.watch && current()) {
    const media = stage.querySelector('video');
    startWatch(current(), media);
    if (media && !state.panelOpen) playMedia(media);
  }
});
addEventListener('pagehide', () => {
  if (!stage || !stage.isConnected) return;
  finishWatch();
  events.beacon();
});

async function signOut() {
  closePanel();
  finishWatch();
  await events.drain();  // the session's events go out before the session ends
  localStorage.removeItem(USER_STORE);
  if (!key) {
    try {
      await api.signOut();
    } catch {
      // already signed out (expired or signed out elsewhere): the sign-in screen either way
    }
  }
  renderAuth('');
}

async function loadMore() {
  if (state.loading) return state.loading;
  state.loading = (async () => {
    try {
      const page = await api.feed(state.user, PAGE);
      state.pages++;
      for (const item of page.items) {
        if (state.seen.has(item.video) || isDropped(item)) continue;
        state.seen.add(item.video);
        state.items.push({ ...item, request_id: page.request_id, surface: 'foryou' });
      }
    } catch (e) {
      toast('Could not load the feed: ' + e.message);
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

// Drops what was fetched ahead of the next video and fetches a page that knows the latest
// events (the server applies them before answering: POST /v1/events returns after Observe).
async function adapt() {
  if (state.loading) await state.loading;  // a page asked for before this action is stale too
  for (const item of state.items.splice(state.cur + 2)) dropMedia(item.video);
  await events.drain();
  await loadMore();
  prefetch();
}

function current() {
  return state.items[state.cur];
}

function show(index) {
  if (index < 0) return;
  if (index >= state.items.length) {
    if (!state.loading && index > 0) toast('No more videos right now; try "New videos".');
    return;
  }
  const dir = index >= state.cur ? 'up' : 'down';
  finishWatch();
  state.cur = index;
  const item = current();
  const slide = h('article', {
    class: 'slide enter-' + dir, 'data-video': item.video, 'data-creator': item.creator,
    'data-sound': item.sound || '', 'data-hashtags': (item.hashtags || []).join(' '),
    'aria-label': item.caption || 'Video ' + item.video,
  });
  slide.append(mediaFor(item));
  stage.replaceChildren(slide);
  const media = slide.querySelector('video');
  const { shownAt } = startWatch(item, media);
  if (media) {
    const started = () => {
      if (state.watch && state.watch.media === media) state.startLatencies.push(performance.now() - shownAt);
    };
    if (!media.paused && media.readyState >= 3) started();
    else media.addEventListener('playing', started, { once: true });
  }
  if (!item.impressed) {
    item.impressed = true;
    events.push({ type: 'impression', user: state.user, video: item.video, request_id: item.request_id,
      position: item.position ?? 0, surface: item.surface });
  }
  if (media) playMedia(media);
  renderInfo(item);
  renderRail(item);
  if (state.items.length - index <= LOW_WATER) loadMore().then(prefetch);
  prefetch();
}

// A watch of `item` starts now (ended by finishWatch).
function startWatch(item, media) {
  state.watch = { item, shownAt: performance.now(), completed: false, replays: 0, lastTime: 0, media };
  return state.watch;
}

function mediaFor(item) {
  let el = state.media.get(item.video);
  if (!el && item.media_url) el = makeVideo(item);
  if (!el) return poster(item);
  return el;
}

function makeVideo(item) {
  const v = h('video', {
    src: item.media_url, loop: true, playsinline: true, preload: 'auto', 'aria-label': item.caption || item.video,
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
      renderSound();
      v.play().catch(() => {});
    }
  });
}

function prefetch() {
  const wanted = new Set();
  for (let i = state.cur; i <= state.cur + PREFETCH && i < state.items.length; i++) wanted.add(state.items[i].video);
  for (let i = state.cur + 1; i <= state.cur + PREFETCH && i < state.items.length; i++) {
    const item = state.items[i];
    if (!item.media_url || state.media.has(item.video)) continue;
    prefetchBox.append(makeVideo(item));
  }
  for (const [id, el] of state.media) {
    if (!wanted.has(id)) dropMedia(id, el);
  }
}

function dropMedia(id, el = state.media.get(id)) {
  if (!el) return;
  state.media.delete(id);
  if (el.isConnected && el.parentNode !== prefetchBox) return;  // on screen: kept until replaced
  el.removeAttribute('src');
  el.load();
  el.remove();
}

// The watch of the video on screen ends: one play (watched) or skip (swiped away early) event.
function finishWatch() {
  const w = state.watch;
  if (!w) return;
  state.watch = null;
  if (w.media) w.media.pause();
  const watchMs = Math.round(performance.now() - w.shownAt);
  const lengthMs = w.media && w.media.duration ? w.media.duration * 1000 : w.item.duration_ms || 15000;
  if (!w.media && watchMs >= lengthMs) w.completed = true;
  const watched = w.completed || watchMs >= Math.min(3000, 0.5 * lengthMs);
  if (watched) {
    events.push({ type: 'play', user: state.user, video: w.item.video, watch_ms: watchMs,
      completed: w.completed, replays: w.replays });
  } else {
    events.push({ type: 'skip', user: state.user, video: w.item.video, watch_ms: watchMs });
  }
}

function next() {
  show(state.cur + 1);
}
function prev() {
  show(state.cur - 1);
}

// ---- Info and actions ----

function renderInfo(item) {
  info.replaceChildren(
    h('button', { class: 'link creator', onclick: () => openPage('creators', item.creator, '@' + item.creator) }, '@' + item.creator),
    h('p', { class: 'caption' }, item.caption || ''),
    h('p', { class: 'tags' }, (item.hashtags || []).map((t) =>
      h('button', { class: 'link tag', onclick: () => openPage('hashtags', t, '#' + t) }, '#' + t))),
    item.sound ? h('button', { class: 'link sound', onclick: () => openPage('sounds', item.sound, '♫ ' + item.sound) }, '♫ ' + item.sound) : null,
    h('p', { class: 'reason' }, item.reason || ''));
}

function renderRail(item) {
  const btn = (id, icon, label, onclick, pressed) => h('button', {
    id, class: 'act', onclick, 'aria-label': label, title: label,
    'aria-pressed': pressed === undefined ? false : String(pressed),
  }, h('span', { 'aria-hidden': 'true' }, icon), h('small', {}, label.split(' (')[0]));
  const fav = btn('favorite', '★', 'Favorite (V, or long press)', () => favorite(), state.favorited.has(item.video));
  rail.replaceChildren(
    btn('like', '♥', 'Like (L)', () => like(), state.liked.has(item.video)),
    btn('comment', '✎', 'Comment (C)', () => openComment()),
    btn('share', '↗', 'Share (S)', () => share()),
    btn('follow', '+', state.following.has(item.creator) ? 'Following (F)' : 'Follow (F)', () => follow(), state.following.has(item.creator)),
    fav,
    btn('not-interested', '⊘', 'Not interested (N)', () => notInterested()),
    btn('more', '⋯', 'More (O)', () => openMore()),
    btn('why', '?', 'Why this video (W)', () => openWhy()));
}

function act(fn) {
  const item = current();
  if (!item || state.panelOpen) return;
  fn(item);
}

function like() {
  act((item) => {
    const on = !state.liked.has(item.video);
    if (on) state.liked.add(item.video); else state.liked.delete(item.video);
    events.push({ type: on ? 'like' : 'unlike', user: state.user, video: item.video });
    renderRail(item);
    if (on) {
      heart();
      adapt();
    }
  });
}

function favorite() {
  act((item) => {
    if (state.favorited.has(item.video)) return toast('Already in your favorites');
    state.favorited.add(item.video);
    events.push({ type: 'favorite', user: state.user, video: item.video });
    toast('Added to favorites');
    renderRail(item);
    adapt();
  });
}

function share() {
  act((item) => {
    events.push({ type: 'share', user: state.user, video: item.video });
    const url = `${location.origin}/#video=${encodeURIComponent(item.video)}`;
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
    toast('Link copied: ' + url);
  });
}

function follow() {
  act((item) => {
    const on = !state.following.has(item.creator);
    if (on) state.following.add(item.creator); else state.following.delete(item.creator);
    events.push({ type: on ? 'follow' : 'unfollow', user: state.user, creator: item.creator });
    toast(on ? `Following @${item.creator}` : `Unfollowed @${item.creator}`);
    renderRail(item);
    if (on) adapt();
  });
}

// Removes videos matching `drop` from what is queued ahead, then moves on.
function dropAhead(drop) {
  const ahead = state.items.splice(state.cur + 1);
  for (const it of ahead) {
    if (drop(it)) dropMedia(it.video);
    else state.items.push(it);
  }
}

// A creator or sound the user turned away from while this page is open (not interested, hide, report):
// dropped from what is queued and from every page fetched later.
function isDropped(it) {
  return state.dropCreators.has(it.creator) || (!!it.sound && state.dropSounds.has(it.sound));
}

// Sends `event`, drops what isDropped from the queue, and moves on to a page that knows it.
function moveOnWithout(event, message) {
  events.push({ user: state.user, ...event });
  dropAhead(isDropped);
  toast(message);
  adapt().then(next);
}

function notInterested() {
  act((item) => {
    state.dropCreators.add(item.creator);
    moveOnWithout({ type: 'not_interested', video: item.video }, `Fewer videos like this (@${item.creator})`);
  });
}

function hideCreator(item) {
  state.dropCreators.add(item.creator);
  moveOnWithout({ type: 'hide_creator', creator: item.creator }, `@${item.creator} is hidden`);
}

function hideSound(item) {
  state.dropSounds.add(item.sound);
  moveOnWithout({ type: 'hide_sound', sound: item.sound }, `Sound ${item.sound} is hidden`);
}

function heart() {
  const el = h('div', { class: 'heart', 'aria-hidden': 'true' }, '♥');
  stage.append(el);
  setTimeout(() => el.remove(), 700);
}

// ---- Panels ----

function openPanel(title, body, onClose) {
  state.panelOpen = true;
  const watch = state.watch;
  if (watch && watch.media) watch.media.pause();
  const close = h('button', { class: 'close', 'aria-label': 'Close', onclick: () => closePanel() }, '✕');
  panel.replaceChildren(h('div', { class: 'sheet' }, h('header', {}, h('h2', { id: 'panel-title' }, title), close), body));
  panel.setAttribute('aria-labelledby', 'panel-title');
  panel.hidden = false;
  panel.onClose = onClose;
  const first = panel.querySelector('textarea, select, input, .sheet button:not(.close)') || close;
  first.focus();
}

function closePanel() {
  if (!state.panelOpen) return;
  state.panelOpen = false;
  panel.hidden = true;
  panel.replaceChildren();
  if (panel.onClose) panel.onClose();
  const w = state.watch;
  if (w && w.media) playMedia(w.media);
  stage.focus();
}

function openComment() {
  act((item) => {
    const form = h('form', { class: 'form' },
      h('label', {}, 'Your comment', h('textarea', { name: 'text', maxlength: 500, required: true, rows: 3 })),
      h('button', { type: 'submit', class: 'primary' }, 'Post'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = new FormData(form).get('text').trim();
      if (!text) return;
      events.push({ type: 'comment', user: state.user, video: item.video, text });
      closePanel();
      toast('Comment posted');
    });
    openPanel('Comment', form);
  });
}

function openMore() {
  act((item) => {
    const reasons = h('select', { name: 'reason', 'aria-label': 'Report reason' },
      REPORT_REASONS.map((r) => h('option', { value: r }, r)));
    const body = h('div', { class: 'menu' },
      h('button', { id: 'hide-creator', onclick: () => { closePanel(); hideCreator(item); } }, `Hide @${item.creator}`),
      h('button', { id: 'hide-sound', disabled: !item.sound, onclick: () => { closePanel(); hideSound(item); } },
        item.sound ? `Hide sound ${item.sound}` : 'No sound to hide'),
      h('div', { class: 'report' }, reasons,
        h('button', { id: 'report', onclick: () => {
          events.push({ type: 'report', user: state.user, video: item.video, reason: reasons.value });
          state.dropCreators.add(item.creator);
          closePanel();
          toast('Reported. Thank you.');
          dropAhead((it) => it.video === item.video);
          next();
        } }, 'Report video')));
    openPanel('More', body);
  });
}

async function openWhy() {
  const item = current();
  if (!item || state.panelOpen) return;
  const body = h('div', { class: 'why' }, h('p', {}, 'Loading…'));
  openPanel('Why this video', body);
  try {
    // A feed item is explained as it was served on its page; a video opened from a page or a
    // link, as it would be scored now.
    const served = item.surface === 'foryou' ? item.request_id : '';
    const x = await api.explain(state.user, item.video, served);
    // The first sentence says why, the last whether it could be shown again; the parts between
    // are the table.
    const said = x.explanation || [];
    body.replaceChildren(
      h('ul', {}, said.slice(0, 1).map((s) => h('li', {}, s))),
      h('p', { class: 'hint' }, 'Found by: ' + (x.sources || []).map((s) => s.replaceAll('_', ' ')).join(', ')),
      h('table', {}, h('caption', {}, `Score ${x.score.toFixed(2)}, part by part`),
        h('tbody', {}, (x.parts || []).map((p) =>
          h('tr', {}, h('td', {}, p.label), h('td', { class: 'num' }, (p.value >= 0 ? '+' : '') + p.value.toFixed(3)))))),
      h('p', {}, said.length > 1 ? said[said.length - 1] : ''));
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

async function openPage(kind, id, title) {
  if (state.panelOpen) closePanel();
  const body = h('div', { class: 'grid' }, h('p', {}, 'Loading…'));
  openPanel(title, body);
  try {
    const page = await api.page(kind, id);
    const videos = page.videos || [];
    body.replaceChildren(...(videos.length ? videos.map((v) => h('button', {
      class: 'tile', style: `--hue:${hue((v.hashtags && v.hashtags[0]) || v.creator)}`,
      'data-video': v.id, onclick: () => playFromPage(v, kind),
    }, h('span', {}, v.caption || v.id), h('small', {}, `engagement ${Number(v.engagement || 0).toFixed(2)}`)))
      : [h('p', {}, 'No videos yet.')]));
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

function playFromPage(v, kind) {
  closePanel();
  const at = state.cur + 1;
  const existing = state.items.findIndex((it, i) => i > state.cur && it.video === v.id);
  if (existing > 0) state.items.splice(existing, 1);
  state.items.splice(at, 0, pageItem(v, kind.slice(0, -1), `from the ${kind.slice(0, -1)} page`));
  show(at);
}

// "Show me new videos": what is queued ahead is replaced by a new page that knows every event so
// far, and the first new video plays. Nothing the feed learned is reset; likes stay.
async function newVideos() {
  if (state.panelOpen) return;
  if (state.loading) await state.loading;
  for (const item of state.items.splice(state.cur + 1)) dropMedia(item.video);
  await events.drain();
  const before = state.items.length;
  await loadMore();
  if (state.items.length > before) show(before);
  else toast('No new videos right now');
}

// The search screen (search.js): a video found plays next, a creator / sound / hashtag opens its
// page.
function openSearch() {
  if (state.panelOpen) return;
  openPanel('Search', searchBody({
    api,
    openPage,
    playVideo: (v) => {
      closePanel();
      state.items.splice(state.cur + 1, 0, pageItem(v, 'search', 'found by search'));
      show(state.cur + 1);
    },
  }));
}

function openSettings() {
  if (state.panelOpen) return;
  openPanel('Settings', settingsBody({
    signOut,
    refresh: async () => {
      await events.drain();  // what was watched so far belongs to the feed before the reset
      await api.refresh(state.user);
    },
    done: (refreshed) => {
      closePanel();
      if (!refreshed) return;
      toast('Your For You feed starts over');
      newVideos();
    },
  }));
}

// ---- Sound, gestures and keys (gestures.js), status ----

function toggleSound() {
  state.muted = !state.muted;
  localStorage.setItem(MUTE_STORE, state.muted ? '1' : '0');
  const w = state.watch;
  if (w && w.media) {
    w.media.muted = state.muted;
    if (w.media.paused && !state.panelOpen) playMedia(w.media);
  }
  renderSound();
}

function renderSound() {
  const b = document.getElementById('sound');
  if (!b) return;
  b.textContent = state.muted ? 'Sound off' : 'Sound on';
  b.setAttribute('aria-pressed', String(!state.muted));
}

function bindStageGestures() {
  bindGestures(stage, {
    next, prev, longPress: favorite, escape: closePanel, blocked: () => state.panelOpen,
    pullDown: () => (state.cur === 0 ? newVideos() : prev()),  // pull down on the first video
    tap: () => {
      const w = state.watch;
      if (w && w.media) { if (w.media.paused) playMedia(w.media); else w.media.pause(); }
    },
    keys: {
      ArrowDown: next, PageDown: next, j: next, ArrowUp: prev, PageUp: prev, k: prev,
      l: like, c: openComment, s: share, f: follow, v: favorite, n: notInterested, o: openMore,
      w: openWhy, m: toggleSound, r: newVideos,
    },
  });
}

function renderStatus() {
  if (!statusLine || !events) return;
  statusLine.textContent = `events sent ${events.sent} · pending ${events.pending.length}` +
    (events.failures ? ` · retries ${events.failures}` : '') + (events.rejected ? ` · rejected ${events.rejected}` : '');
}

let toastTimer = null;
function toast(text) {
  if (!toastBox) return;
  toastBox.textContent = text;
  toastBox.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => toastBox.classList.remove('show'), 2200);
}
