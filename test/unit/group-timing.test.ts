import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  newIncarnation,
  tickAfter,
  tickAtOrAfter,
  tickAtOrBefore,
  wakeForChange,
} from '../../src/core/group-timing.ts';
import { makeAlert, makeRoute } from '../helpers/core-fixtures.ts';

const route = makeRoute({ groupWait: 30_000, groupInterval: 300_000 });

describe('newIncarnation', () => {
  it('first flush after group_wait for a fresh alert', () => {
    const alert = makeAlert({ a: '1' }, { startsAt: 100_000 });
    assert.deepEqual(newIncarnation(route, alert, 100_000), { createdAt: 100_000, origin: 130_000 });
  });
  it('flushes at once when the first alert is older than group_wait', () => {
    const alert = makeAlert({ a: '1' }, { startsAt: 69_999 });
    assert.equal(newIncarnation(route, alert, 100_000).origin, 100_000);
  });
  it('is strict: exactly group_wait old still waits', () => {
    const alert = makeAlert({ a: '1' }, { startsAt: 70_000 });
    assert.equal(newIncarnation(route, alert, 100_000).origin, 130_000);
  });
});

describe('ticks', () => {
  it('are exact multiples of the interval from the origin', () => {
    assert.equal(tickAtOrBefore(1_000, 10, 999), undefined);
    assert.equal(tickAtOrBefore(1_000, 10, 1_000), 1_000);
    assert.equal(tickAtOrBefore(1_000, 10, 1_029), 1_020);
    assert.equal(tickAtOrAfter(1_000, 10, 1_020), 1_020);
    assert.equal(tickAtOrAfter(1_000, 10, 1_021), 1_030);
    assert.equal(tickAtOrAfter(1_000, 10, 5), 1_000);
    assert.equal(tickAfter(1_000, 10, 1_020), 1_030);
    assert.equal(tickAfter(1_000, 10, 999), 1_000);
  });
});

describe('wakeForChange', () => {
  const group = { createdAt: 0, origin: 30_000 };
  const firing = makeAlert({ a: '1' }, { startsAt: 0, endsAt: 900_000 });

  it('wakes nobody before the first flush', () => {
    assert.equal(wakeForChange(undefined, firing, 10_000, group, 300_000), undefined);
  });
  it('wakes the next tick for a new alert', () => {
    assert.equal(wakeForChange(undefined, firing, 40_000, group, 300_000), 330_000);
  });
  it('wakes the next tick, not the current one, for an alert posted exactly on a tick', () => {
    assert.equal(wakeForChange(undefined, firing, 330_000, group, 300_000), 630_000);
  });
  it('wakes the next tick when an alert resolves', () => {
    const resolved = { ...firing, endsAt: 39_000 };
    assert.equal(wakeForChange(firing, resolved, 40_000, group, 300_000), 330_000);
  });
  it('does not wake for a re-post that only moves endsAt later', () => {
    const later = { ...firing, endsAt: 960_000 };
    assert.equal(wakeForChange(firing, later, 40_000, group, 300_000), undefined);
  });
  it('wakes at the tick that sees an earlier endsAt pass', () => {
    const earlier = { ...firing, endsAt: 400_000 };
    assert.equal(wakeForChange(firing, earlier, 40_000, group, 300_000), 630_000);
  });
  it('wakes when a resolved alert fires again', () => {
    const resolved = { ...firing, endsAt: 35_000 };
    assert.equal(wakeForChange(resolved, firing, 40_000, group, 300_000), 330_000);
  });
});
