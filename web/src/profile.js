// Profiles (docs/design/web_social.md): avatar (initials when none), name, bio, counts
// (following, followers, likes), tabs of cover tiles (videos, liked; favorites on your own), and
// either your account (edit profile, sign out, download my data, delete account) or a
// Follow / Following button; the follow lists, each row opening that profile.
import { h, hue } from './dom.js';
import { formatCount } from './counts.js';
import { initials } from './social_api.js';

const AVATAR_MAX_BYTES = 256 * 1024;

// An avatar: the image when the user has one, else initials on a colour of the id.
export function avatar(user, cls = '') {
  const id = user.id || '';
  const box = h('span', { class: 'avatar ' + cls, style: `--hue:${hue(id)}`, 'aria-hidden': 'true' }, initials(user.name || id));
  if (user.avatar) {
    const img = h('img', { src: user.avatar, alt: '' });
    img.addEventListener('error', () => img.remove());
    box.append(img);
  }
  return box;
}

// The cover of a video: its `cover_url` (a processed upload), else /media/NAME.jpg beside
// /media/NAME.webm; the gradient when it fails.
export function coverUrl(v) {
  if (v.cover_url) return v.cover_url;
  const m = /^(\/media\/.+)\.[a-z0-9]+$/i.exec(v.media_url || '');
  return m ? m[1] + '.jpg' : '';
}

export function tile(v, onclick) {
  const cover = coverUrl(v);
  const t = h('button', {
    class: 'tile', style: `--hue:${hue((v.hashtags && v.hashtags[0]) || v.creator || v.id)}`, 'data-video': v.id, onclick,
  }, h('span', {}, v.caption || v.id),
  h('small', {}, v.counts ? '♥ ' + formatCount(v.counts.likes || 0) : `engagement ${Number(v.engagement || 0).toFixed(2)}`));
  if (cover) {
    const img = h('img', { class: 'cover', src: cover, alt: '', loading: 'lazy' });
    img.addEventListener('error', () => img.remove());
    t.prepend(img);
  }
  return t;
}

// ctx: { social, user(), requireUser(), openPanel(title, body, opts), closePanel(), toast(text),
// isFollowing(id), follow(id, on), playVideo(v, surface), openMyVideos(), signOut(), signedOut() }.
export async function openProfile(ctx, id) {
  const body = h('div', { class: 'profile', 'data-user': id }, h('p', {}, 'Loading…'));
  ctx.openPanel('@' + id, body, { cls: 'full' });
  let user;
  let isUser = true;
  try {
    user = await ctx.social.profile(id);
  } catch (e) {
    if (e.status !== 404) {
      body.replaceChildren(h('p', { class: 'error' }, e.message));
      return;
    }
    // A creator of the catalog without a user record: the creator's page.
    isUser = false;
    user = { id, name: id, counts: null, followed: ctx.isFollowing(id) };
  }
  renderProfile(ctx, body, user, isUser);
}

function renderProfile(ctx, body, user, isUser) {
  const own = !!ctx.user() && ctx.user() === user.id;
  const counts = user.counts || {};
  const stat = (n, label, onclick) => h(onclick ? 'button' : 'div', { class: 'stat', onclick, 'data-stat': label.toLowerCase() },
    h('b', {}, user.counts ? formatCount(n || 0) : '–'), h('span', {}, label));
  const head = h('div', { class: 'profile-head' },
    avatar(user, 'large'),
    h('h3', { class: 'profile-name' }, user.name || user.id),
    h('p', { class: 'handle' }, '@' + user.id),
    h('div', { class: 'profile-counts' },
      stat(counts.following, 'Following', isUser ? () => openUserList(ctx, user.id, 'following') : null),
      stat(counts.followers, 'Followers', isUser ? () => openUserList(ctx, user.id, 'followers') : null),
      stat(counts.likes, 'Likes')),
    user.bio ? h('p', { class: 'bio' }, user.bio) : null);
  const actions = h('div', { class: 'profile-actions' });
  if (own) {
    actions.append(h('button', { id: 'edit-profile', onclick: () => editProfile(ctx, body, user) }, 'Edit profile'),
      h('button', { id: 'my-videos', onclick: () => ctx.openMyVideos() }, 'My videos'));
  } else {
    const followed = user.followed ?? ctx.isFollowing(user.id);
    actions.append(h('button', {
      id: 'profile-follow', class: followed ? '' : 'primary', 'aria-pressed': String(!!followed),
      onclick: () => {
        if (!ctx.requireUser()) return;
        const on = !(user.followed ?? ctx.isFollowing(user.id));
        ctx.follow(user.id, on);
        user.followed = on;
        if (user.counts) user.counts.followers = Math.max(0, (user.counts.followers || 0) + (on ? 1 : -1));
        renderProfile(ctx, body, user, isUser);
      },
    }, followed ? 'Following' : 'Follow'));
  }
  head.append(actions);

  const grid = h('div', { class: 'grid' });
  const kinds = [['videos', 'Videos'], ['liked', 'Liked']];
  if (own) kinds.push(['favorites', 'Favorites']);
  const tabs = h('div', { class: 'profile-tabs', role: 'tablist' });
  const select = (kind) => {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.kind === kind));
    loadTiles(ctx, grid, user.id, kind, isUser);
  };
  for (const [kind, label] of kinds) {
    tabs.append(h('button', { role: 'tab', 'data-kind': kind, 'aria-selected': 'false', onclick: () => select(kind) }, label));
  }
  const parts = [head, tabs, grid];
  if (own) parts.push(accountSection(ctx));
  body.replaceChildren(...parts);
  select('videos');
}

async function loadTiles(ctx, grid, id, kind, isUser, cursor = '') {
  if (!cursor) grid.replaceChildren(h('p', {}, 'Loading…'));
  let videos;
  let next = '';
  try {
    if (isUser || kind !== 'videos') {
      const page = await ctx.social.userVideos(id, kind, cursor);
      videos = page.videos || [];
      next = page.next_cursor || '';
    } else {
      videos = (await ctx.social.creator(id)).videos || [];
    }
  } catch (e) {
    if (kind === 'videos' && e.status === 404 && !cursor) {
      try {
        videos = (await ctx.social.creator(id)).videos || [];
      } catch {
        videos = [];
      }
    } else {
      grid.replaceChildren(h('p', { class: 'error' }, e.message));
      return;
    }
  }
  if (!cursor) grid.replaceChildren();
  grid.querySelector('.more')?.remove();
  // Every tab of a profile is the `profile` surface.
  for (const v of videos) grid.append(tile(v, () => ctx.playVideo(v, 'profile')));
  if (!grid.children.length) {
    grid.append(h('p', { class: 'empty' }, { videos: 'No videos yet.', liked: 'No liked videos yet.',
      favorites: 'No favorites yet.' }[kind]));
  }
  if (next) grid.append(h('button', { class: 'more', onclick: () => loadTiles(ctx, grid, id, kind, isUser, next) }, 'More'));
}

function editProfile(ctx, body, user) {
  const err = h('p', { class: 'error', role: 'alert' });
  const file = h('input', { type: 'file', name: 'avatar', accept: 'image/png,image/jpeg,image/webp' });
  const form = h('form', { class: 'form edit-profile' },
    h('label', {}, 'Name', h('input', { name: 'name', value: user.name || user.id, minlength: 1, maxlength: 50, required: true })),
    h('label', {}, 'Bio', h('textarea', { name: 'bio', maxlength: 160, rows: 3 }, user.bio || '')),
    h('label', {}, 'Photo', file),
    user.avatar ? h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'remove_avatar' }), 'Remove photo') : null,
    err,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: () => openProfile(ctx, user.id) }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const patch = { name: String(f.get('name')).trim(), bio: String(f.get('bio')).trim() };
    const picked = file.files && file.files[0];
    if (picked) {
      if (picked.size > AVATAR_MAX_BYTES) {
        err.textContent = 'avatar: at most 256 KB';
        return;
      }
      patch.avatar = await new Promise((res, rej) => {
        const r = new FileReader();
        r.onload = () => res(r.result);
        r.onerror = () => rej(r.error);
        r.readAsDataURL(picked);
      });
    } else if (f.get('remove_avatar')) {
      patch.avatar = null;
    }
    try {
      await ctx.social.editProfile(patch);
      ctx.toast('Profile saved');
      openProfile(ctx, user.id);
    } catch (e) {
      err.textContent = e.message;
    }
  });
  body.replaceChildren(h('h3', {}, 'Edit profile'), form);
  form.querySelector('input').focus();
}

// Your account, inside your profile: sign out, your data, deleting the account.
function accountSection(ctx) {
  const err = h('p', { class: 'error', role: 'alert' });
  const confirm = h('form', { class: 'confirm', hidden: true, role: 'alertdialog', 'aria-label': 'Delete account' },
    h('h3', {}, 'Delete your account?'),
    h('p', {}, 'Your account, your profile and what the feed learned about you are deleted; you are signed out everywhere.'),
    h('label', {}, 'Password', h('input', { type: 'password', name: 'password', required: true, autocomplete: 'current-password' })),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => { confirm.hidden = true; } }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', id: 'delete-confirm' }, 'Delete account')));
  confirm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await ctx.social.deleteMe(new FormData(confirm).get('password'));
      ctx.signedOut('Your account is deleted.');
    } catch (e) {
      err.textContent = e.message;
    }
  });
  return h('section', { class: 'account' }, h('h3', {}, 'Account'),
    h('div', { class: 'menu' },
      h('button', { id: 'profile-signout', onclick: () => ctx.signOut() }, 'Sign out'),
      h('button', { id: 'export', onclick: async () => {
        try {
          const { blob, filename } = await ctx.social.exportMine();
          const a = h('a', { href: URL.createObjectURL(blob), download: filename });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        } catch (e) {
          err.textContent = 'Download my data: ' + e.message;
        }
      } }, 'Download my data'),
      h('button', { id: 'delete-account', onclick: () => { confirm.hidden = false; confirm.querySelector('input').focus(); } },
        'Delete account')),
    confirm, err);
}

// Followers or following of `id`, each row opening that profile.
export async function openUserList(ctx, id, kind) {
  const list = h('ul', { class: 'user-list', 'aria-label': kind });
  const body = h('div', { class: 'users' }, list);
  ctx.openPanel(`@${id} · ${kind === 'followers' ? 'Followers' : 'Following'}`, body, { cls: 'full' });
  const more = async (cursor = '') => {
    try {
      const page = await ctx.social.userList(id, kind, cursor);
      list.querySelector('.more')?.remove();
      for (const u of page.users || []) {
        list.append(h('li', {}, h('button', { class: 'user-row', 'data-user': u.id, onclick: () => openProfile(ctx, u.id) },
          avatar(u), h('span', {}, h('b', {}, u.name || u.id), h('small', {}, '@' + u.id)))));
      }
      if (!list.children.length) list.append(h('li', { class: 'empty' }, kind === 'followers' ? 'No followers yet.' : 'Not following anyone yet.'));
      if (page.next_cursor) list.append(h('li', { class: 'more' }, h('button', { onclick: () => more(page.next_cursor) }, 'More')));
    } catch (e) {
      body.append(h('p', { class: 'error' }, e.message));
    }
  };
  more();
}
