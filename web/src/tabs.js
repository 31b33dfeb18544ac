// The "Following | For You" switch at the top of the player, as on TikTok
// (docs/design/web_social.md). The player owns the feeds; this only draws the switch.
import { h } from './dom.js';

export const TABS = [['following', 'Following'], ['foryou', 'For You']];

// `current` is the selected tab's name; `pick(name)` runs when another one is chosen.
export function feedTabs(current, pick) {
  const nav = h('nav', { class: 'feed-tabs', role: 'tablist', 'aria-label': 'Feeds' });
  for (const [name, label] of TABS) {
    nav.append(h('button', {
      role: 'tab', id: 'tab-' + name, 'aria-selected': String(name === current),
      onclick: () => { if (name !== nav.dataset.current) pick(name); },
    }, label));
  }
  nav.dataset.current = current;
  return nav;
}

export function selectTab(nav, name) {
  nav.dataset.current = name;
  for (const b of nav.children) b.setAttribute('aria-selected', String(b.id === 'tab-' + name));
}

export const FOLLOWING_EMPTY = 'Follow creators to see their videos here';
