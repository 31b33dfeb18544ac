// The social routes of `foryou serve` (docs/api.md, "Social") over an Api (api.js): comments,
// profiles, follow lists, the Following feed and the inbox.
const enc = encodeURIComponent;
const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const t = s.toString();
  return t ? '?' + t : '';
};

export class SocialApi {
  // `viewer()`: the signed-in user ('' when signed out). With an app key, reads name the viewer
  // (`?user=`) so that `liked` and `followed` are theirs; a session says it by itself.
  constructor(api, viewer = () => '') {
    this.api = api;
    this.viewer = viewer;
  }
  as() {
    return this.api.key && this.viewer() ? this.viewer() : undefined;
  }

  video(id) {
    return this.api.get(`/v1/videos/${enc(id)}`);
  }
  // Top-level comments (pinned first, then newest), or with `parent` the replies of one, oldest first.
  comments(video, { cursor, parent, count } = {}) {
    return this.api.get(`/v1/videos/${enc(video)}/comments` + q({ cursor, parent, count, user: this.as() }));
  }
  postComment(video, user, text, parent) {
    return this.api.post(`/v1/videos/${enc(video)}/comments`, parent ? { user, text, parent } : { user, text });
  }
  likeComment(id, user, on) {
    return this.api.call(on ? 'POST' : 'DELETE', `/v1/comments/${enc(id)}/like`, { user });
  }
  pinComment(id, user, on) {
    return this.api.call(on ? 'POST' : 'DELETE', `/v1/comments/${enc(id)}/pin`, { user });
  }
  deleteComment(id, user) {
    return this.api.call('DELETE', `/v1/comments/${enc(id)}`, { user });
  }
  reportComment(id, user, reason) {
    return this.api.post(`/v1/comments/${enc(id)}/report`, { user, reason });
  }

  profile(id) {
    return this.api.get(`/v1/users/${enc(id)}` + q({ user: this.as() }));
  }
  // body: any of name, bio, avatar (a data: URL, or null to remove it).
  editProfile(body) {
    return this.api.call('PATCH', '/v1/me/profile', body);
  }
  // kind: 'videos' | 'liked' | 'favorites'
  userVideos(id, kind, cursor) {
    return this.api.get(`/v1/users/${enc(id)}/${kind}` + q({ cursor, count: 30 }));
  }
  // kind: 'followers' | 'following'
  userList(id, kind, cursor) {
    return this.api.get(`/v1/users/${enc(id)}/${kind}` + q({ cursor, count: 50 }));
  }
  creator(id) {
    return this.api.get(`/v1/creators/${enc(id)}?limit=60`);
  }

  followingFeed(user, count) {
    return this.api.get(`/v1/feed/following` + q({ user, count }));
  }
  inbox(user, cursor) {
    return this.api.get('/v1/inbox' + q({ user, cursor }));
  }
  inboxRead(user) {
    return this.api.post('/v1/inbox/read', { user });
  }

  // The signed-in user's data as a file download (Content-Disposition from the server).
  async exportMine() {
    const res = await fetch('/v1/me/export', { headers: this.api.key ? { 'X-Api-Key': this.api.key } : {} });
    if (!res.ok) {
      let msg = res.statusText;
      try { msg = (await res.json()).error.message; } catch { /* the status text */ }
      throw new Error(msg);
    }
    const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
    return { blob: await res.blob(), filename: name ? name[1] : 'foryou-export.json' };
  }
  deleteMe(password) {
    return this.api.call('DELETE', '/v1/me', { password });
  }
}

// Initials for an avatar without an image: "Ada Lovelace" -> "AL", "cats_maker_0" -> "CA".
export function initials(name) {
  const words = String(name || '?').split(/[\s_.-]+/).filter(Boolean);
  const s = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || '?').slice(0, 2);
  return s.toUpperCase();
}

// "3m", "5h", "2d" ago; a date past a week.
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'now';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  if (s < 7 * 86400) return Math.floor(s / 86400) + 'd';
  return new Date(ms).toISOString().slice(0, 10);
}
