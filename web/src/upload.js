// A resumable upload of one file (docs/api.md, "Uploads"): opened with its size and type, sent in
// chunks of the size the server names (`chunk_bytes`) with Content-Range. A chunk that fails on
// the way (network error, 5xx other than 507) is retried after a wait, from the offset the server
// says it has (`GET /v1/uploads/ID`), so bytes it already wrote are never sent again; after
// RETRIES failures in a row the upload stops with an UploadStalled error and `send()` again
// resumes where the server is. The server's own refusals (400, 403, 404, 409, 413, 507) reject
// with its ApiError, message as it was sent.
import { ApiError } from './api.js';

export const RETRIES = 3;           // failed chunks in a row before the upload stops
export const BACKOFF_MS = [500, 1000, 2000];

export class UploadStalled extends Error {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function errorOf(res) {
  const body = await res.json().catch(() => null);
  const err = (body && body.error) || {};
  const e = new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.statusText);
  if (body && Number.isFinite(body.received)) e.received = body.received;
  return e;
}

// A network error or a server error worth retrying (not 507: a full disk is said as it is), or
// a 409 without an offset (a chunk of this upload still being written, e.g. the one whose answer
// was lost).
const transient = (e) => !(e instanceof ApiError) || (e.status >= 500 && e.status !== 507) || e.status === 409;

export class Upload {
  // `file`: a File or Blob; `onProgress(received, size)` after every chunk the server took.
  constructor(file, { onProgress = () => {}, wait = sleep } = {}) {
    this.file = file;
    this.onProgress = onProgress;
    this.wait = wait;
    this.id = '';
    this.received = 0;
    this.chunkBytes = 0;
    this.retries = 0;  // chunks retried so far (all attempts)
  }

  get size() {
    return this.file.size;
  }
  get done() {
    return !!this.id && this.received >= this.size;
  }

  async request(method, path, init = {}) {
    const res = await fetch(path, { method, credentials: 'same-origin', ...init });
    if (!res.ok) throw await errorOf(res);
    return res.json();
  }

  // Opens the upload (once), then sends what the server does not have yet.
  async send() {
    if (!this.id) {
      const up = await this.request('POST', '/v1/uploads', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ size: this.size, type: this.file.type || 'video/mp4' }),
      });
      this.id = up.id;
      this.chunkBytes = up.chunk_bytes;
      this.received = up.received;
    } else {
      await this.sync();
    }
    this.onProgress(this.received, this.size);
    let failures = 0;
    while (this.received < this.size) {
      const first = this.received;
      const last = Math.min(first + this.chunkBytes, this.size) - 1;
      try {
        const r = await this.request('PUT', `/v1/uploads/${encodeURIComponent(this.id)}`, {
          headers: { 'Content-Range': `bytes ${first}-${last}/${this.size}`, 'Content-Type': 'application/octet-stream' },
          body: this.file.slice(first, last + 1),
        });
        this.received = r.received;
        failures = 0;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409 && Number.isFinite(e.received)) {
          this.received = e.received;  // the server has a different offset: continue from it
        } else if (!transient(e)) {
          throw e;
        } else {
          this.retries++;
          if (++failures > RETRIES) {
            throw new UploadStalled(`The upload stopped at ${percent(this.received, this.size)} (${e.message}).`);
          }
          await this.wait(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length) - 1]);
          // The chunk may have arrived even though its answer did not: ask where to go on from.
          await this.sync().catch(() => {});
        }
      }
      this.onProgress(this.received, this.size);
    }
  }

  // The server's offset (`received`) of this upload.
  async sync() {
    const up = await this.request('GET', `/v1/uploads/${encodeURIComponent(this.id)}`);
    this.received = up.received;
    this.chunkBytes = up.chunk_bytes || this.chunkBytes;
  }

  // Posts the uploaded video with `post` (caption, hashtags, sound, effect, ...): 202 {video, job}.
  complete(post) {
    return this.request('POST', `/v1/uploads/${encodeURIComponent(this.id)}/complete`, {
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(post),
    });
  }
}

export function percent(n, of) {
  return of ? Math.floor((100 * n) / of) + '%' : '0%';
}
