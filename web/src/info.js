// The text over the video on screen (docs/design/web.md, "The player"): the creator (with the
// display name once known), the caption, the hashtags, the sound (by its title once known) and
// why the video is there. Each name opens its page.
import { h } from './dom.js';
import { lookUpCreator, lookUpSoundTitle } from './pages.js';

// The parts for feed item `item`. `on`: api, openPage(kind, id, title), openProfile(id).
export function infoParts(item, on) {
  return [
    creatorLink(item.creator, on),
    h('p', { class: 'caption' }, item.caption || ''),
    h('p', { class: 'tags' }, (item.hashtags || []).map((t) =>
      h('button', { class: 'link tag', onclick: () => on.openPage('hashtags', t, '#' + t) }, '#' + t))),
    item.sound ? soundLink(item.sound, on) : null,
    h('p', { class: 'reason' }, item.reason || ''),
  ].filter(Boolean);
}

// @id, then the display name beside it once known. It opens the creator's profile when the
// creator is a user, else the catalog's creator page.
function creatorLink(creator, on) {
  const b = h('button', { class: 'link creator', onclick: () => openCreator(creator, on) }, '@' + creator);
  lookUpCreator(on.api, creator).then(({ name }) => { if (name) b.textContent = `@${creator} · ${name}`; }, () => {});
  return b;
}

async function openCreator(creator, on) {
  let isUser = false;
  try {
    isUser = (await lookUpCreator(on.api, creator)).isUser;
  } catch {
    // the creator page says what went wrong
  }
  if (isUser) on.openProfile(creator);
  else on.openPage('creators', creator, '@' + creator);
}

function soundLink(sound, on) {
  const b = h('button', { class: 'link sound', onclick: () => on.openPage('sounds', sound, '♫') }, '♫');
  lookUpSoundTitle(on.api, sound).then((t) => { b.textContent = '♫ ' + t; }, () => { b.textContent = '♫ sound'; });
  return b;
}
