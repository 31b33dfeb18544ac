// The review page (/#review, docs/design/web.md "Review"): the moderation queue oldest first,
// one video at a time: it plays, with why it is queued, its report counts and similar videos,
// and one key decides it (A approve, L limit, R remove, N next). For moderators and admins
// (a signed-in account with the role, or a moderator / admin key); others see why they cannot.
import { ApiError } from './api.js';
import { h } from './dom.js';

const KEYS = { a: 'approved', l: 'limited', r: 'removed' };

// True if the URL asks for the review page (#review, also after #key=...&review).
export function wantsReview() {
  return new URLSearchParams(location.hash.slice(1)).has('review');
}

// Renders the review page into `app`, over `api`. State (items, index, decided) is exposed as
// window.__review for the browser tests.
export function openReview(app, api) {
  const state = { items: [], cur: 0, decided: [], cursor: '', busy: false };
  window.__review = state;
  const status = h('p', { class: 'review-status', role: 'status' }, 'Loading the queue…');
  const body = h('div', { class: 'review-item' });
  const reason = h('input', { name: 'reason', placeholder: 'Reason (optional)', maxlength: 1000, 'aria-label': 'Reason' });
  app.replaceChildren(h('main', { class: 'review' },
    h('header', { class: 'review-head' }, h('h1', {}, 'Review queue'),
      h('p', { class: 'hint' }, 'A approve · L limit · R remove · N next')),
    status, body));

  async function load() {
    try {
      const page = await api.get('/v1/moderation/queue?limit=50' +
        (state.cursor ? '&cursor=' + encodeURIComponent(state.cursor) : ''));
      state.items = page.items || [];
      state.cursor = page.next_cursor || '';
      state.cur = 0;
      show();
    } catch (e) {
      const denied = e instanceof ApiError && (e.status === 401 || e.status === 403);
      status.textContent = denied ? 'The review queue is for moderators: sign in with an account that has the moderator role.'
        : 'Cannot load the queue: ' + e.message;
      status.classList.add('error');
    }
  }

  function show() {
    const item = state.items[state.cur];
    if (!item) {
      status.textContent = state.cursor ? 'Loading more…' : 'The queue is empty.';
      body.replaceChildren();
      if (state.cursor) load();
      return;
    }
    const v = item.video;
    status.textContent = `${state.cur + 1} of ${state.items.length}${state.cursor ? '+' : ''} queued`;
    const reports = Object.entries(item.reports || {});
    body.replaceChildren(
      h('div', { class: 'review-media' }, v.media_url
        ? h('video', { src: v.media_url, controls: true, autoplay: true, muted: true, loop: true, playsinline: true })
        : h('p', { class: 'empty' }, 'No media')),
      h('section', { class: 'review-facts', 'data-video': v.id },
        h('h2', {}, v.id), h('p', {}, '@' + v.creator, ' · ', item.state),
        h('p', { class: 'caption' }, v.caption || ''),
        h('p', { class: 'tags' }, (v.hashtags || []).map((t) => '#' + t).join(' ')),
        h('h3', {}, 'Why it is here'),
        h('ul', { class: 'reasons' }, (item.reasons || []).map((r) => h('li', { 'data-code': r.code }, h('b', {}, r.code), ' ', r.text))),
        h('h3', {}, `Reports (${item.reports_total || 0})`),
        reports.length ? h('ul', { class: 'reports' }, reports.map(([code, n]) => h('li', {}, `${code}: ${n}`))) : h('p', { class: 'hint' }, 'None'),
        h('h3', {}, 'Similar videos'),
        (item.similar || []).length
          ? h('ul', { class: 'similar' }, item.similar.map((s) => h('li', {}, `${s.video} (${Math.round(s.share * 100)}% of frames)`)))
          : h('p', { class: 'hint' }, 'None found'),
        reason,
        h('div', { class: 'review-actions' },
          h('button', { class: 'primary', onclick: () => decide('approved') }, 'Approve (A)'),
          h('button', { onclick: () => decide('limited') }, 'Limit (L)'),
          h('button', { onclick: () => decide('removed') }, 'Remove (R)'),
          h('button', { onclick: () => next() }, 'Next (N)'))));
  }

  function next() {
    if (state.cur < state.items.length - 1) state.cur++;
    else state.cur = state.items.length;
    show();
  }

  async function decide(decision) {
    const item = state.items[state.cur];
    if (!item || state.busy) return;
    state.busy = true;
    try {
      await api.post(`/v1/moderation/videos/${encodeURIComponent(item.video.id)}/decision`,
        { state: decision, reason: reason.value });
      state.decided.push({ video: item.video.id, state: decision });
      state.items.splice(state.cur, 1);
      reason.value = '';
      show();
    } catch (e) {
      status.textContent = `Cannot decide ${item.video.id}: ${e.message}`;
    } finally {
      state.busy = false;
    }
  }

  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (KEYS[k]) {
      e.preventDefault();
      decide(KEYS[k]);
    } else if (k === 'n') {
      e.preventDefault();
      next();
    }
  });

  load();
}
