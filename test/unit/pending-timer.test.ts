import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFlush, settleFlush, type Integration } from '../../src/core/flush.ts';
import type { GroupState } from '../../src/core/group.ts';
import { pendingTimer } from '../../src/core/pending-timer.ts';
import { makeAlert, makeGroup, makeRoute } from '../helpers/core-fixtures.ts';

const route = makeRoute({ groupWait: 1_000, groupInterval: 10_000, repeatInterval: 35_000 });
const integrations: Integration[] = [{ key: 'default/webhook/0', sendResolved: true }];
const firing = makeAlert({ alertname: 'A', instance: '1' });

/** What a successful flush at `now` leaves: the group as stored afterwards and its due time. */
function flushed(group: GroupState, now: number): { group: GroupState; due: number } {
  const plan = planFlush(group, route, integrations, now);
  const outcome = settleFlush(group, route, integrations, plan, plan.sends.map(() => true));
  return { group: { ...group, lastTick: outcome.tick, log: { ...group.log, ...outcome.log } }, due: outcome.nextDue };
}

describe('pendingTimer', () => {
  it('is group_wait until the first flush', () => {
    const group = makeGroup([firing], { origin: 1_000, lastTick: 0 });
    assert.deepEqual(pendingTimer(group, 1_000, route), { type: 'group_wait', dueAt: 1_000, duration: 1_000 });
  });

  it('is group_interval after a flush that notified nothing', () => {
    const group = makeGroup([firing], { origin: 1_000, lastTick: 1_000 });
    assert.deepEqual(pendingTimer(group, 11_000, route), { type: 'group_interval', dueAt: 11_000, duration: 10_000 });
  });

  it('is repeat_interval when the flush after a notification is the repeat', () => {
    const after = flushed(makeGroup([firing], { origin: 1_000 }), 1_000);
    assert.equal(after.due, 41_000, 'the first tick at or after 1 s + 35 s');
    assert.deepEqual(pendingTimer(after.group, after.due, route), {
      type: 'repeat_interval',
      dueAt: 41_000,
      duration: 35_000,
    });
  });

  it('is group_interval when a change wakes the group before the repeat is due', () => {
    const after = flushed(makeGroup([firing], { origin: 1_000 }), 1_000);
    assert.equal(pendingTimer(after.group, 11_000, route).type, 'group_interval');
    assert.equal(pendingTimer(after.group, 31_000, route).type, 'group_interval');
  });

  it('is group_interval when the last notification held only resolved alerts', () => {
    const resolved = makeAlert({ alertname: 'A', instance: '1' }, { endsAt: 5_000 });
    const log = { 'default/webhook/0': { firing: [], resolved: [resolved.fingerprint], tick: 11_000 } };
    const group = makeGroup([resolved], { origin: 1_000, lastTick: 11_000, log });
    assert.equal(pendingTimer(group, 101_000, route).type, 'group_interval');
  });

  it('counts any integration whose firing set is up for repeating', () => {
    const log = {
      'default/webhook/0': { firing: [firing.fingerprint], resolved: [], tick: 31_000 },
      'default/webhook/1': { firing: [firing.fingerprint], resolved: [], tick: 1_000 },
    };
    const group = makeGroup([firing], { origin: 1_000, lastTick: 31_000, log });
    assert.equal(pendingTimer(group, 41_000, route).type, 'repeat_interval');
  });
});
