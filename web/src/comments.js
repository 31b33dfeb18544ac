// The comments sheet of a video (docs/design/web_social.md): slides up over the video; the list
// is paged by cursor (more load as the end scrolls into view), pinned first with a label, replies
// under their comment ("View N replies"); reply, like, pin (the video's creator), delete (the
// author or the creator) and report; a posted comment shows at once, a refused one shows the
// server's message.
import { h } from './dom.js';
import { formatCount } from './counts.js';
import { ago, initials } from './social_api.js';

const REASONS = ['spam', 'harassment', 'hate', 'misleading', 'other'];
const MAX_BYTES = 2000;

// ctx: { social (SocialApi), user() ('' when signed out), requireUser() (false, and the sign-in
// form opens, when signed out), openPanel(title, body, opts), toast(text), openProfile(id),
// commentsChanged(item, delta) }.
export function openComments(ctx, item) {
  const list = h('ul', { class: 'comment-list', 'aria-label': 'Comments' });
  const sentinel = h('div', { class: 'comment-more', 'aria-hidden': 'true' });
  const err = h('p', { class: 'error', role: 'alert' });
  const text = h('textarea', { name: 'text', rows: 2, required: true, 'aria-label': 'Your comment', placeholder: 'Add comment…' });
  const replying = h('p', { class: 'replying', hidden: true });
  const form = h('form', { class: 'comment-form' }, replying, text, h('button', { type: 'submit', class: 'primary' }, 'Post'), err);
  const title = h('span', { class: 'comment-total' }, formatCount((item.counts && item.counts.comments) || 0) + ' comments');
  const body = h('div', { class: 'comments' }, list, sentinel, form);
  let cursor = '';
  let done = false;
  let loading = null;
  let replyTo = null;  // { id, user, box } while replying

  const isCreator = () => ctx.user() && ctx.user() === item.creator;
  const setTitle = () => {
    title.textContent = formatCount((item.counts && item.counts.comments) || 0) + ' comments';
  };
  const changed = (delta) => {
    ctx.commentsChanged(item, delta);
    setTitle();
  };

  function row(c, box) {
    const li = h('li', { class: 'comment' + (c.pinned ? ' pinned' : ''), 'data-id': c.id, 'data-user': c.user || '' });
    const replies = h('ul', { class: 'replies' });  // kept when the row is drawn again
    li.replies = replies;
    const fill = () => {
      const like = h('button', {
        class: 'comment-like', 'aria-pressed': String(!!c.liked), 'aria-label': `Like comment (${c.likes || 0})`,
        onclick: () => toggleLike(c, fill),
      }, h('span', { 'aria-hidden': 'true' }, '♥'), h('small', {}, formatCount(c.likes || 0)));
      const mine = ctx.user() && c.user === ctx.user();
      const actions = h('div', { class: 'comment-actions' },
        h('span', { class: 'when' }, c.time_ms ? ago(c.time_ms) : ''),
        c.deleted ? null : h('button', { class: 'link reply', onclick: () => startReply(c, box || li) }, 'Reply'),
        !c.deleted && !c.parent && isCreator() ? h('button', { class: 'link pin', onclick: () => togglePin(c, li) },
          c.pinned ? 'Unpin' : 'Pin') : null,
        !c.deleted && (mine || isCreator()) ? h('button', { class: 'link delete', onclick: () => remove(c, li, fill) }, 'Delete') : null,
        !c.deleted && !mine ? h('button', { class: 'link report', onclick: () => report(c, actions) }, 'Report') : null);
      const n = c.replies || 0;
      const view = !c.parent && n > 0 && !c.repliesShown ? h('button', {
        class: 'link view-replies', onclick: () => loadReplies(c, replies, view),
      }, `View ${n} ${n === 1 ? 'reply' : 'replies'}`) : null;
      li.replaceChildren(
        h('button', { class: 'avatar small', 'aria-label': '@' + c.user, onclick: () => ctx.openProfile(c.user) }, initials(c.user)),
        h('div', { class: 'comment-main' },
          h('div', { class: 'comment-head' },
            h('button', { class: 'link who', onclick: () => ctx.openProfile(c.user) }, '@' + c.user),
            c.user === item.creator ? h('span', { class: 'badge' }, 'Creator') : null,
            c.pinned ? h('span', { class: 'badge pinned-label' }, 'Pinned') : null),
          h('p', { class: 'comment-text' + (c.deleted ? ' deleted' : '') }, c.deleted ? 'Comment deleted' : c.text),
          actions, view, replies),
        c.deleted ? null : like);
      li.className = 'comment' + (c.pinned ? ' pinned' : '');
    };
    fill();
    return li;
  }

  async function load() {
    if (loading || done) return loading;
    loading = (async () => {
      try {
        const page = await ctx.social.comments(item.video, { cursor });
        // A deleted comment keeps its place only to hold its replies.
        for (const c of page.comments || []) if (!c.deleted || c.replies > 0) list.append(row(c));
        cursor = page.next_cursor || '';
        done = !page.next_cursor;
        if (!list.children.length) list.append(h('li', { class: 'empty comment-empty' }, 'No comments yet. Be the first.'));
      } catch (e) {
        err.textContent = 'Cannot load the comments: ' + e.message;
        done = true;
      } finally {
        loading = null;
      }
    })();
    await loading;
    // The end still in view (a short page): the next page at once.
    if (!done && sentinelVisible()) load();
    return undefined;
  }
  const sentinelVisible = () => {
    const sheet = sentinel.closest('.sheet');
    if (!sheet) return false;
    return sentinel.getBoundingClientRect().top <= sheet.getBoundingClientRect().bottom + 40;
  };

  async function loadReplies(c, box, view, all = []) {
    view.disabled = true;
    try {
      let next = '';
      do {
        const page = await ctx.social.comments(item.video, { parent: c.id, cursor: next });
        all.push(...(page.comments || []));
        next = page.next_cursor || '';
      } while (next);
      box.replaceChildren(...all.map((r) => row(r, box)));
      c.repliesShown = true;
      view.remove();
    } catch (e) {
      view.disabled = false;
      ctx.toast('Cannot load the replies: ' + e.message);
    }
  }

  function startReply(c, box) {
    if (!ctx.requireUser()) return;
    // A reply to a reply goes under the same top-level comment.
    const parentLi = c.parent ? box.closest('li.comment') : box;
    replyTo = { id: c.parent || c.id, user: c.user, li: parentLi };
    replying.hidden = false;
    replying.replaceChildren('Replying to @' + c.user + ' ',
      h('button', { type: 'button', class: 'link', onclick: cancelReply }, 'Cancel'));
    text.focus();
  }
  function cancelReply() {
    replyTo = null;
    replying.hidden = true;
  }

  async function toggleLike(c, fill) {
    if (!ctx.requireUser()) return;
    const on = !c.liked;
    c.liked = on;
    c.likes = Math.max(0, (c.likes || 0) + (on ? 1 : -1));
    fill();
    try {
      const r = await ctx.social.likeComment(c.id, ctx.user(), on);
      c.likes = r.likes;
      c.liked = r.liked;
    } catch (e) {
      c.liked = !on;
      c.likes = Math.max(0, c.likes + (on ? -1 : 1));
      ctx.toast('Could not like the comment: ' + e.message);
    }
    fill();
  }

  async function togglePin(c, li) {
    const on = !c.pinned;
    try {
      await ctx.social.pinComment(c.id, ctx.user(), on);
    } catch (e) {
      return ctx.toast('Could not pin: ' + e.message);
    }
    // One pinned comment per video: the list is read again, pinned first.
    ctx.toast(on ? 'Comment pinned' : 'Comment unpinned');
    void li;
    list.replaceChildren();
    cursor = '';
    done = false;
    return load();
  }

  async function remove(c, li, fill) {
    try {
      await ctx.social.deleteComment(c.id, ctx.user());
    } catch (e) {
      return ctx.toast('Could not delete: ' + e.message);
    }
    changed(-1);
    if (c.replies > 0) {
      Object.assign(c, { deleted: true, text: '' });
      fill();
    } else {
      li.remove();
    }
    return ctx.toast('Comment deleted');
  }

  function report(c, actions) {
    if (!ctx.requireUser()) return;
    const reason = h('select', { 'aria-label': 'Report reason' }, REASONS.map((r) => h('option', { value: r }, r)));
    const send = h('button', { class: 'link', onclick: async () => {
      try {
        await ctx.social.reportComment(c.id, ctx.user(), reason.value);
        box.replaceWith(h('span', { class: 'hint' }, 'Reported. Thank you.'));
      } catch (e) {
        ctx.toast('Could not report: ' + e.message);
      }
    } }, 'Send report');
    const box = h('span', { class: 'comment-report' }, reason, send);
    actions.append(box);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!ctx.requireUser()) return;
    const t = text.value.trim();
    if (!t) return;
    if (new TextEncoder().encode(t).length > MAX_BYTES) {
      err.textContent = `text: at most ${MAX_BYTES} bytes`;
      return;
    }
    const target = replyTo;
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const c = await ctx.social.postComment(item.video, ctx.user(), t, target ? target.id : undefined);
      text.value = '';
      changed(1);
      if (target && target.li && target.li.replies) {
        target.li.replies.append(row(c, target.li.replies));
      } else {
        const empty = list.querySelector('.comment-empty');
        if (empty) empty.remove();
        const firstUnpinned = [...list.children].find((li) => !li.classList.contains('pinned'));
        list.insertBefore(row(c), firstUnpinned || null);
      }
      cancelReply();
    } catch (e) {
      err.textContent = e.message;  // e.g. a banned term: the server says which problem
    } finally {
      submit.disabled = false;
    }
  });

  ctx.openPanel(title, body, { cls: 'comments-sheet' });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }).observe(sentinel);
  load();
}
