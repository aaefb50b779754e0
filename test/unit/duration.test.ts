import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DurationError, formatDuration, parseDuration } from '../../src/config/duration.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  const valid: Array<[string, number]> = [
    ['0', 0],
    ['0s', 0],
    ['100ms', 100],
    ['30s', 30 * SECOND],
    ['5m', 5 * MINUTE],
    ['4h', 4 * HOUR],
    ['1h30m', HOUR + 30 * MINUTE],
    ['1d', DAY],
    ['1w', 7 * DAY],
    ['1y', 365 * DAY],
    ['1y2w3d4h5m6s7ms', 365 * DAY + 14 * DAY + 3 * DAY + 4 * HOUR + 5 * MINUTE + 6 * SECOND + 7],
    ['90m', 90 * MINUTE],
    ['01s', SECOND],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  const invalid = ['', '5x', '5', '1.5h', '-1s', '1h 30m', ' 1s', '1s\n', '30m1h', '1m1m', '1s1m', 'h', '1H', '1mss', 's1', '1msm'];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseDuration(text), DurationError));
  }

  it('names the bad text', () => {
    assert.throws(() => parseDuration('5x'), { message: 'not a valid duration "5x"' });
  });

  it('rejects what does not fit in Go time.Duration (about 292 years)', () => {
    assert.equal(parseDuration('292y'), 292 * 365 * DAY);
    assert.throws(() => parseDuration('293y'), { message: 'duration out of range "293y"' });
  });
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [100, '100ms'],
    [30 * SECOND, '30s'],
    [5 * MINUTE, '5m'],
    [HOUR + 30 * MINUTE, '1h30m'],
    [4 * HOUR, '4h'],
    [7 * DAY, '1w'],
    // Weeks and years only when exact, as Prometheus prints them.
    [90 * DAY, '90d'],
    [365 * DAY, '1y'],
    [366 * DAY, '366d'],
    [DAY + 1, '1d1ms'],
  ];
  for (const [ms, text] of cases) {
    it(`prints ${ms} ms as ${text}`, () => assert.equal(formatDuration(ms), text));
  }

  it('rejects negative and fractional milliseconds', () => {
    assert.throws(() => formatDuration(-1), RangeError);
    assert.throws(() => formatDuration(1.5), RangeError);
  });

  it('round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 * 365 * DAY }), (ms) => parseDuration(formatDuration(ms)) === ms),
    );
  });
});
