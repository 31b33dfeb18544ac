// The HTTP API of `foryou serve` (docs/api.md) as seen from the browser: same origin, either a
// signed-in account (the HttpOnly session cookie, which this code never sees) or the API key
// from the URL fragment (#key=...) remembered in localStorage.

const KEY_STORE = 'foryou.key';

// Reads `#key=...` from the URL (and removes it from the address bar, so it is not shared by
// copying the URL), else the key remembered from an earlier visit. '' when there is none.
export function takeKey(storeName = KEY_STORE) {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get('key');
  if (fromUrl) {
    localStorage.setItem(storeName, fromUrl);
    params.delete('key');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    return fromUrl;
  }
  return localStorage.getItem(storeName) || '';
}

// An error the API answered with: `status` is the HTTP code, `code` / `message` from the body.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  // `key` '' = no key: requests carry the session cookie, if any.
  constructor(key) {
    this.key = key;
  }

  // JSON request; resolves to the parsed body, rejects with ApiError (HTTP error) or TypeError
  // (network).
  async call(method, path, body) {
    const init = { method, headers: this.key ? { 'X-Api-Key': this.key } : {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = (json && json.error) || {};
      throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.statusText);
    }
    return json;
  }

  get(path) {
    return this.call('GET', path);
  }
  // A public read (docs/api.md) sent without the key or the session cookie: it takes nothing of
  // the session's rate limit.
  async publicGet(path) {
    const res = await fetch(path, { credentials: 'omit' });
    const json = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (json && json.error) || {};
      throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.statusText);
    }
    return json;
  }
  post(path, body) {
    return this.call('POST', path, body);
  }

  feed(user, count) {
    return this.get(`/v1/feed?user=${encodeURIComponent(user)}&count=${count}`);
  }
  // The logged-out For You feed (no key, no session): popular videos in `lang`; `cursor` from
  // the previous page's next_cursor ('' = the first page).
  publicFeed(lang, cursor, count) {
    return this.get(`/v1/feed?count=${count}` + (lang ? `&lang=${encodeURIComponent(lang)}` : '') +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
  }
  // With `requestId`, the video as served on that page.
  explain(user, video, requestId = '') {
    return this.get(`/v1/feed/explain?user=${encodeURIComponent(user)}&video=${encodeURIComponent(video)}` +
      (requestId ? `&request_id=${encodeURIComponent(requestId)}` : ''));
  }
  user(id) {
    return this.get(`/v1/users/${encodeURIComponent(id)}`);
  }
  signUp(user) {
    return this.post('/v1/users', user);
  }
  // Accounts (the session cookie is set and cleared by the server).
  me() {
    return this.get('/v1/auth/me');
  }
  accountSignUp(body) {
    return this.post('/v1/auth/signup', body);
  }
  accountSignIn(handle, password) {
    return this.post('/v1/auth/signin', { handle, password });
  }
  signOut() {
    return this.post('/v1/auth/signout');
  }
  refresh(id) {
    return this.post(`/v1/users/${encodeURIComponent(id)}/refresh`);
  }
  hashtags(limit = 40) {
    return this.get(`/v1/hashtags?limit=${limit}`);
  }
  // kind: 'creators' | 'sounds' | 'hashtags' | 'challenges'
  page(kind, id) {
    return this.get(`/v1/${kind}/${encodeURIComponent(id)}?limit=60`);
  }
}
