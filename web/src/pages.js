// The creator, sound, hashtag and challenge pages of the player (docs/design/web.md, "The
// player"): a head (a creator's avatar, name, counts and follow button; a sound's title and its
// original video's creator; a hashtag's name, and a link to its challenge when it is one; a
// challenge's banner) above the page's videos as tiles with their cover images. Public reads:
// they work logged out.
import { h, hue } from './dom.js';
import { coverImage } from './surface.js';

const soundTitles = new Map();  // sound id -> title (as the sound page gives it)

// The title a sound is shown by: its own, else "original sound - @creator".
export function soundTitle(sound) {
  if (sound.title) return sound.title;
  return sound.creator ? `original sound - @${sound.creator}` : 'original sound';
}

// Resolves to the title of sound `id` (one small page read, remembered).
export function lookUpSoundTitle(api, id) {
  if (soundTitles.has(id)) return Promise.resolve(soundTitles.get(id));
  return api.publicGet(`/v1/sounds/${encodeURIComponent(id)}?limit=1`).then((s) => {
    const title = soundTitle(s);
    soundTitles.set(id, title);
    return title;
  });
}

// Resolves to { name, isUser } of creator `id`: the display name ("" when it has none) and
// whether the creator is also a user with a profile (one small page read, remembered).
const creators = new Map();
export function lookUpCreator(api, id) {
  if (!creators.has(id)) {
    creators.set(id, api.publicGet(`/v1/creators/${encodeURIComponent(id)}?limit=1`).then((c) => ({
      name: c.name && c.name !== id ? c.name : '', isUser: !!c.is_user,
    }), (e) => { creators.delete(id); throw e; }));
  }
  return creators.get(id);
}

// A count for people: 1234 -> "1.2K", 2500000 -> "2.5M".
export function compact(n) {
  if (!Number.isFinite(n)) return '';
  const f = (x, unit) => (x >= 100 ? Math.round(x) : Number(x.toFixed(1))) + unit;
  if (n >= 1e9) return f(n / 1e9, 'B');
  if (n >= 1e6) return f(n / 1e6, 'M');
  if (n >= 1e3) return f(n / 1e3, 'K');
  return String(Math.round(n));
}

// Initials of a name or handle: "cats_maker_0" -> "CM", "Ana Silva" -> "AS".
export function initials(name) {
  const words = String(name || '?').replace(/^@/, '').split(/[\s_.-]+/).filter(Boolean);
  return ((words[0] || '?')[0] + (words.length > 1 ? words[1][0] : '')).toUpperCase();
}

// A round avatar: the image at `url` when given (initials again if it fails to load), else
// the initials of `name` on a colour of its own.
export function avatar(name, url, size = 'big') {
  const el = h('div', { class: 'avatar ' + size, style: `--hue:${hue(String(name))}`, 'aria-hidden': 'true' },
    h('span', {}, initials(name)));
  if (url) {
    const img = h('img', { src: url, alt: '' });
    img.addEventListener('error', () => img.remove());
    el.append(img);
  }
  return el;
}

function countLine(parts) {
  const shown = parts.filter(([n]) => Number.isFinite(n));
  if (!shown.length) return null;
  return h('p', { class: 'page-counts' }, shown.map(([n, label]) =>
    h('span', {}, h('b', {}, compact(n)), ' ' + label)));
}

// "Jun 3" (this year) or "Jun 3, 2025": a challenge's dates.
function day(ms) {
  const d = new Date(ms);
  const opts = { month: 'short', day: 'numeric' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString(undefined, opts);
}

// A challenge's banner: title, description, dates, and the sponsor label when sponsored.
function challengeBanner(c) {
  const when = c.active ? `${day(c.start_ms)} – ${day(c.end_ms)}`
    : (c.end_ms <= Date.now() ? `Ended ${day(c.end_ms)}` : `Starts ${day(c.start_ms)}`);
  return h('header', { class: 'page-head challenge-banner', style: `--hue:${hue(c.name)}` },
    h('div', { class: 'page-who' },
      h('p', { class: 'challenge-kicker' }, '★ Challenge · #' + c.name,
        c.sponsor ? h('span', { class: 'sponsored', title: 'Sponsored by ' + c.sponsor }, 'Sponsored') : null),
      h('h3', {}, c.title),
      c.description ? h('p', { class: 'challenge-description' }, c.description) : null,
      h('p', { class: 'challenge-dates' }, when),
      countLine([[c.entries, 'entries']])));
}

// A tile of a page: the cover image over the video's gradient, its caption, and its views and
// likes when the API gives counts; a sound's original video says so.
function tile(v, onPlay) {
  const c = v.counts || {};
  const stats = [c.views !== undefined ? '▶ ' + compact(c.views) : '', c.likes !== undefined ? '♥ ' + compact(c.likes) : '']
    .filter(Boolean).join('  ');
  return h('button', {
    class: 'tile', style: `--hue:${hue((v.hashtags && v.hashtags[0]) || v.creator)}`,
    'data-video': v.id, onclick: () => onPlay(v),
  }, coverImage(v.media_url, '', v.cover_url), v.original ? h('b', { class: 'badge original' }, 'Original') : null,
  h('span', {}, v.caption || v.id), stats ? h('small', {}, stats) : null);
}

// Fills `body` with the page of `kind` ('creators' | 'sounds' | 'hashtags' | 'challenges') `id`
// and sets its title with `setTitle`. `on`: play(video) (a tile was picked), following(creator)
// -> bool, follow(creator, button) (the follow button was pressed; the player asks to sign in
// when logged out), open(kind, id, title) (another page: a sound's original creator, a
// hashtag's challenge).
export async function renderPage(api, kind, id, body, setTitle, on) {
  const page = await api.page(kind, id);
  const videos = page.videos || [];
  let head;
  if (kind === 'creators') {
    // The user record gives the avatar and counts once the server has them; a page without it
    // still shows initials and the videos listed.
    let user = null;
    if (page.is_user) {
      try {
        user = await api.user(id);
      } catch {
        user = null;
      }
    }
    const counts = (user && user.counts) || {};
    const name = (user && user.name) || page.name || id;
    const followBtn = h('button', { id: 'page-follow', class: 'primary follow', 'data-creator': id });
    const setFollow = (on) => {
      followBtn.textContent = on ? 'Following' : 'Follow';
      followBtn.setAttribute('aria-pressed', String(on));
      followBtn.classList.toggle('primary', !on);
    };
    setFollow(on.following(id) || !!(user && user.followed));
    followBtn.addEventListener('click', () => on.follow(id, setFollow));
    head = h('header', { class: 'page-head' }, avatar(name, user && user.avatar),
      h('div', { class: 'page-who' }, h('h3', {}, name !== id ? name : '@' + id), name !== id ? h('p', { class: 'hint' }, '@' + id) : null,
        countLine([[counts.followers, 'followers'], [counts.following, 'following'], [counts.likes, 'likes'],
          [counts.videos ?? (videos.length < 60 ? videos.length : undefined), 'videos']])),
      followBtn);
    setTitle('@' + id);
  } else if (kind === 'sounds') {
    const title = soundTitle(page);
    soundTitles.set(id, title);
    const original = page.original;
    const by = original && original.creator && original.creator.id;
    head = h('header', { class: 'page-head' }, h('div', { class: 'avatar big sound', 'aria-hidden': 'true' }, h('span', {}, '♫')),
      h('div', { class: 'page-who' }, h('h3', {}, title),
        by ? h('p', { class: 'hint sound-original' }, 'Original by ',
          h('button', { class: 'link', 'data-creator': by, onclick: () => on.open && on.open('creators', by, '@' + by) }, '@' + by))
          : null,
        countLine([[videos.length < 60 ? videos.length : undefined, 'videos']])));
    setTitle('♫ ' + title);
  } else if (kind === 'challenges') {
    head = challengeBanner(page);
    setTitle('#' + page.name);
  } else {
    head = h('header', { class: 'page-head' }, h('div', { class: 'page-who' }, h('h3', {}, '#' + (page.name || id)),
      countLine([[videos.length < 60 ? videos.length : undefined, 'videos']])));
    setTitle('#' + (page.name || id));
    // A hashtag that is a challenge leads to the challenge's page. The list, not
    // /v1/challenges/NAME: a hashtag that is none is the common case, not a 404.
    api.publicGet('/v1/challenges').then((list) => {
      const c = (list.challenges || []).find((x) => x.name === (page.name || id));
      if (!c || !head.isConnected) return;
      head.append(h('button', {
        id: 'page-challenge', class: 'primary', 'data-challenge': c.name,
        onclick: () => on.open && on.open('challenges', c.name, '#' + c.name),
      }, '★ ' + c.title));
    }, () => {});
  }
  const empty = kind === 'challenges' ? 'No entries yet: post a video with #' + (page.name || id) + '.' : 'No videos yet.';
  const grid = h('div', { class: 'grid' }, videos.length ? videos.map((v) => tile(v, on.play)) : h('p', {}, empty));
  body.replaceChildren(head, grid);
}
