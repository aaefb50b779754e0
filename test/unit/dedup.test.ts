import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notifyReason } from '../../src/core/dedup.ts';

const repeat = 100;

describe('notifyReason (Alertmanager needsUpdate)', () => {
  it('first notification needs a firing alert', () => {
    assert.equal(notifyReason(undefined, ['a'], [], true, repeat, 10), 'first notification');
    assert.equal(notifyReason(undefined, [], ['a'], true, repeat, 10), undefined);
  });
  it('a firing alert missing from the last notification notifies', () => {
    const entry = { firing: ['a'], resolved: [], tick: 0 };
    assert.equal(notifyReason(entry, ['a', 'b'], [], true, repeat, 10), 'new alerts added');
    const cleared = { firing: [], resolved: ['a'], tick: 0 };
    assert.equal(notifyReason(cleared, ['b'], [], true, repeat, 10), 'first notification');
  });
  it('all resolved notifies even without send_resolved, once', () => {
    const entry = { firing: ['a'], resolved: [], tick: 0 };
    assert.equal(notifyReason(entry, [], ['a'], false, repeat, 10), 'all alerts resolved');
    const after = { firing: [], resolved: ['a'], tick: 10 };
    assert.equal(notifyReason(after, [], ['a'], false, repeat, 20), undefined);
  });
  it('some resolved notifies only with send_resolved', () => {
    const entry = { firing: ['a', 'b'], resolved: [], tick: 0 };
    assert.equal(notifyReason(entry, ['a'], ['b'], true, repeat, 10), 'some alerts resolved');
    assert.equal(notifyReason(entry, ['a'], ['b'], false, repeat, 10), undefined);
    const logged = { firing: ['a'], resolved: ['b'], tick: 0 };
    assert.equal(notifyReason(logged, ['a'], ['b'], true, repeat, 10), undefined);
  });
  it('an alert that resolved and fired again without a notification in between stays quiet', () => {
    const entry = { firing: ['a', 'b'], resolved: [], tick: 0 };
    assert.equal(notifyReason(entry, ['a', 'b'], [], false, repeat, 10), undefined);
  });
  it('repeats at the first tick at or after the logged tick plus repeat_interval', () => {
    const entry = { firing: ['a'], resolved: [], tick: 1_000 };
    assert.equal(notifyReason(entry, ['a'], [], true, repeat, 1_099), undefined);
    assert.equal(notifyReason(entry, ['a'], [], true, repeat, 1_100), 'repeat interval elapsed');
  });
});
