// The video surface of the player (docs/design/web.md, "The player"): the progress bar that
// seeks on a click or a drag, the pause icon shown while the viewer has paused, the heart of a
// double tap, and the cover image that stands in for a clip (tiles, the poster of a <video>).
import { h } from './dom.js';

// The cover image of a clip: /media/NAME.jpg beside /media/NAME.webm (first frame). '' when the
// video has no media.
export function coverUrl(mediaUrl) {
  if (!mediaUrl) return '';
  const dot = mediaUrl.lastIndexOf('.');
  return (dot > mediaUrl.lastIndexOf('/') ? mediaUrl.slice(0, dot) : mediaUrl) + '.jpg';
}

// An <img> of the cover of `mediaUrl` (or `cover`, a processed upload's `cover_url`) that removes
// itself when the image cannot be loaded (the gradient behind it shows instead); null when there
// is no media.
export function coverImage(mediaUrl, alt = '', cover = '') {
  const src = cover || coverUrl(mediaUrl);
  if (!src) return null;
  const img = h('img', { class: 'cover', src, alt, decoding: 'async' });
  img.addEventListener('error', () => img.remove());
  return img;
}

// The progress bar of `media`: its fill follows playback; a click or a drag on it seeks (the
// pointer is captured, so the stage's swipe never sees it). `onSeek(seconds)` runs after each
// seek. The bar stops updating once it leaves the document.
export function progressBar(media, onSeek) {
  const fill = h('div', { class: 'progress-fill' });
  const knob = h('div', { class: 'progress-knob' });
  const bar = h('div', {
    class: 'progress', role: 'slider', 'aria-label': 'Seek', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': '0', 'aria-valuetext': '0:00',
  }, h('div', { class: 'progress-track' }, fill, knob));
  const show = (frac) => {
    const pct = Math.max(0, Math.min(1, frac)) * 100;
    fill.style.width = pct + '%';
    knob.style.left = pct + '%';
    bar.setAttribute('aria-valuenow', String(Math.round(pct)));
    bar.setAttribute('aria-valuetext', clock(media.currentTime || 0));
  };
  let dragging = false;
  const seek = (e) => {
    const r = bar.getBoundingClientRect();
    const frac = Math.max(0, Math.min(1, (e.clientX - r.left) / Math.max(1, r.width)));
    show(frac);
    const d = media.duration;
    if (!Number.isFinite(d) || d <= 0) return;
    media.currentTime = Math.min(frac * d, Math.max(0, d - 0.05));
    onSeek(media.currentTime);
  };
  bar.addEventListener('pointerdown', (e) => {
    e.stopPropagation();
    e.preventDefault();
    dragging = true;
    bar.classList.add('seeking');
    try { bar.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
    seek(e);
  });
  bar.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    e.stopPropagation();
    seek(e);
  });
  const end = (e) => {
    e.stopPropagation();
    if (!dragging) return;
    dragging = false;
    bar.classList.remove('seeking');
  };
  bar.addEventListener('pointerup', end);
  bar.addEventListener('pointercancel', end);
  const tick = () => {
    if (!bar.isConnected) return;
    if (!dragging && media.duration) show(media.currentTime / media.duration);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(() => requestAnimationFrame(tick));  // once the slide is on screen
  return bar;
}

// The icon shown over a video the viewer paused (CSS shows it on `.slide.paused`).
export function pauseIcon() {
  return h('div', { class: 'pause-icon', 'aria-hidden': 'true' }, '▶');
}

// A heart that pops at client point (x, y) inside `container` and removes itself.
export function heartAt(container, x, y) {
  const r = container.getBoundingClientRect();
  const el = h('div', { class: 'heart', 'aria-hidden': 'true' }, '♥');
  if (x !== undefined) {
    el.style.left = (x - r.left) + 'px';
    el.style.top = (y - r.top) + 'px';
    el.classList.add('at');
  }
  container.append(el);
  setTimeout(() => el.remove(), 800);
  return el;
}

function clock(s) {
  const m = Math.floor(s / 60);
  const r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, '0')}`;
}
