// Two sheets of the video on screen (docs/design/web.md, "Actions"): More (duet, stitch, hide the
// creator, hide the sound, report with a reason) and Why this video (GET /v1/feed/explain, in
// words). Duet and stitch are offered only when the video allows them (`allow_duet`,
// `allow_stitch`; a feed item without them is read with GET /v1/videos/ID first).
import { h } from './dom.js';

// The report reason codes the server accepts (docs/api.md, the `report` event).
const REPORT_REASONS = ['spam', 'nudity', 'violence', 'hate', 'harassment', 'misinformation', 'self_harm', 'other'];

// The More sheet's body for feed item `item`. `on`: hideCreator(), hideSound(), report(reason),
// remix(kind, video) (kind 'duet' | 'stitch'; video: the original as GET /v1/videos/ID gives
// it), video(id) -> Promise of that video.
export function moreBody(item, on) {
  const reasons = h('select', { name: 'reason', 'aria-label': 'Report reason' },
    REPORT_REASONS.map((r) => h('option', { value: r }, r)));
  const remixes = h('div', { class: 'row remix' });
  const body = h('div', { class: 'menu' }, remixes,
    h('button', { id: 'hide-creator', onclick: on.hideCreator }, `Hide @${item.creator}`),
    h('button', { id: 'hide-sound', disabled: !item.sound, onclick: on.hideSound },
      item.sound ? `Hide sound ${item.sound}` : 'No sound to hide'),
    h('div', { class: 'report' }, reasons, h('button', { id: 'report', onclick: () => on.report(reasons.value) }, 'Report video')));
  on.video(item.video).then((v) => {
    if (v.allow_duet) remixes.append(h('button', { id: 'duet', onclick: () => on.remix('duet', v) }, 'Duet'));
    if (v.allow_stitch) remixes.append(h('button', { id: 'stitch', onclick: () => on.remix('stitch', v) }, 'Stitch'));
    body.dataset.remixes = 'shown';
  }, () => { body.dataset.remixes = 'none'; });
  return body;
}

// Fills `body` with why `item` is in `user`'s feed.
export async function renderWhy(api, user, item, body) {
  try {
    // A feed item is explained as it was served on its page; a video opened from a page or a
    // link, as it would be scored now.
    const served = item.surface === 'foryou' ? item.request_id : '';
    const x = await api.explain(user, item.video, served);
    // The first sentence says why, the last whether it could be shown again; the parts between
    // are the table.
    const said = x.explanation || [];
    body.replaceChildren(
      h('ul', {}, said.slice(0, 1).map((s) => h('li', {}, s))),
      h('p', { class: 'hint' }, 'Found by: ' + (x.sources || []).map((s) => s.replaceAll('_', ' ')).join(', ')),
      h('table', {}, h('caption', {}, `Score ${x.score.toFixed(2)}, part by part`),
        h('tbody', {}, (x.parts || []).map((p) =>
          h('tr', {}, h('td', {}, p.label), h('td', { class: 'num' }, (p.value >= 0 ? '+' : '') + p.value.toFixed(3)))))),
      h('p', {}, said.length > 1 ? said[said.length - 1] : ''));
  } catch (e) {
    body.replaceChildren(h('p', { class: 'error' }, e.message));
  }
}
