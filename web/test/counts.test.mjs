// The TikTok-style count format of web/src/counts.js (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount } from '../src/counts.js';

test('formatCount: plain below a thousand, K / M / B with one decimal, never rounded up', () => {
  const cases = [[0, '0'], [7, '7'], [999, '999'], [1000, '1K'], [1234, '1.2K'], [1299, '1.2K'], [15300, '15.3K'],
    [99999, '99.9K'], [100000, '100K'], [999999, '999K'], [1000000, '1M'], [3456789, '3.4M'],
    [120000000, '120M'], [2500000000, '2.5B'], [-1, '0'], [NaN, '0'], [undefined, '0']];
  for (const [n, want] of cases) assert.equal(formatCount(n), want, `formatCount(${n})`);
});
