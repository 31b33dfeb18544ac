// The player's first screens (docs/design/web.md, "The player"): with accounts, sign-up (handle,
// password, the interests that lead the first page) and sign-in with a password; with an app
// key, sign-up of a catalog user and sign-in as any existing one.
import { h } from './dom.js';

const LANGUAGES = ['en', 'zh', 'es', 'pt', 'hi', 'id', 'ja', 'ko', 'fr', 'de', 'ar', 'ru'];
const COUNTRIES = ['US', 'CN', 'BR', 'IN', 'ID', 'JP', 'KR', 'MX', 'FR', 'DE', 'GB', 'NG'];
const DEVICES = ['android', 'ios', 'web'];

// Without a key on a server without accounts: how to open the player.
export function renderNoKey(app) {
  app.replaceChildren(h('main', { class: 'auth' },
    h('h1', {}, 'foryou'),
    h('p', {}, 'Open the player with the link `foryou serve` printed (it carries the app key: ',
      h('code', {}, '/#key=...'), ').')));
}

// The interest chips of sign-up, loaded from the server's hashtags; errors go to `err`.
function interestPicker(api, err) {
  const interests = h('div', { class: 'chips', role: 'group', 'aria-label': 'Interests' });
  api.hashtags(40).then((r) => {
    for (const t of r.hashtags || []) {
      const chip = h('button', {
        type: 'button', class: 'chip', 'aria-pressed': 'false', 'data-tag': t.id,
        onclick: () => chip.setAttribute('aria-pressed', chip.getAttribute('aria-pressed') === 'true' ? 'false' : 'true'),
      }, '#' + (t.name || t.id));
      interests.append(chip);
    }
  }, (e) => { err.textContent = 'Cannot load interests: ' + e.message; });
  return interests;
}

const select = (name, label, options) => h('label', {}, label,
  h('select', { name }, options.map((o) => h('option', { value: o }, o))));
const picked = (interests) => [...interests.querySelectorAll('[aria-pressed=true]')].map((c) => c.dataset.tag);

function show(app, err, signUp, signIn) {
  app.replaceChildren(h('main', { class: 'auth' }, h('h1', {}, 'foryou'),
    h('p', { class: 'tagline' }, 'A For You feed that learns from every swipe.'), err,
    h('div', { class: 'forms' }, signUp, signIn)));
  signUp.querySelector('input').focus();
}

// Accounts: sign-up and sign-in with a handle and a password in `app`, over `api` (the server
// sets the session cookie); `message` is shown as an error. `signedIn(handle)` runs once signed in.
export function renderAccountAuth(app, api, message, signedIn) {
  const err = h('p', { class: 'error', role: 'alert' }, message);
  const interests = interestPicker(api, err);
  const signUp = h('form', { class: 'card', 'aria-labelledby': 'signup-title' },
    h('h2', { id: 'signup-title' }, 'Sign up'),
    h('label', {}, 'Handle', h('input', {
      name: 'handle', required: true, pattern: '[a-z][a-z0-9_.]{2,31}', autocomplete: 'username',
      title: '3 to 32 of a-z, 0-9, _ and ., starting with a letter',
    })),
    h('label', {}, 'Password', h('input', {
      name: 'password', type: 'password', required: true, minlength: 8, maxlength: 128,
      autocomplete: 'new-password',
    })),
    h('div', { class: 'row' }, select('language', 'Language', LANGUAGES), select('country', 'Country', COUNTRIES),
      select('device', 'Device', DEVICES)),
    h('p', { class: 'hint' }, 'Pick a few interests (your first feed starts from them):'),
    interests,
    h('button', { type: 'submit', class: 'primary' }, 'Start watching'));
  signUp.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(signUp);
    const body = { handle: f.get('handle').trim(), password: f.get('password'), language: f.get('language'),
      country: f.get('country'), device: f.get('device'), interests: picked(interests) };
    try {
      const r = await api.accountSignUp(body);
      signedIn(r.user);
    } catch (e) {
      err.textContent = e.status === 409 ? `The handle '${body.handle}' is taken; sign in or pick another.` : e.message;
    }
  });

  const signIn = h('form', { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, 'Sign in'),
    h('label', {}, 'Handle', h('input', { name: 'handle', required: true, autocomplete: 'username' })),
    h('label', {}, 'Password', h('input', {
      name: 'password', type: 'password', required: true, autocomplete: 'current-password',
    })),
    h('button', { type: 'submit' }, 'Sign in'));
  signIn.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(signIn);
    try {
      const r = await api.accountSignIn(f.get('handle').trim(), f.get('password'));
      signedIn(r.user);
    } catch (e) {
      err.textContent = e.status === 429 ? 'Too many attempts; try again later.' : e.message;
    }
  });
  show(app, err, signUp, signIn);
}

// With an app key: sign-up of a catalog user and sign-in as any existing one, in `app`, over
// `api`; `message` is shown as an error. `signedIn(id)` runs once the user exists.
export function renderAuth(app, api, message, signedIn) {
  const err = h('p', { class: 'error', role: 'alert' }, message);
  const interests = interestPicker(api, err);
  const signUp = h('form', { class: 'card', 'aria-labelledby': 'signup-title' },
    h('h2', { id: 'signup-title' }, 'Sign up'),
    h('label', {}, 'User name', h('input', {
      name: 'id', required: true, pattern: '[!-~]{1,64}', value: 'web-' + Math.random().toString(36).slice(2, 8),
      autocomplete: 'username',
    })),
    h('div', { class: 'row' }, select('language', 'Language', LANGUAGES), select('country', 'Country', COUNTRIES),
      select('device', 'Device', DEVICES)),
    h('p', { class: 'hint' }, 'Pick a few interests (your first feed starts from them):'),
    interests,
    h('button', { type: 'submit', class: 'primary' }, 'Start watching'));
  signUp.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(signUp);
    const body = { id: f.get('id').trim(), language: f.get('language'), country: f.get('country'),
      device: f.get('device'), interests: picked(interests) };
    try {
      await api.signUp(body);
      signedIn(body.id);
    } catch (e) {
      err.textContent = e.status === 409 ? `The name '${body.id}' is taken; sign in or pick another.` : e.message;
    }
  });

  const signIn = h('form', { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, 'Sign in'),
    h('label', {}, 'User name or id', h('input', { name: 'id', required: true, autocomplete: 'username' })),
    h('p', { class: 'hint' }, 'Any user of the catalog, e.g. a KuaiRand user id such as 42.'),
    h('button', { type: 'submit' }, 'Sign in'));
  signIn.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = new FormData(signIn).get('id').trim();
    try {
      await api.user(id);
      signedIn(id);
    } catch (e) {
      err.textContent = e.status === 404 ? `No user '${id}'.` : e.message;
    }
  });
  show(app, err, signUp, signIn);
}
