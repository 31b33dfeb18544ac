// The player's gestures and keys (docs/design/web.md, "The player"): swipe with a pointer or
// touch, the wheel, a long press, a tap, and one key per action.
const LONG_PRESS_MS = 600;

// Binds the gestures on `stage` and the keys on the document. `on` holds the actions: next,
// prev, pullDown (a downward swipe; the player pulls new videos on the first video), longPress,
// tap, escape, blocked() (true while a panel is open: keys other than Escape do nothing) and
// keys (key -> action; a letter matches either case).
export function bindGestures(stage, on) {
  stage.tabIndex = 0;
  let startY = null, pressTimer = null, longPressed = false;
  stage.addEventListener('pointerdown', (e) => {
    startY = e.clientY;
    longPressed = false;
    pressTimer = setTimeout(() => { longPressed = true; on.longPress(); }, LONG_PRESS_MS);
  });
  const cancelPress = () => { clearTimeout(pressTimer); pressTimer = null; };
  stage.addEventListener('pointermove', (e) => {
    if (startY !== null && Math.abs(e.clientY - startY) > 10) cancelPress();
  });
  stage.addEventListener('pointerup', (e) => {
    cancelPress();
    if (startY === null) return;
    const dy = e.clientY - startY;
    startY = null;
    if (longPressed) return;
    if (dy < -50) on.next();
    else if (dy > 50) on.pullDown();
    else on.tap();
  });
  stage.addEventListener('pointercancel', () => { cancelPress(); startY = null; });
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
    const f = on.keys[e.key] || on.keys[e.key.toLowerCase()];
    if (!f) return;
    e.preventDefault();
    f();
  };
}
