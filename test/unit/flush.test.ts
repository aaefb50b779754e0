import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFlush, settleFlush, type Integration } from '../../src/core/flush.ts';
import { makeAlert, makeGroup, makeRoute } from '../helpers/core-fixtures.ts';

const route = makeRoute({ groupWait: 1_000, groupInterval: 10_000, repeatInterval: 35_000 });
const both: Integration[] = [
  { key: 'default/webhook/0', sendResolved: true },
  { key: 'default/webhook/1', sendResolved: false },
];

describe('planFlush', () => {
  it('flushes at the latest tick not after now and sorts alerts', () => {
    const a = makeAlert({ alertname: 'A', instance: 'b' });
    const b = makeAlert({ alertname: 'A', instance: 'a' });
    const c = makeAlert({ alertname: 'A', job: 'z' });
    const plan = planFlush(makeGroup([a, b, c]), route, both, 11_005);
    assert.equal(plan.tick, 11_000);
    assert.equal(plan.due, true);
    assert.deepEqual(
      plan.sends.map((s) => [s.integration, s.reason, s.alerts.map((x) => x.labels.job ?? x.labels.instance)]),
      [
        [0, 'first notification', ['z', 'a', 'b']],
        [1, 'first notification', ['z', 'a', 'b']],
      ],
    );
  });

  it('does nothing for a tick already flushed', () => {
    const plan = planFlush(makeGroup([makeAlert({ a: '1' })], { lastTick: 11_000 }), route, both, 20_999);
    assert.equal(plan.due, false);
    assert.deepEqual(plan.sends, []);
    const outcome = settleFlush(makeGroup([], { lastTick: 11_000 }), route, both, plan, []);
    assert.equal(outcome.nextDue, 21_000);
  });

  it('judges resolved-ness at the tick, not at the wall clock', () => {
    const alert = makeAlert({ a: '1' }, { endsAt: 11_003 });
    const plan = planFlush(makeGroup([alert]), route, both, 11_005);
    assert.deepEqual(plan.firing.map((x) => x.fingerprint), [alert.fingerprint]);
  });

  it('sends only firing alerts where send_resolved is false', () => {
    const firing = makeAlert({ a: '1' });
    const resolved = makeAlert({ a: '2' }, { endsAt: 500 });
    const log = {
      'default/webhook/0': { firing: [firing.fingerprint, resolved.fingerprint], resolved: [], tick: 1_000 },
      'default/webhook/1': { firing: [firing.fingerprint, resolved.fingerprint], resolved: [], tick: 1_000 },
    };
    const plan = planFlush(makeGroup([firing, resolved], { lastTick: 1_000, log }), route, both, 11_000);
    assert.deepEqual(plan.sends.map((s) => [s.integration, s.reason, s.alerts.length]), [[0, 'some alerts resolved', 2]]);
  });

  it('all resolved without send_resolved: no request, but logged', () => {
    const resolved = makeAlert({ a: '2' }, { endsAt: 500 });
    const log = { 'default/webhook/1': { firing: [resolved.fingerprint], resolved: [], tick: 1_000 } };
    const group = makeGroup([resolved], { lastTick: 1_000, log });
    const only = [both[1]];
    const plan = planFlush(group, route, only, 11_000);
    assert.deepEqual(plan.sends.map((s) => [s.reason, s.alerts.length]), [['all alerts resolved', 0]]);
    const outcome = settleFlush(group, route, only, plan, [true]);
    assert.deepEqual(outcome.log['default/webhook/1'], { firing: [], resolved: [resolved.fingerprint], tick: 11_000 });
    assert.deepEqual(outcome.removeResolved, [{ fingerprint: resolved.fingerprint, updatedAt: 0 }]);
  });
});

describe('settleFlush', () => {
  const firing = makeAlert({ a: '1' }, { endsAt: 200_000 });
  const resolved = makeAlert({ a: '2' }, { endsAt: 500, updatedAt: 7 });

  it('logs successes, deletes sent resolved alerts, and sleeps until the repeat tick', () => {
    const group = makeGroup([firing, resolved]);
    const plan = planFlush(group, route, both, 1_000);
    const outcome = settleFlush(group, route, both, plan, [true, true]);
    assert.equal(outcome.tick, 1_000);
    assert.deepEqual(Object.keys(outcome.log).sort(), ['default/webhook/0', 'default/webhook/1']);
    assert.deepEqual(outcome.removeResolved, [{ fingerprint: resolved.fingerprint, updatedAt: 7 }]);
    // repeat due at the first tick >= 1_000 + 35_000 → 41_000
    assert.equal(outcome.nextDue, 41_000);
  });

  it('a failure keeps resolved alerts and retries on the next tick; only successes are logged', () => {
    const group = makeGroup([firing, resolved]);
    const plan = planFlush(group, route, both, 1_000);
    const outcome = settleFlush(group, route, both, plan, [true, false]);
    assert.deepEqual(Object.keys(outcome.log), ['default/webhook/0']);
    assert.deepEqual(outcome.removeResolved, []);
    assert.equal(outcome.nextDue, 11_000);
  });

  it('sleeps until the tick that sees the earliest endsAt pass when that comes before the repeat', () => {
    const soon = makeAlert({ a: '3' }, { endsAt: 15_500 });
    const group = makeGroup([firing, soon]);
    const plan = planFlush(group, route, both, 1_000);
    assert.equal(settleFlush(group, route, both, plan, [true, true]).nextDue, 21_000);
  });

  it('wakes nobody for a quiet tick until something can change', () => {
    const log = {
      'default/webhook/0': { firing: [firing.fingerprint], resolved: [], tick: 1_000 },
      'default/webhook/1': { firing: [firing.fingerprint], resolved: [], tick: 1_000 },
    };
    const group = makeGroup([firing], { lastTick: 1_000, log });
    const plan = planFlush(group, route, both, 11_000);
    assert.deepEqual(plan.sends, []);
    assert.equal(settleFlush(group, route, both, plan, []).nextDue, 41_000);
  });
});
