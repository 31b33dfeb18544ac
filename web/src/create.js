// The create page (docs/design/web.md, "Posting"): a video file, caption, hashtags, a sound (found
// with GET /v1/search?type=sounds, or the clip's own), an effect (GET /v1/effects), a running
// challenge (GET /v1/challenges?active=1), whether others may duet / stitch it, and Post. A duet
// or stitch shows its original above the form. The file goes up as a resumable upload (upload.js)
// with a progress bar; when it stalls, Retry resumes it from where the server is. The server's
// refusals are shown as it words them.
import { h } from './dom.js';
import { Upload, UploadStalled, percent } from './upload.js';

// A sound found by search: its title, else its id (a search result names no creator).
const soundName = (s) => s.title || s.id;

// ctx: { api, openPanel(title, body, opts), toast(text), posted(video) }.
// `remix`: null, or { kind: 'duet' | 'stitch', video } (the original, a video object).
export function openCreate(ctx, remix = null) {
  const title = remix ? (remix.kind === 'duet' ? 'Duet' : 'Stitch') + ' with @' + remix.video.creator : 'Post a video';
  const body = h('div', { class: 'create' });
  ctx.openPanel(title, body, { cls: 'full' });
  body.append(createForm(ctx, remix));
  return body;
}

function createForm(ctx, remix) {
  const { api } = ctx;
  const error = h('p', { class: 'error', role: 'alert', id: 'create-error' });
  const file = h('input', { type: 'file', id: 'create-file', name: 'file', accept: 'video/*', required: true });
  const caption = h('textarea', { id: 'create-caption', name: 'caption', maxlength: 2200, rows: 3, placeholder: 'Describe your video' });
  const tags = h('input', { id: 'create-hashtags', name: 'hashtags', placeholder: '#dance #fyp' });
  const effect = h('select', { id: 'create-effect', name: 'effect' }, h('option', { value: '' }, 'No effect'));
  const challenge = h('select', { id: 'create-challenge', name: 'challenge' }, h('option', { value: '' }, 'No challenge'));
  const allowDuet = h('input', { type: 'checkbox', id: 'create-allow-duet', role: 'switch', checked: true });
  const allowStitch = h('input', { type: 'checkbox', id: 'create-allow-stitch', role: 'switch', checked: true });
  const sound = soundPicker(api);
  const bar = h('progress', { id: 'create-progress', max: 100, value: 0, hidden: true });
  const status = h('p', { class: 'hint', id: 'create-status', 'aria-live': 'polite' });
  const post = h('button', { type: 'submit', class: 'primary', id: 'create-post' }, 'Post');
  const retry = h('button', { type: 'button', id: 'create-retry', hidden: true }, 'Retry');

  api.publicGet('/v1/effects').then((r) => {
    for (const e of r.effects || []) effect.append(h('option', { value: e.name }, e.title));
  }, () => {});
  api.publicGet('/v1/challenges?active=1').then((r) => {
    for (const c of r.challenges || []) challenge.append(h('option', { value: c.name }, `#${c.name} · ${c.title}`));
  }, () => {});

  // One upload per picked file: a Post after a stall or a refused field resumes it.
  let upload = null;
  file.addEventListener('change', () => {
    upload = null;
    bar.hidden = true;
    status.textContent = '';
  });

  const form = h('form', { class: 'form create-form' },
    remix ? original(remix) : null,
    h('label', {}, 'Video', file),
    h('label', {}, 'Caption', caption),
    h('label', {}, 'Hashtags', tags),
    sound.el,
    h('label', {}, 'Effect', effect),
    h('label', {}, 'Challenge', challenge),
    h('label', { class: 'check' }, allowDuet, 'Allow duets'),
    h('label', { class: 'check' }, allowStitch, 'Allow stitches'),
    bar, status, error, h('div', { class: 'row' }, post, retry));

  async function submit() {
    error.textContent = '';
    retry.hidden = true;
    const picked = file.files && file.files[0];
    if (!picked) {
      error.textContent = 'Pick a video file first.';
      return;
    }
    if (!upload || upload.file !== picked) {
      upload = new Upload(picked, {
        onProgress: (n, size) => {
          bar.value = size ? Math.floor((100 * n) / size) : 0;
          status.textContent = `Uploading… ${percent(n, size)}`;
        },
      });
    }
    post.disabled = true;
    bar.hidden = false;
    try {
      if (!upload.done) await upload.send();
      status.textContent = 'Posting…';
      const done = await upload.complete(postFields());
      status.textContent = 'Posted. Processing your video…';
      ctx.toast('Posted: your video is processing');
      ctx.posted(done.video);
    } catch (e) {
      error.textContent = e.message;
      // A stall, a full disk or a server error: Retry resumes the same upload.
      retry.hidden = !(e instanceof UploadStalled || (e.status >= 500));
      status.textContent = upload.done ? '' : `Uploaded ${percent(upload.received, upload.size)}`;
    } finally {
      post.disabled = false;
    }
  }

  function postFields() {
    const fields = {
      caption: caption.value.trim(),
      hashtags: tags.value.split(/[\s,]+/).map((t) => t.replace(/^#/, '')).filter(Boolean),
      sound: sound.value(),
      effect: effect.value,
      challenge: challenge.value,
      allow_duet: allowDuet.checked,
      allow_stitch: allowStitch.checked,
    };
    if (remix) fields[remix.kind === 'duet' ? 'duet_of' : 'stitch_of'] = remix.video.id;
    return fields;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  retry.addEventListener('click', () => submit());
  form.upload = () => upload;  // for the browser tests
  return form;
}

// The original of a duet or stitch: its cover and caption.
function original({ kind, video }) {
  const cover = video.cover_url ? h('img', { class: 'cover', src: video.cover_url, alt: '' }) : null;
  return h('figure', { class: 'remix-original', id: 'create-original', 'data-video': video.id, 'data-kind': kind }, cover,
    h('figcaption', {}, h('b', {}, (kind === 'duet' ? 'Duet with ' : 'Stitch with ') + '@' + video.creator),
      h('span', {}, video.caption || video.id)));
}

// The sound picker: the clip's own sound (default), or a sound found by search.
function soundPicker(api) {
  let picked = null;  // { id, title }
  const chosen = h('p', { class: 'sound-chosen', id: 'create-sound' });
  const results = h('ul', { class: 'sound-results' });
  const box = h('input', { type: 'search', id: 'create-sound-search', placeholder: 'Search sounds', 'aria-label': 'Search sounds' });
  const draw = () => {
    chosen.replaceChildren(picked ? '♫ ' + picked.title : '♫ The clip\'s own sound',
      picked ? ' · ' : null, picked ? h('button', { type: 'button', class: 'link', id: 'create-sound-clear', onclick: () => { picked = null; draw(); } }, 'Use the clip\'s own sound') : null);
    chosen.dataset.sound = picked ? picked.id : '';
  };
  let timer = null;
  let asked = 0;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    const q = box.value.trim();
    if (!q) return results.replaceChildren();
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const r = await api.publicGet(`/v1/search?type=sounds&count=10&q=${encodeURIComponent(q)}`);
        if (mine !== asked) return;  // a later query is on its way
        const found = r.results || [];
        // A sound without an audio file (audio_url null) is a name only: a post cannot use it.
        results.replaceChildren(...(found.length ? found.map((s) => h('li', {}, h('button', {
          type: 'button', class: 'sound-result', 'data-sound': s.id, disabled: s.audio_url === null,
          title: s.audio_url === null ? 'This sound has no audio to use' : null,
          onclick: () => { picked = { id: s.id, title: soundName(s) }; results.replaceChildren(); box.value = ''; draw(); },
        }, '♫ ' + soundName(s), s.videos !== undefined ? h('small', {}, ` · ${s.videos} videos`) : null,
        s.audio_url === null ? h('small', { class: 'no-audio' }, ' · no audio') : null))) : [h('li', { class: 'hint' }, 'No sound found')]));
      } catch (e) {
        if (mine === asked) results.replaceChildren(h('li', { class: 'error' }, e.message));
      }
    }, 150);
  });
  draw();
  return { el: h('fieldset', { class: 'sound-picker' }, h('legend', {}, 'Sound'), chosen, box, results), value: () => (picked ? picked.id : '') };
}
