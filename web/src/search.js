// The search screen (docs/design/web.md, "Search"): a box that searches as you type (debounced,
// GET /v1/search, public), tabs for Videos / Creators / Sounds / Hashtags, and results that open
// where they lead: a video plays in the player, a creator / sound / hashtag opens its page.
// Only the answer to the latest query is shown: an older one that arrives late is dropped.
// Before anything is typed it lists the challenges running now (GET /v1/challenges?active=1),
// each opening its challenge page.
import { h, hue } from './dom.js';

const TABS = [['videos', 'Videos'], ['creators', 'Creators'], ['sounds', 'Sounds'], ['hashtags', 'Hashtags']];
const DEBOUNCE_MS = 150;
const COUNT = 20;

// The body of the search panel. `api.get(path)` fetches JSON; `playVideo(video)` plays a video
// object; `openPage(kind, id, title)` opens a creator / sound / hashtag page.
export function searchBody({ api, playVideo, openPage }) {
  let type = 'videos';
  let timer = 0;
  let latest = 0;  // the number of the latest query sent
  const input = h('input', {
    id: 'search-input', type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: 200,
    placeholder: 'Search videos, creators, sounds, #hashtags', 'aria-label': 'Search',
  });
  const results = h('div', { id: 'search-results', class: 'search-results', 'aria-live': 'polite' });
  const tabs = h('div', { class: 'search-tabs', role: 'tablist' }, TABS.map(([t, label]) =>
    h('button', {
      role: 'tab', 'data-type': t, 'aria-selected': String(t === type),
      onclick: () => {
        type = t;
        for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.type === t));
        run();
      },
    }, label)));
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      clearTimeout(timer);
      run();
    }
  });

  async function run(cursor = '') {
    const q = input.value;
    const n = ++latest;
    if (!q.trim()) {
      showChallenges(n);
      return;
    }
    let page;
    try {
      page = await api.get(`/v1/search?q=${encodeURIComponent(q)}&type=${type}&count=${COUNT}` +
        (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
    } catch (e) {
      if (n === latest) results.replaceChildren(h('p', { class: 'error' }, e.message));
      return;
    }
    if (n !== latest) return;
    const items = (page.results || []).map(render);
    if (!cursor) results.replaceChildren();
    results.querySelector('.search-more')?.remove();
    if (!items.length && !cursor) {
      results.replaceChildren(h('p', { class: 'hint' }, `No ${type} match “${q}”.`));
      return;
    }
    const list = type === 'videos' ? (results.querySelector('.grid') || h('div', { class: 'grid' }))
      : (results.querySelector('.menu') || h('div', { class: 'menu' }));
    list.append(...items);
    if (!list.isConnected) results.append(list);
    if (page.next_cursor) {
      results.append(h('button', { class: 'search-more', onclick: () => run(page.next_cursor) }, 'More'));
    }
  }

  function render(r) {
    switch (type) {
      case 'videos':
        return h('button', {
          class: 'tile search-result', 'data-video': r.id,
          style: `--hue:${hue((r.hashtags && r.hashtags[0]) || r.creator)}`,
          onclick: () => playVideo(r),
        }, h('span', {}, r.caption || r.id), h('small', {}, '@' + r.creator));
      case 'creators':
        return h('button', {
          class: 'search-result', 'data-creator': r.id,
          onclick: () => openPage('creators', r.id, '@' + r.id),
        }, `@${r.id}`, r.name && r.name !== r.id ? ` · ${r.name}` : '', h('small', {}, ` ${r.followers} followers`));
      case 'sounds':
        return h('button', {
          class: 'search-result', 'data-sound': r.id,
          onclick: () => openPage('sounds', r.id, '♫ ' + (r.title || r.id)),
        }, '♫ ' + (r.title || r.id), h('small', {}, ` ${r.videos} videos`));
      default:
        return h('button', {
          class: 'search-result', 'data-hashtag': r.name,
          onclick: () => openPage('hashtags', r.name, '#' + r.name),
        }, '#' + r.name, h('small', {}, ` ${r.videos} videos`));
    }
  }

  // The empty box: a hint and the challenges running now (dropped if a query came first).
  async function showChallenges(n) {
    results.replaceChildren(h('p', { class: 'hint' }, 'Type to search.'));
    let list;
    try {
      list = (await api.get('/v1/challenges?active=1')).challenges || [];
    } catch {
      return;  // the hint alone
    }
    if (n !== latest || !list.length) return;
    results.append(h('section', { id: 'challenges', class: 'challenges' }, h('h4', {}, 'Challenges'),
      h('div', { class: 'menu' }, list.map((c) => h('button', {
        class: 'search-result', 'data-challenge': c.name,
        onclick: () => openPage('challenges', c.name, '#' + c.name),
      }, '★ #' + c.name + ' · ' + c.title, h('small', {}, ` ${c.entries} entries`),
      c.sponsor ? h('small', { class: 'sponsored' }, ' Sponsored') : null)))));
  }

  showChallenges(latest);
  return h('div', { class: 'search' }, input, tabs, results);
}
