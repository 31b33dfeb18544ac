// The player's choice of file (web/src/rendition.js; no browser needed): the 360p rendition on a
// small screen or a slow / save-data connection, the 720p otherwise, media_url when there is no
// 360p.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mediaUrlOf } from '../src/rendition.js';

const v = { media_url: '/media/vu-1/720.mp4', media_url_360: '/media/vu-1/360.mp4' };

test('mediaUrlOf: 360p at 640 device pixels or fewer, or on save-data / 2g / 3g; else 720p', () => {
  const cases = [
    [{ width: 320, dpr: 2 }, '360'], [{ width: 640, dpr: 1 }, '360'], [{ width: 641, dpr: 1 }, '720'],
    [{ width: 375, dpr: 3 }, '720'], [{ width: 1200, dpr: 1 }, '720'],
    [{ width: 1200, dpr: 1, connection: { saveData: true, effectiveType: '4g' } }, '360'],
    [{ width: 1200, dpr: 1, connection: { effectiveType: '3g' } }, '360'],
    [{ width: 1200, dpr: 1, connection: { effectiveType: '2g' } }, '360'],
    [{ width: 1200, dpr: 1, connection: { effectiveType: 'slow-2g' } }, '360'],
    [{ width: 1200, dpr: 1, connection: { effectiveType: '4g', saveData: false } }, '720'],
  ];
  for (const [env, want] of cases) {
    assert.equal(mediaUrlOf(v, env), `/media/vu-1/${want}.mp4`, JSON.stringify(env));
  }
});

test('mediaUrlOf: a video without a 360p rendition plays media_url on any screen', () => {
  assert.equal(mediaUrlOf({ media_url: '/media/cats.webm' }, { width: 320, dpr: 1 }), '/media/cats.webm');
  assert.equal(mediaUrlOf({ media_url: '/media/cats.webm', media_url_360: '' }, { width: 320, dpr: 1 }), '/media/cats.webm');
  assert.equal(mediaUrlOf({ media_url: '' }, { width: 1200, dpr: 1 }), '');
});
