// The player's gestures and keys (docs/design/web.md, "The player"): a drag that moves the video
// with the pointer or finger and then snaps to the next / previous video or back, the wheel, a
// long press, a tap, a double tap, and one key per action.
const LONG_PRESS_MS = 600;
const DOUBLE_TAP_MS = 300;   // a second tap within this time (and DOUBLE_TAP_PX) is a double tap
const DOUBLE_TAP_PX = 40;
const DRAG_PX = 10;          // movement below this is a tap, not a drag
const SWIPE_PX = 60;         // a drag past this (or a quick flick) changes the video
const FLICK_PX_PER_MS = 0.5;

// Binds the gestures on `stage` and the keys on the document. `on` holds the actions: next,
// prev, pullDown (a downward swipe; the player pulls new videos on the first video), drag(dy)
// while the pointer moves (the player moves the video by dy px), settle() when a drag ends
// (before next / pullDown, or alone to snap back), longPress, tap (a single tap, told only once
// no second tap followed), doubleTap(x, y) (client coordinates), escape, blocked() (true while
// a panel is open: keys other than Escape do nothing) and keys (key -> action; a letter
// matches either case).
export function bindGestures(stage, on) {
  stage.tabIndex = 0;
  let start = null, moved = false, pressTimer = null, longPressed = false;
  let lastTap = null, tapTimer = null;
  stage.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    start = { x: e.clientX, y: e.clientY, t: performance.now() };
    moved = false;
    longPressed = false;
    try { stage.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
    pressTimer = setTimeout(() => { longPressed = true; on.longPress(); }, LONG_PRESS_MS);
  });
  const cancelPress = () => { clearTimeout(pressTimer); pressTimer = null; };
  stage.addEventListener('pointermove', (e) => {
    if (start === null || longPressed) return;
    const dy = e.clientY - start.y;
    if (!moved && Math.abs(dy) > DRAG_PX) {
      moved = true;
      cancelPress();
    }
    if (moved) on.drag(dy);
  });
  stage.addEventListener('pointerup', (e) => {
    cancelPress();
    if (start === null) return;
    const dy = e.clientY - start.y;
    const speed = Math.abs(dy) / Math.max(1, performance.now() - start.t);
    const at = start;
    start = null;
    if (longPressed) return;
    if (moved) {
      on.settle();
      const far = Math.abs(dy) > SWIPE_PX || (Math.abs(dy) > 2 * DRAG_PX && speed > FLICK_PX_PER_MS);
      if (far && dy < 0) on.next();
      else if (far) on.pullDown();
      return;
    }
    // A tap: told once the double-tap window has passed without a second one.
    const now = performance.now();
    if (lastTap && now - lastTap.t < DOUBLE_TAP_MS &&
        Math.hypot(e.clientX - lastTap.x, e.clientY - lastTap.y) < DOUBLE_TAP_PX) {
      clearTimeout(tapTimer);
      lastTap = null;
      on.doubleTap(e.clientX, e.clientY);
      return;
    }
    lastTap = { t: now, x: at.x, y: at.y };
    clearTimeout(tapTimer);
    tapTimer = setTimeout(() => { lastTap = null; on.tap(); }, DOUBLE_TAP_MS);
  });
  stage.addEventListener('pointercancel', () => {
    cancelPress();
    if (start !== null && moved) on.settle();
    start = null;
  });
  stage.addEventListener('contextmenu', (e) => e.preventDefault());
  let wheelAcc = 0, wheelLock = 0;
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const now = performance.now();
    if (now < wheelLock) return;
    wheelAcc += e.deltaY;
    if (Math.abs(wheelAcc) > 40) {
      if (wheelAcc > 0) on.next(); else on.prev();
      wheelAcc = 0;
      wheelLock = now + 450;
    }
  }, { passive: false });
  document.onkeydown = (e) => {
    if (e.key === 'Escape') return on.escape();
    if (on.blocked() || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    if (e.key === ' ' && t && t.tagName === 'BUTTON') return;  // Space presses the focused button
    const f = on.keys[e.key] || on.keys[e.key.toLowerCase()];
    if (!f) return;
    e.preventDefault();
    f();
  };
}

// The slide on `stage` follows a drag (dy px) and eases back when the drag ends.
export function dragSlide(stage, dy) {
  const slide = stage.querySelector('.slide');
  if (!slide) return;
  // The finger wins over a slide's entry animation still running (it would hold the transform).
  slide.classList.remove('enter-up', 'enter-down');
  slide.classList.add('dragging');
  slide.style.transform = `translateY(${dy}px)`;
}
export function settleSlide(stage) {
  const slide = stage.querySelector('.slide');
  if (!slide) return;
  slide.classList.remove('dragging');
  slide.style.transform = '';
}
