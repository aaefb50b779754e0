import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/core/alert.ts';
import { mergeAlerts, mergeBase } from '../../src/core/merge-alerts.ts';

const T = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;

function alert(fields: Partial<Alert> & Pick<Alert, 'startsAt' | 'endsAt' | 'updatedAt'>): Alert {
  return {
    fingerprint: '4a8efb9cabb53268',
    labels: { alertname: 'HighLatency' },
    annotations: {},
    generatorURL: '',
    timeout: false,
    ...fields,
  };
}

interface Case {
  readonly name: string;
  readonly old: Alert | undefined;
  readonly incoming: Alert;
  readonly now: number;
  /** 'incoming' when it replaces old unchanged; otherwise the expected merge. */
  readonly expected: 'incoming' | Alert;
}

const cases: Case[] = [
  {
    name: 'no stored alert: the incoming one is kept',
    old: undefined,
    incoming: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T }),
    now: T,
    expected: 'incoming',
  },
  {
    name: 'Prometheus re-post (same startsAt, later endsAt) does not overlap and replaces',
    old: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T, annotations: { v: 'old' } }),
    incoming: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T + MIN, annotations: { v: 'new' } }),
    now: T + MIN,
    expected: 'incoming',
  },
  {
    name: 're-fire after resolution does not overlap: a fresh alert with its own startsAt',
    old: alert({ startsAt: T, endsAt: T + 2 * MIN, updatedAt: T + 2 * MIN }),
    incoming: alert({ startsAt: T + 10 * MIN, endsAt: T + 14 * MIN, updatedAt: T + 10 * MIN }),
    now: T + 10 * MIN,
    expected: 'incoming',
  },
  {
    name: 'an interval wholly before the stored one does not overlap',
    old: alert({ startsAt: T + 10 * MIN, endsAt: T + 20 * MIN, updatedAt: T + 10 * MIN }),
    incoming: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T + 11 * MIN }),
    now: T + 11 * MIN,
    expected: 'incoming',
  },
  {
    name: 'endsAt equal to the stored startsAt is not an overlap (strict)',
    old: alert({ startsAt: T + 5 * MIN, endsAt: T + 10 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T + MIN }),
    now: T + MIN,
    expected: 'incoming',
  },
  {
    name: 'startsAt equal to the stored endsAt is not an overlap (strict)',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T + 5 * MIN, endsAt: T + 9 * MIN, updatedAt: T + MIN }),
    now: T + MIN,
    expected: 'incoming',
  },
  {
    name: 'identical interval is not an overlap (neither end strictly inside)',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T, generatorURL: 'old' }),
    incoming: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T + MIN, generatorURL: 'new' }),
    now: T + MIN,
    expected: 'incoming',
  },
  {
    name: 'resolve from Prometheus (endsAt inside the stored interval, in the past) wins',
    old: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T, endsAt: T + MIN, updatedAt: T + 2 * MIN }),
    now: T + 2 * MIN,
    expected: alert({ startsAt: T, endsAt: T + MIN, updatedAt: T + 2 * MIN }),
  },
  {
    name: 'a resolve 1 ms in the future is still firing, so the later sent endsAt is kept (0.25 observation)',
    old: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T, endsAt: T + 2 * MIN + 1, updatedAt: T + 2 * MIN }),
    now: T + 2 * MIN,
    expected: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T + 2 * MIN }),
  },
  {
    name: 'client without startsAt keeps the original startsAt',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T, timeout: true }),
    incoming: alert({ startsAt: T + MIN, endsAt: T + 6 * MIN, updatedAt: T + MIN, timeout: true }),
    now: T + MIN,
    expected: alert({ startsAt: T, endsAt: T + 6 * MIN, updatedAt: T + MIN, timeout: true }),
  },
  {
    name: 'server-invented endsAt does not override a later real one',
    old: alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T + MIN, endsAt: T + 6 * MIN, updatedAt: T + MIN, timeout: true }),
    now: T + MIN,
    // Everything but endsAt comes from the younger alert, its timeout flag included.
    expected: alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T + MIN, timeout: true }),
  },
  {
    name: 'a later invented endsAt does not override an earlier real one',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T, timeout: true }),
    incoming: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T + MIN }),
    now: T + MIN,
    expected: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T + MIN }),
  },
  {
    name: 'younger firing, older endsAt earlier: the younger endsAt',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T + MIN, endsAt: T + 8 * MIN, updatedAt: T + MIN }),
    now: T + MIN,
    expected: alert({ startsAt: T, endsAt: T + 8 * MIN, updatedAt: T + MIN }),
  },
  {
    name: 'both resolved: the later resolve time wins',
    old: alert({ startsAt: T, endsAt: T + 3 * MIN, updatedAt: T + 3 * MIN }),
    incoming: alert({ startsAt: T - MIN, endsAt: T + 2 * MIN, updatedAt: T + 4 * MIN }),
    now: T + 4 * MIN,
    expected: alert({ startsAt: T - MIN, endsAt: T + 3 * MIN, updatedAt: T + 4 * MIN }),
  },
  {
    name: 'both resolved, younger resolve time later: the younger one',
    old: alert({ startsAt: T, endsAt: T + 3 * MIN, updatedAt: T + 3 * MIN }),
    incoming: alert({ startsAt: T + MIN, endsAt: T + 4 * MIN, updatedAt: T + 5 * MIN }),
    now: T + 5 * MIN,
    expected: alert({ startsAt: T, endsAt: T + 4 * MIN, updatedAt: T + 5 * MIN }),
  },
  {
    name: 'younger resolved, older firing with a later endsAt: still resolved',
    old: alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T + MIN, endsAt: T + 2 * MIN, updatedAt: T + 3 * MIN }),
    now: T + 3 * MIN,
    expected: alert({ startsAt: T, endsAt: T + 2 * MIN, updatedAt: T + 3 * MIN }),
  },
  {
    name: 'the stored alert is younger (updatedAt later): it stays the base of the merge',
    old: alert({ startsAt: T + MIN, endsAt: T + 10 * MIN, updatedAt: T + 5 * MIN, annotations: { v: 'stored' } }),
    incoming: alert({ startsAt: T, endsAt: T + 6 * MIN, updatedAt: T + 4 * MIN, annotations: { v: 'late' } }),
    now: T + 5 * MIN,
    expected: alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T + 5 * MIN, annotations: { v: 'stored' } }),
  },
  {
    name: 'stored younger and firing, incoming older with a later real endsAt: that endsAt wins',
    old: alert({ startsAt: T + MIN, endsAt: T + 6 * MIN, updatedAt: T + 5 * MIN, timeout: true }),
    incoming: alert({ startsAt: T + 2 * MIN, endsAt: T + 9 * MIN, updatedAt: T + 4 * MIN }),
    now: T + 5 * MIN,
    expected: alert({ startsAt: T + MIN, endsAt: T + 9 * MIN, updatedAt: T + 5 * MIN, timeout: true }),
  },
  {
    name: 'equal updatedAt (duplicates in one batch): the incoming one is the younger',
    old: alert({ startsAt: T, endsAt: T + 5 * MIN, updatedAt: T, annotations: { v: 'first' }, timeout: true }),
    incoming: alert({ startsAt: T + 1, endsAt: T + 5 * MIN + 1, updatedAt: T, annotations: { v: 'second' }, timeout: true }),
    now: T,
    expected: alert({ startsAt: T, endsAt: T + 5 * MIN + 1, updatedAt: T, annotations: { v: 'second' }, timeout: true }),
  },
  {
    name: 'overlap through endsAt only (incoming starts earlier): earlier startsAt kept',
    old: alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T }),
    incoming: alert({ startsAt: T - 5 * MIN, endsAt: T + 5 * MIN, updatedAt: T + MIN, generatorURL: 'http://new' }),
    now: T + MIN,
    expected: alert({ startsAt: T - 5 * MIN, endsAt: T + 10 * MIN, updatedAt: T + MIN, generatorURL: 'http://new' }),
  },
];

describe('mergeAlerts (spec §1.4)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const merged = mergeAlerts(c.old, c.incoming, c.now);
      if (c.expected === 'incoming') assert.equal(merged, c.incoming);
      else assert.deepEqual(merged, c.expected);
    });
  }

  it('does not modify either input', () => {
    const old = Object.freeze(alert({ startsAt: T, endsAt: T + 10 * MIN, updatedAt: T }));
    const incoming = Object.freeze(alert({ startsAt: T + MIN, endsAt: T + 6 * MIN, updatedAt: T + MIN, timeout: true }));
    const merged = mergeAlerts(old, incoming, T + MIN);
    assert.notEqual(merged, old);
    assert.notEqual(merged, incoming);
  });
});

describe('mergeBase (spec §1.5)', () => {
  const gc = 30 * MIN;
  const retired = alert({ startsAt: T - 10 * MIN, endsAt: T, updatedAt: T });
  const stored = alert({ startsAt: T - 5 * MIN, endsAt: T + 10 * MIN, updatedAt: T + MIN });

  it('is the stored alert when the slot holds one, retired or not', () => {
    assert.equal(mergeBase(stored, retired, T + MIN, gc), stored);
    assert.equal(mergeBase(stored, undefined, T + MIN, gc), stored);
  });

  it('is the retired alert until the gc interval after its end, then nothing', () => {
    assert.equal(mergeBase(undefined, retired, T + MIN, gc), retired);
    assert.equal(mergeBase(undefined, retired, T + gc - 1, gc), retired);
    assert.equal(mergeBase(undefined, retired, T + gc, gc), undefined);
    assert.equal(mergeBase(undefined, retired, T + 2 * MIN, MIN), undefined);
  });

  it('is nothing for a retired copy still firing (an alert a reload moved to another group)', () => {
    const moved = alert({ startsAt: T - 10 * MIN, endsAt: T + 5 * MIN, updatedAt: T });
    assert.equal(mergeBase(undefined, moved, T + MIN, gc), undefined);
  });
});
