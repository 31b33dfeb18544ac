// The inbox (docs/design/web_social.md): a top-bar button with the unread count as a badge; the
// screen lists likes and comments on your videos, replies to your comments and new followers,
// newest first, and opening it marks everything read.
import { h } from './dom.js';
import { ago } from './social_api.js';
import { avatar } from './profile.js';

const POLL_MS = 30000;

const SAYS = {
  like: (it) => ['liked your video', it.video],
  comment: (it) => ['commented: ' + (it.text || ''), it.video],
  reply: (it) => ['replied to your comment: ' + (it.text || ''), it.video],
  follow: () => ['started following you', ''],
};

// The inbox button; ctx: { social, user(), openPanel, openProfile(id), openVideo(id) }. Polls the
// unread count while the button is on the page.
export function inboxButton(ctx) {
  const badge = h('span', { class: 'badge unread', hidden: true, 'aria-hidden': 'true' });
  const button = h('button', { id: 'inbox', title: 'Inbox', 'aria-label': 'Inbox', onclick: () => openInbox(ctx, button) },
    'Inbox', badge);
  button.refresh = async () => {
    if (!ctx.user()) return;
    try {
      const r = await ctx.social.inbox(ctx.user());
      setUnread(button, r.unread || 0);
    } catch {
      // the count waits for the next poll
    }
  };
  const timer = setInterval(() => {
    if (!button.isConnected) clearInterval(timer);
    else button.refresh();
  }, POLL_MS);
  button.refresh();
  return button;
}

function setUnread(button, n) {
  const badge = button.querySelector('.unread');
  badge.hidden = n <= 0;
  badge.textContent = n > 99 ? '99+' : String(n);
  button.setAttribute('aria-label', n > 0 ? `Inbox, ${n} unread` : 'Inbox');
  button.dataset.unread = String(n);
}

async function openInbox(ctx, button) {
  const list = h('ul', { class: 'inbox-list', 'aria-label': 'Activity' });
  const body = h('div', { class: 'inbox' }, list);
  ctx.openPanel('Inbox', body, { cls: 'full' });
  const more = async (cursor = '') => {
    try {
      const page = await ctx.social.inbox(ctx.user(), cursor);
      list.querySelector('.more')?.remove();
      for (const it of page.items || []) {
        const [what, video] = (SAYS[it.type] || (() => [it.type, it.video || '']))(it);
        list.append(h('li', { class: 'inbox-item', 'data-type': it.type },
          h('button', { class: 'avatar-button', 'aria-label': '@' + it.actor, onclick: () => ctx.openProfile(it.actor) },
            avatar({ id: it.actor })),
          h('p', {}, h('button', { class: 'link who', onclick: () => ctx.openProfile(it.actor) }, '@' + it.actor), ' ', what,
            h('small', { class: 'when' }, ' · ' + ago(it.time_ms))),
          video ? h('button', { class: 'link open-video', onclick: () => ctx.openVideo(video) }, 'View') : null));
      }
      if (!list.children.length) list.append(h('li', { class: 'empty' }, 'No activity yet.'));
      if (page.next_cursor) list.append(h('li', { class: 'more' }, h('button', { onclick: () => more(page.next_cursor) }, 'More')));
      if (!cursor && (page.unread || 0) > 0) {
        await ctx.social.inboxRead(ctx.user());
      }
      if (!cursor) setUnread(button, 0);
    } catch (e) {
      body.append(h('p', { class: 'error' }, e.message));
    }
  };
  await more();
}
