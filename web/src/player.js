// The For You player (docs/design/web.md): sign-up / sign-in, a vertical full-screen feed that
// plays one video at a time, the actions on each video, and the creator / sound / hashtag pages
// (pages.js). Every watch and action becomes an event (events.js); likes, follows and "not
// interested" make the player fetch a fresh page at once, so the feed visibly adapts. "New
// videos" (R, or pulling down on the first video) fetches a new page and resets nothing; the
// reset of the For You feed is in the settings, behind a confirmation (settings.js). Logged
// out, the player shows the public For You feed and shared links; every action asks to sign in.
// **+ Create** opens the create page (create.js), a duet or stitch from the More sheet too; your
// profile leads to My videos (my_videos.js).
import { Api, ApiError, takeKey } from './api.js';
import { EventQueue } from './events.js';
import { bindGestures, dragSlide, settleSlide } from './gestures.js';
import { h } from './dom.js';
import { settingsBody } from './settings.js';
import { heartAt, pauseIcon, progressBar } from './surface.js';
import { renderPage } from './pages.js';
import { infoParts } from './info.js';
import { playerMedia } from './media.js';
import { searchBody } from './search.js';
import { renderAccountAuth, renderAuth as renderAuthIn, renderNoKey } from './auth.js';
import { openReview, wantsReview } from './review.js';
// Social screens (docs/design/web_social.md).
import { SocialApi } from './social_api.js';
import { absorbItemState, bumpCount, showRailCounts } from './counts.js';
import { openComments } from './comments.js';
import { openProfile } from './profile.js';
import { inboxButton } from './inbox.js';
import { FOLLOWING_EMPTY, feedTabs, selectTab } from './tabs.js';
// Posting (docs/design/web.md, "Posting").
import { openCreate } from './create.js';
import { openMyVideos } from './my_videos.js';
import { withDetails } from './rendition.js';
import { moreBody, renderWhy } from './video_sheets.js';
// Served ads are never dropped from the queue (docs/design/web.md, "Ads in the queue").
import { admitItem, putBackAds, setAsideAds } from './ad_queue.js';

const USER_STORE = 'foryou.user';
const MUTE_STORE = 'foryou.muted';
const PAGE = 10;          // videos per feed request
const LOW_WATER = 4;      // fetch more when fewer are left ahead
// Videos buffered ahead of the current one (?prefetch=0 turns it off: the baseline of
// web/bench/swipe_latency.mjs).
const PREFETCH = new URLSearchParams(location.search).get('prefetch') === '0' ? 0 : 2;
// The events line (sent / pending / retries) is for developers: shown with ?debug=1 only.
const DEBUG = new URLSearchParams(location.search).has('debug');
// The logged-out feed's language: the browser's ("pt-BR" -> "pt").
const LANG = (navigator.language || '').toLowerCase().split('-')[0].replace(/[^a-z]/g, '');

const app = document.getElementById('app');
const key = takeKey();   // '' = accounts: the session cookie
const api = new Api(key);
const social = new SocialApi(api, () => state.user);
let events = null;

// The state of the feed screen. Exposed read-only as window.__foryou for the browser tests.
const state = {
  user: '',
  items: [],          // feed items in the order served (each with request_id)
  cur: 0,             // index of the video on screen
  loading: null,      // the feed request in flight
  seen: new Set(),    // videos already in `items`, and the served slots of its ads (ad_queue.js)
  waitingAds: [],     // ads set aside from the queue until they fit back in (ad_queue.js)
  dropCreators: new Set(),
  dropSounds: new Set(),
  liked: new Set(),
  following: new Set(),
  favorited: new Set(),
  muted: localStorage.getItem(MUTE_STORE) !== '0',
  watch: null,        // the watch of the current video
  media: new Map(),   // video id -> <video> element (current + prefetched)
  panelOpen: false,
  tab: 'foryou',      // the feed on screen: 'foryou' or 'following' (tabs.js)
  pages: 0,           // feed pages fetched
  startLatencies: [], // ms from a video's arrival on screen to its first frame playing
  cursor: '',         // logged out: the public feed's next page ('' = first, null = no more)
};
window.__foryou = state;

const { mediaFor, playMedia, prefetch, dropMedia } =
  playerMedia(state, () => prefetchBox, PREFETCH, () => renderSound());

start();

function start() {
  // /#review: the moderators' review page (review.js) instead of the player.
  if (wantsReview()) return openReview(app, api);
  events = new EventQueue(key, { onChange: renderStatus });
  state.events = events;
  if (!key) {
    // Signed in already if the session cookie is valid; a server without accounts answers 404.
    // Signed out, the public For You feed (a server without accounts as well).
    api.me().then((me) => openFeed(me.signed_in ? me.user : ''), (e) => {
      if (e instanceof ApiError && e.status === 404) openFeed('');
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
  if (!key) {
    return api.me().then(() => renderAccountAuth(app, api, message, (id) => openFeed(id)),
      () => renderNoKey(app));
  }
  renderAuthIn(app, api, message, (id) => {
    localStorage.setItem(USER_STORE, id);
    openFeed(id);
  });
}

// ---- The feed screen ----

let stage, info, rail, statusLine, panel, prefetchBox, toastBox;

// Asks a logged-out visitor to sign in before `what` (e.g. "like videos"): a sheet with the
// reason and the way to the sign-up / sign-in form; once signed in, the feed opens on the video
// that was on screen.
function askSignIn(what) {
  const item = current();
  const go = h('button', { id: 'signin-go', class: 'primary', onclick: () => {
    closePanel();
    finishWatch();
    if (item) history.replaceState(null, '', location.pathname + location.search + '#video=' + encodeURIComponent(item.video));
    renderAuth('');
  } }, 'Sign in or sign up');
  openPanel('Sign in to ' + what, h('div', { class: 'menu signin' },
    h('p', {}, `Sign in to ${what}. Your For You feed then learns from what you watch.`), go));
}

function openFeed(user) {
  Object.assign(state, { user, items: [], cur: 0, seen: new Set(), waitingAds: [], pages: 0, watch: null, tab: 'foryou', cursor: '' });
  asideFeeds.clear();
  state.media.clear();
  stage = h('section', { class: 'stage', 'aria-live': 'polite', 'aria-label': 'Video' });
  info = h('div', { class: 'info' });
  rail = h('nav', { class: 'rail', 'aria-label': 'Actions' });
  statusLine = h('div', { class: 'status', 'aria-live': 'off' });
  panel = h('div', { class: 'panel', role: 'dialog', 'aria-modal': 'true', hidden: true });
  prefetchBox = h('div', { class: 'prefetch', 'aria-hidden': 'true' });
  toastBox = h('div', { class: 'toast', role: 'status' });
  const top = h('header', { class: 'top' },
    tabsNav = feedTabs(state.tab, switchTab),
    h('div', { class: 'top-actions' },
      h('button', { id: 'create', class: 'create', onclick: () => createVideo(), title: 'Post a video' }, '+ Create'),
      h('button', { id: 'search', onclick: openSearch, title: 'Search' }, 'Search'),
      h('button', { id: 'sound', onclick: toggleSound, 'aria-label': 'Sound', title: 'Sound (M)' }),
      h('button', { id: 'new-videos', onclick: newVideos, title: 'New videos (R)' }, 'New videos'),
      user ? h('button', { id: 'settings', onclick: openSettings, title: 'Settings' }, 'Settings') : null,
      user ? inboxButton(socialCtx) : null,
      user ? h('button', { id: 'me', onclick: () => openProfile(socialCtx, state.user), title: 'Your profile' }, '@' + user)
        : h('button', { id: 'signin', class: 'primary', onclick: () => { finishWatch(); renderAuth(''); } }, 'Sign in')));
  // On a desktop (CSS shows them for a fine pointer): buttons for the previous and next video
  // and the keys in a line.
  const nav = h('nav', { class: 'desk-nav', 'aria-label': 'Videos' },
    h('button', { id: 'prev-video', 'aria-label': 'Previous video', title: 'Previous video (↑ or K)', onclick: () => prev() }, '▲'),
    h('button', { id: 'next-video', 'aria-label': 'Next video', title: 'Next video (↓ or J)', onclick: () => next() }, '▼'));
  const keysHint = h('p', { class: 'keys-hint', 'aria-hidden': 'true' },
    h('kbd', {}, '↑'), h('kbd', {}, '↓'), ' videos · ', h('kbd', {}, 'Space'), ' pause · ', h('kbd', {}, 'L'), ' like · ',
    h('kbd', {}, 'M'), ' sound · ', h('kbd', {}, 'C'), ' comment');
  if (DEBUG) statusLine.classList.add('show');
  app.replaceChildren(h('main', { class: 'feed' + (user ? '' : ' guest') }, top, stage, info, rail, nav, keysHint, statusLine, panel, prefetchBox, toastBox));
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
        state.items = state.items.filter((it) => it.sponsored || it.video !== v.id);  // an ad stays
        state.seen.add(v.id);
        state.items.unshift(pageItem(v, 'share', 'shared with you'));
      } catch {
        toast(`The shared video '${shared}' is not available`);
      }
    }
    if (!state.items.length) {
      stage.replaceChildren(h('p', { class: 'empty' }, 'No videos to show yet. Try "New videos" in a moment.'));
    } else {
      show(0);
    }
    openLinkedChallenge();
  });
}

// A challenge link (/#challenge=NAME) opens the challenge's page over the player.
function openLinkedChallenge() {
  const name = new URLSearchParams(location.hash.slice(1)).get('challenge');
  if (!name) return;
  history.replaceState(null, '', location.pathname + location.search);
  openPage('challenges', name, '#' + name);
}
window.addEventListener('hashchange', () => {
  if (document.querySelector('main.feed')) openLinkedChallenge();
});

// A feed item for a video that did not come from the feed (a page, a shared link).
function pageItem(v, surface, reason) {
  return {
    video: v.id, creator: v.creator, sound: v.sound, hashtags: v.hashtags, caption: v.caption,
    duration_ms: v.duration_ms, media_url: v.media_url, media_url_360: v.media_url_360, cover_url: v.cover_url, reason,
    request_id: surface + '-' + Date.now().toString(36), position: 0, surface, counts: v.counts,
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
  const tab = state.tab;
  state.loading = (async () => {
    try {
      if (!state.user && state.cursor === null) return;  // the public feed's last page was shown
      const page = tab === 'following' ? await social.followingFeed(state.user, PAGE)
        : state.user ? await api.feed(state.user, PAGE) : await api.publicFeed(LANG, state.cursor, PAGE);
      if (!state.user) state.cursor = page.next_cursor;
      state.pages++;
      // Processed uploads get their 360p rendition and cover (rendition.js).
      const items = await Promise.all(page.items.map((it) => withDetails(api, it)));
      for (const item of items) {
        if (state.tab !== tab || isDropped(item) || !admitItem(state.seen, item, page.request_id)) continue;
        absorbItemState(item, state);
        state.items.push({ ...item, request_id: page.request_id, surface: tab });
      }
    } catch (e) {
      toast('Could not load the feed: ' + e.message);
    } finally {
      if (state.tab === tab) putBackWaitingAds();
      state.loading = null;
    }
  })();
  return state.loading;
}

// Drops what was fetched ahead of the next video and fetches a page that knows the latest
// events (the server applies them before answering: POST /v1/events returns after Observe).
// The ads among what was fetched go back among the new page's videos.
async function adapt() {
  if (state.loading) await state.loading;  // a page asked for before this action is stale too
  replaceAhead(state.cur + 2);
  await events.drain();
  await loadMore();
  prefetch();
}

// Removes the queue from index `from` on to make room for a new page: its organic videos are
// dropped, its ads not shown yet wait (state.waitingAds) until loadMore puts them back.
function replaceAhead(from) {
  const { ads, dropped } = setAsideAds(state.items.splice(from));
  for (const item of dropped) dropMedia(item.video);
  state.waitingAds.push(...ads);
}

// The waiting ads go back into the queue after the next video, near the place each had
// (ad_queue.js: never beside another ad or the same ad); those that fit nowhere wait on.
function putBackWaitingAds() {
  if (state.waitingAds.length) state.waitingAds = putBackAds(state.items, state.cur + 2, state.waitingAds);
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
  const media = slide.querySelector('video');
  if (media) {
    slide.append(pauseIcon(), progressBar(media, (t) => {
      if (state.watch && state.watch.media === media) state.watch.lastTime = t;  // a seek is not a replay
    }));
    media.addEventListener('play', () => slide.classList.remove('paused'));
  }
  stage.replaceChildren(slide);
  const { shownAt } = startWatch(item, media);
  if (media) {
    const started = () => {
      if (state.watch && state.watch.media === media) state.startLatencies.push(performance.now() - shownAt);
    };
    if (!media.paused && media.readyState >= 3) started();
    else media.addEventListener('playing', started, { once: true });
  }
  if (!item.impressed && state.user) {
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

// The watch of the video on screen ends: one play (watched) or skip (swiped away early) event.
function finishWatch() {
  const w = state.watch;
  if (!w) return;
  state.watch = null;
  if (w.media) w.media.pause();
  if (!state.user) return;  // logged out: nothing is logged
  const watchMs = Math.round(performance.now() - w.shownAt);
  const lengthMs = w.media && w.media.duration ? w.media.duration * 1000 : w.item.duration_ms || 15000;
  if (!w.media && watchMs >= lengthMs) w.completed = true;
  const watched = w.completed || watchMs >= Math.min(3000, 0.5 * lengthMs);
  if (watched) {
    events.push({ type: 'play', user: state.user, video: w.item.video, request_id: w.item.request_id,
      watch_ms: watchMs, completed: w.completed, replays: w.replays });
  } else {
    events.push({ type: 'skip', user: state.user, video: w.item.video, request_id: w.item.request_id,
      watch_ms: watchMs });
  }
}

function next() {
  show(state.cur + 1);
}
function prev() {
  show(state.cur - 1);
}

// ---- Info and actions ----

// An ad (`sponsored` in the feed item) says so, with its call to action to the landing page.
// A tap on it is an `ad_click` event of the ad's slot (what bills a CPC ad), and the landing
// page opens with the click's id in `fy_click`, for the advertiser's conversion report.
const CTA_LABELS = { learn_more: 'Learn more', shop_now: 'Shop now', sign_up: 'Sign up', download: 'Download',
  watch_more: 'Watch more', contact_us: 'Contact us', book_now: 'Book now' };
function landingHref(item) {
  try {
    const url = new URL(item.landing_url);
    if (item.click_id) url.searchParams.set('fy_click', item.click_id);
    return url.toString();
  } catch {
    return item.landing_url;
  }
}
function adClick(item) {
  if (!state.user) return;
  events.push({ type: 'ad_click', user: state.user, video: item.video, request_id: item.request_id,
    position: item.position ?? 0 });
}
function renderInfo(item) {
  const parts = infoParts(item, { api, openPage, openProfile: (id) => openProfile(socialCtx, id) });
  if (item.sponsored) {
    parts.unshift(h('p', { class: 'ad-label' }, h('strong', {}, 'Sponsored'), ' ',
      h('a', { class: 'cta', href: landingHref(item), target: '_blank', rel: 'noopener noreferrer',
        onclick: () => adClick(item) },
        CTA_LABELS[item.call_to_action] || 'Learn more')));
  }
  info.replaceChildren(...parts);
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
  showRailCounts(rail, item);
}

// Runs action `fn` on the video on screen; logged out, asks to sign in to `what` instead.
function act(fn, what = 'do that') {
  const item = current();
  if (!item || state.panelOpen) return;
  if (!state.user) return askSignIn(what);
  fn(item);
}

function like() {
  act((item) => {
    const on = !state.liked.has(item.video);
    if (on) state.liked.add(item.video); else state.liked.delete(item.video);
    events.push({ type: on ? 'like' : 'unlike', user: state.user, video: item.video });
    bumpCount(state.items, item.video, 'likes', on ? 1 : -1);
    renderRail(item);
    if (on) {
      heart();
      adapt();
    }
  }, 'like videos');
}

// A double tap likes the video on screen (never unlikes it) with a heart where it was tapped.
function doubleTapLike(x, y) {
  act((item) => {
    heartAt(stage, x, y);
    if (state.liked.has(item.video)) return;
    state.liked.add(item.video);
    events.push({ type: 'like', user: state.user, video: item.video });
    renderRail(item);
    adapt();
  }, 'like videos');
}

function favorite() {
  act((item) => {
    if (state.favorited.has(item.video)) return toast('Already in your favorites');
    state.favorited.add(item.video);
    events.push({ type: 'favorite', user: state.user, video: item.video });
    bumpCount(state.items, item.video, 'favorites', 1);
    toast('Added to favorites');
    renderRail(item);
    adapt();
  }, 'save favorites');
}

// Copies a link anyone can open (/#video=ID plays that video, signed in or not); counted as a
// share when signed in.
function share() {
  const item = current();
  if (!item || state.panelOpen) return;
  if (state.user) {
    events.push({ type: 'share', user: state.user, video: item.video });
    bumpCount(state.items, item.video, 'shares', 1);
    renderRail(item);
  }
  const url = `${location.origin}/#video=${encodeURIComponent(item.video)}`;
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
  toast('Link copied: ' + url);
}

function follow() {
  act((item) => {
    const on = !state.following.has(item.creator);
    if (on) state.following.add(item.creator); else state.following.delete(item.creator);
    events.push({ type: on ? 'follow' : 'unfollow', user: state.user, creator: item.creator });
    toast(on ? `Following @${item.creator}` : `Unfollowed @${item.creator}`);
    renderRail(item);
    if (on) adapt();
  }, 'follow creators');
}

// The follow button of a creator's page; `show(on)` redraws it.
function followFromPage(creator, show) {
  if (!state.user) return askSignIn('follow creators');
  const on = !state.following.has(creator);
  if (on) state.following.add(creator); else state.following.delete(creator);
  events.push({ type: on ? 'follow' : 'unfollow', user: state.user, creator });
  show(on);
  const item = current();
  if (item && item.creator === creator) renderRail(item);
}

// Removes videos matching `drop` from what is queued ahead, then moves on.
function dropAhead(drop) {
  const ahead = state.items.splice(state.cur + 1);
  for (const it of ahead) {
    if (drop(it)) dropMedia(it.video);
    else state.items.push(it);
  }
  state.waitingAds = state.waitingAds.filter((w) => !drop(w.item));
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
  }, 'tune your feed');
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
  heartAt(stage);
}

// ---- Panels ----

// opts.cls: a class of the sheet ('full': a full screen, e.g. a profile).
function openPanel(title, body, onClose, opts = {}) {
  state.panelOpen = true;
  const watch = state.watch;
  if (watch && watch.media) watch.media.pause();
  const close = h('button', { class: 'close', 'aria-label': 'Close', onclick: () => closePanel() }, '✕');
  panel.replaceChildren(h('div', { class: 'sheet' + (opts.cls ? ' ' + opts.cls : '') }, h('header', {}, h('h2', { id: 'panel-title' }, title), close), body));
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
  act((item) => openComments(socialCtx, item), 'comment');
}

function openMore() {
  act((item) => {
    openPanel('More', moreBody(item, {
      hideCreator: () => { closePanel(); hideCreator(item); },
      hideSound: () => { closePanel(); hideSound(item); },
      report: (reason) => {
        events.push({ type: 'report', user: state.user, video: item.video, reason });
        state.dropCreators.add(item.creator);
        closePanel();
        toast('Reported. Thank you.');
        dropAhead((it) => it.video === item.video);
        next();
      },
      video: (id) => api.get(`/v1/videos/${encodeURIComponent(id)}`),
      remix: (kind, video) => createVideo({ kind, video }),
    }));
  }, 'hide or report videos');
}

async function openWhy() {
  const item = current();
  if (!item || state.panelOpen) return;
  if (!state.user) return askSignIn('see why a video is in your feed');
  const body = h('div', { class: 'why' }, h('p', {}, 'Loading…'));
  openPanel('Why this video', body);
  await renderWhy(api, state.user, item, body);
}

// The create page (create.js), for a duet or stitch of `remix.video` when given; signed out, it
// asks to sign in. A posted video opens My videos, where its processing shows.
function createVideo(remix = null) {
  if (!state.user) return askSignIn('post videos');
  if (state.panelOpen) closePanel();
  openCreate({ api, openPanel: (title, body, opts) => openPanel(title, body, undefined, opts), toast, posted: () => showMyVideos() }, remix);
}

function showMyVideos() {
  if (state.panelOpen) closePanel();
  openMyVideos({
    api,
    openPanel: (title, body, opts) => openPanel(title, body, undefined, opts),
    play: (v) => socialCtx.playVideo(v, 'profile'),
  });
}

async function openPage(kind, id, title) {
  if (state.panelOpen) closePanel();
  const body = h('div', { class: 'page' }, h('p', {}, 'Loading…'));
  openPanel(title, body);
  const heading = document.getElementById('panel-title');
  try {
    await renderPage(api, kind, id, body, (t) => { heading.textContent = t; }, {
      open: openPage,
      play: (v) => playFromPage(v, kind),
      following: (creator) => state.following.has(creator),
      follow: followFromPage,
    });
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

function playFromPage(v, kind) {
  closePanel();
  const at = state.cur + 1;
  const existing = state.items.findIndex((it, i) => i > state.cur && it.video === v.id && !it.sponsored);
  if (existing > 0) state.items.splice(existing, 1);
  // The impression's surface: a creator's page is the creator's profile.
  const surface = kind === 'creators' ? 'profile' : kind.slice(0, -1);
  state.items.splice(at, 0, pageItem(v, surface, `from the ${kind.slice(0, -1)} page`));
  show(at);
}

// "Show me new videos": what is queued ahead is replaced by a new page that knows every event so
// far, and the first new video plays. Nothing the feed learned is reset; likes stay. The ads
// queued ahead come back among the new videos (never the first).
async function newVideos() {
  if (state.panelOpen) return;
  if (state.loading) await state.loading;
  replaceAhead(state.cur + 1);
  await events.drain();
  if (!state.user && state.cursor === null) state.cursor = '';  // logged out: from the top again
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
    openProfile: () => openProfile(socialCtx, state.user),
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

// Pauses or resumes the video on screen; a paused video shows the pause icon.
function togglePause() {
  const w = state.watch;
  if (!w || !w.media || state.panelOpen) return;
  const slide = w.media.closest('.slide');
  if (w.media.paused) {
    playMedia(w.media);
  } else {
    w.media.pause();
    if (slide) slide.classList.add('paused');
  }
}

function bindStageGestures() {
  bindGestures(stage, {
    next, prev, longPress: favorite, escape: closePanel, blocked: () => state.panelOpen,
    pullDown: () => (state.cur === 0 ? newVideos() : prev()),  // pull down on the first video
    drag: (dy) => dragSlide(stage, dy), settle: () => settleSlide(stage),
    tap: togglePause,
    doubleTap: doubleTapLike,
    keys: {
      ArrowDown: next, PageDown: next, j: next, ArrowUp: prev, PageUp: prev, k: prev, ' ': togglePause,
      l: like, c: openComment, s: share, f: follow, v: favorite, n: notInterested, o: openMore,
      w: openWhy, m: toggleSound, r: newVideos,
    },
  });
}

function renderStatus() {
  if (!statusLine || !events || !DEBUG) return;
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

// ---- Social screens: the Following tab, comments, profiles, inbox (docs/design/web_social.md) ----

let tabsNav = null;

// What the social screens need of the player.
const socialCtx = {
  social,
  user: () => state.user,
  // Acting needs a user: signed out, the sign-in form opens instead.
  requireUser: () => {
    if (state.user) return true;
    renderAuth('Sign in to do that.');
    return false;
  },
  openPanel: (title, body, opts) => {
    if (state.panelOpen) closePanel();
    openPanel(title, body, undefined, opts);
  },
  closePanel: () => closePanel(),
  toast: (text) => toast(text),
  openProfile: (id) => openProfile(socialCtx, id),
  openMyVideos: () => showMyVideos(),
  commentsChanged: (item, delta) => {
    bumpCount(state.items.includes(item) ? state.items : [item], item.video, 'comments', delta);
    if (current() === item) renderRail(item);
  },
  isFollowing: (id) => state.following.has(id),
  follow: (creator, on) => {
    if (on) state.following.add(creator); else state.following.delete(creator);
    events.push({ type: on ? 'follow' : 'unfollow', user: state.user, creator });
    if (current()) renderRail(current());
  },
  playVideo: (v, surface) => {
    closePanel();
    const at = state.items.length ? state.cur + 1 : 0;
    const existing = state.items.findIndex((it, i) => i >= at && it.video === v.id && !it.sponsored);
    if (existing >= 0) state.items.splice(existing, 1);
    state.items.splice(at, 0, pageItem(v, surface, `from a profile (${surface})`));
    show(at);
  },
  openVideo: async (id) => {
    try {
      socialCtx.playVideo(await social.video(id), 'inbox');
    } catch (e) {
      toast(`The video '${id}' is not available: ${e.message}`);
    }
  },
  signOut: () => signOut(),
  signedOut: (message) => {
    closePanel();
    finishWatch();
    localStorage.removeItem(USER_STORE);
    renderAuth(message);
  },
};

// Following | For You: the feed on screen is put aside (what is queued, where the user was) and
// the other one comes back where it was left, or starts from its first video; pending events go
// out first, so a follow made a moment ago counts.
const asideFeeds = new Map();  // tab -> { items, cur, seen, waitingAds }

async function switchTab(name) {
  if (state.panelOpen) closePanel();
  if (state.loading) await state.loading;
  finishWatch();
  for (const item of state.items) dropMedia(item.video);
  if (state.items.length) asideFeeds.set(state.tab, { items: state.items, cur: state.cur, seen: state.seen, waitingAds: state.waitingAds });
  const back = asideFeeds.get(name);
  asideFeeds.delete(name);
  Object.assign(state, { tab: name, items: back ? back.items : [], cur: back ? back.cur : 0, seen: back ? back.seen : new Set(),
    waitingAds: back ? back.waitingAds : [] });
  selectTab(tabsNav, name);
  info.replaceChildren();
  rail.replaceChildren();
  if (back) return show(state.cur);
  stage.replaceChildren(h('p', { class: 'empty' }, 'Loading…'));
  await events.drain();
  await loadMore();
  if (state.tab !== name) return undefined;
  if (state.items.length) return show(0);
  stage.replaceChildren(h('p', { class: 'empty following-empty' }, name === 'following' ? FOLLOWING_EMPTY : 'No videos to show yet.'));
  return undefined;
}
