// The player's settings panel (docs/design/web.md, "New videos and refresh"). Refreshing the For
// You feed is a deliberate reset, so it lives here, behind a confirmation that says what it does;
// the everyday "show me new videos" is the New videos button, R, or pulling down on the first
// video, and resets nothing.
import { h } from './dom.js';

// The body of the settings panel. `refresh` (async) resets the feed on the server and rejects
// on failure (the panel then shows the error and stays); `done(refreshed)` closes the panel;
// `openProfile` opens the user's profile (where sign-out and the account are).
export function settingsBody({ refresh, done, openProfile }) {
  const body = h('div', { class: 'settings' });
  const showMain = () => body.replaceChildren(
    h('section', {},
      h('h3', {}, 'For You feed'),
      h('p', { class: 'hint' }, 'Not enjoying what you see? Start your For You feed over, as if you had just signed up.'),
      h('button', { id: 'refresh-feed', onclick: showConfirm }, 'Refresh your For You feed')),
    h('section', {},
      h('h3', {}, 'Account'),
      h('p', { class: 'hint' }, 'Sign out, download your data or delete your account in your profile.'),
      h('button', { id: 'settings-profile', onclick: () => openProfile() }, 'Your profile')));
  const showConfirm = () => {
    const error = h('p', { class: 'error', role: 'alert' });
    const confirm = h('button', {
      class: 'primary', onclick: async () => {
        confirm.disabled = true;
        try {
          await refresh();
        } catch (e) {
          error.textContent = 'Refresh failed: ' + e.message;
          confirm.disabled = false;
          return;
        }
        done(true);
      },
    }, 'Refresh');
    body.replaceChildren(h('div', {
      class: 'confirm', role: 'alertdialog', 'aria-modal': 'true',
      'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text',
    },
    h('h3', { id: 'confirm-title' }, 'Refresh your For You feed?'),
    h('div', { id: 'confirm-text' },
      h('p', {}, 'Your For You feed will start over as if you had just signed up: what it learned ' +
        'from what you watched, liked and marked "not interested" will no longer shape it, and it ' +
        'begins again from the interests you picked.'),
      h('p', {}, 'Your likes, favorites, follows, hidden creators and sounds, and filters stay. ' +
        'Videos you have already seen are not shown again. This cannot be undone.')),
    error,
    h('div', { class: 'row' },
      h('button', { onclick: () => done(false) }, 'Cancel'),
      confirm)));
    confirm.focus();
  };
  showMain();
  return body;
}
