// EventQueue: every swipe and tap becomes an event of docs/formats/events.md, sent to
// POST /v1/events in batches. Nothing acknowledged by the user's action is dropped:
//  * events wait in localStorage until the server answers for them, so a reload, a crash or a
//    lost connection sends them at the next start;
//  * a failed send (network, 429, 5xx) is retried with exponential backoff (0.5 s .. 30 s);
//  * when the page is hidden or closed, what is pending goes out with a keepalive fetch (the
//    key in its header) or, signed in with the session cookie, navigator.sendBeacon, and is
//    dropped from storage only if the browser accepted it.
// A 400 for a batch means its events are invalid (e.g. a video removed meanwhile); retrying
// cannot help, so they are dropped and counted in `rejected`.

const STORE = 'foryou.pending_events';
const MAX_BATCH = 200;
const MAX_PENDING = 5000;  // beyond this the oldest are dropped (a client offline for hours)

export class EventQueue {
  // `key` '' = signed in with the session cookie (same origin: fetch and beacons send it).
  constructor(key, { flushMs = 1000, onChange = () => {} } = {}) {
    this.key = key;
    this.flushMs = flushMs;
    this.onChange = onChange;
    this.pending = load();
    this.sent = 0;
    this.rejected = 0;
    this.failures = 0;
    this.inFlight = null;
    this.inFlightCount = 0;
    this.timer = null;
    this.backoffMs = 0;
    addEventListener('pagehide', () => this.beacon());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.beacon();
    });
    if (this.pending.length) this.schedule(0);
  }

  // Adds one event (type and fields as in docs/formats/events.md; time_ms is set here).
  push(event) {
    this.pending.push({ time_ms: Date.now(), ...event });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    save(this.pending);
    this.onChange(this);
    this.schedule(this.pending.length >= MAX_BATCH ? 0 : this.flushMs);
  }

  schedule(ms) {
    if (this.timer !== null || this.inFlight) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, Math.max(ms, this.backoffMs));
  }

  // Sends up to MAX_BATCH pending events; resolves when the server has answered (or failed).
  async flush() {
    if (this.inFlight) return this.inFlight;
    if (!this.pending.length) return;
    const batch = this.pending.slice(0, MAX_BATCH);
    this.inFlightCount = batch.length;
    this.inFlight = (async () => {
      let done = false;
      try {
        const res = await fetch('/v1/events', {
          method: 'POST',
          headers: this.key ? { 'X-Api-Key': this.key, 'Content-Type': 'application/json' }
            : { 'Content-Type': 'application/json' },  // signed in: the session cookie
          body: JSON.stringify({ events: batch }),
          keepalive: true,
        });
        if (res.ok || res.status === 400) {
          const body = await res.json().catch(() => ({}));
          const rejected = Array.isArray(body.rejected) ? body.rejected.length : 0;
          this.rejected += rejected;
          this.sent += batch.length - rejected;
          done = true;
        }
      } catch {
        // network error: retried below
      }
      if (done) {
        // Only the events of this batch leave; any pushed meanwhile stay.
        this.pending.splice(0, batch.length);
        save(this.pending);
        this.backoffMs = 0;
      } else {
        this.failures++;
        this.backoffMs = Math.min(30000, Math.max(500, this.backoffMs * 2));
      }
      this.inFlight = null;
      this.inFlightCount = 0;
      this.onChange(this);
      if (this.pending.length) this.schedule(done ? 0 : this.backoffMs);
    })();
    return this.inFlight;
  }

  // Sends everything pending now (waits for an in-flight batch first).
  async drain() {
    for (let i = 0; i < 100 && this.pending.length; i++) {
      if (this.inFlight) await this.inFlight;
      else await this.flush();
      if (this.backoffMs) break;
    }
  }

  // Hands `blob` to the browser for delivery after the page is gone; true if it took it. A key
  // travels only in a header (never in the URL, where logs would keep it), so a keyed client
  // uses fetch with keepalive; a signed-in one sends a beacon, which carries the session cookie.
  send(blob) {
    if (!this.key) return !!navigator.sendBeacon && navigator.sendBeacon('/v1/events', blob);
    try {
      fetch('/v1/events', { method: 'POST', keepalive: true, body: blob,
        headers: { 'X-Api-Key': this.key, 'Content-Type': 'application/json' } }).catch(() => {});
      return true;
    } catch {
      return false;  // over the browser's keepalive budget: sent at the next start
    }
  }

  // The page is going away: hand what is pending to the browser.
  beacon() {
    // A batch in flight was sent with keepalive and completes on its own; the rest goes now.
    const from = this.inFlightCount;
    if (this.pending.length <= from) return;
    const batch = this.pending.slice(from, from + MAX_BATCH);
    const blob = new Blob([JSON.stringify({ events: batch })], { type: 'application/json' });
    if (this.send(blob)) {
      this.pending.splice(from, batch.length);
      save(this.pending);
      this.sent += batch.length;
    }
  }
}

function load() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function save(pending) {
  try {
    localStorage.setItem(STORE, JSON.stringify(pending));
  } catch {
    // storage full or disabled: the events still go out from memory
  }
}
