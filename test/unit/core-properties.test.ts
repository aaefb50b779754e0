import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RouteConfig } from '../../src/config/config.ts';
import type { Alert } from '../../src/core/alert.ts';
import { normalizeAlert, type PostableAlert } from '../../src/core/alert-input.ts';
import { fingerprint } from '../../src/core/fingerprint.ts';
import { tickAfter, tickAtOrAfter, tickAtOrBefore } from '../../src/core/group-timing.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { newMatcher, type MatchType } from '../../src/core/matcher.ts';
import { mergeAlerts } from '../../src/core/merge-alerts.ts';
import { buildRouteTree, matchRoutes } from '../../src/core/route.ts';
import { formatApiTime } from '../../src/core/timestamp.ts';

/*
 * Properties of the pure core against references written from the spec
 * (shared/spec/alertmanager-semantics.md §1.3, §1.4, §2, §3.4). Set FC_SEED to replay a run.
 */
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed });

describe('fingerprint (§2)', () => {
  const utf8 = new TextEncoder();

  /** FNV-1a 64 in BigInt over names sorted by their UTF-8 bytes. */
  function fnvReference(labels: LabelSet): string {
    const names = Object.keys(labels).sort((a, b) => Buffer.compare(utf8.encode(a), utf8.encode(b)));
    let hash = 0xcbf29ce484222325n;
    for (const name of names) {
      for (const byte of [...utf8.encode(name), 0xff, ...utf8.encode(labels[name]), 0xff]) {
        hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) % 2n ** 64n;
      }
    }
    return hash.toString(16).padStart(16, '0');
  }

  const entries = fc.uniqueArray(
    fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 30 })),
    { selector: ([name]) => name, maxLength: 10 },
  );

  it('is the same whatever order the labels were inserted in', () => {
    const orders = entries.chain((list) =>
      fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
    );
    fc.assert(
      fc.property(orders, ([list, shuffled]) => {
        const forward = fingerprint(Object.fromEntries(list));
        assert.equal(fingerprint(Object.fromEntries(shuffled)), forward);
        assert.equal(fingerprint(Object.fromEntries([...list].reverse())), forward);
      }),
      runs(500),
    );
  });

  it('equals an independent BigInt FNV-1a over arbitrary unicode label sets', () => {
    assert.equal(fnvReference({ alertname: 'HighLatency', severity: 'critical' }), '476c2d9d67794906');
    fc.assert(
      fc.property(entries, (list) => {
        const labels = Object.fromEntries(list);
        assert.equal(fingerprint(labels), fnvReference(labels));
      }),
      runs(1000),
    );
  });
});

describe('route matching (§3.4)', () => {
  /** A route tree node as generated: every node gets its own receiver so results can be named. */
  interface TreeNode {
    readonly matchers: readonly MatcherSpec[];
    readonly continue: boolean;
    readonly children: readonly TreeNode[];
  }
  interface MatcherSpec {
    readonly name: string;
    readonly type: MatchType;
    readonly value: string;
  }

  const LABEL_NAMES = ['a', 'b', 'c'];
  const VALUES = ['', 'x', 'y', 'xy', 'yx'];
  // Patterns whose meaning is the same in RE2 and in JavaScript, so a JS RegExp is a fair oracle.
  const PATTERN_PARTS = ['', 'x', 'y', 'xy', 'x.*', '.*', '.+', '[xy]+', 'y?', 'x|yx', '(x|y)x'];

  const matcherSpec: fc.Arbitrary<MatcherSpec> = fc.oneof(
    fc.record({
      name: fc.constantFrom(...LABEL_NAMES),
      type: fc.constantFrom<MatchType>('=', '!='),
      value: fc.constantFrom(...VALUES),
    }),
    fc.record({
      name: fc.constantFrom(...LABEL_NAMES),
      type: fc.constantFrom<MatchType>('=~', '!~'),
      value: fc.array(fc.constantFrom(...PATTERN_PARTS), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('|')),
    }),
  );

  function tree(depth: number): fc.Arbitrary<TreeNode> {
    return fc.record({
      matchers: fc.array(matcherSpec, { maxLength: 2 }),
      continue: fc.boolean(),
      children: depth === 0 ? fc.constant([]) : fc.array(tree(depth - 1), { maxLength: 3 }),
    });
  }
  const rootTree = tree(3).map((root): TreeNode => ({ ...root, matchers: [], continue: false }));
  const labelSet = fc.dictionary(fc.constantFrom(...LABEL_NAMES), fc.constantFrom(...VALUES));

  function toConfig(node: TreeNode, path: string): RouteConfig {
    return {
      receiver: path,
      matchers: node.matchers.map((m) => newMatcher(m.type, m.name, m.value)),
      continue: node.continue,
      routes: node.children.map((child, i) => toConfig(child, `${path}.${i}`)),
    };
  }

  function specMatches(m: MatcherSpec, labels: LabelSet): boolean {
    const value = Object.hasOwn(labels, m.name) ? labels[m.name] : '';
    switch (m.type) {
      case '=':
        return value === m.value;
      case '!=':
        return value !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(value);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(value);
    }
  }

  /** §3.4 read literally: the receivers of the leaf-most matching routes, or undefined. */
  function specMatch(node: TreeNode, path: string, labels: LabelSet): string[] | undefined {
    if (!node.matchers.every((m) => specMatches(m, labels))) return undefined;
    const all: string[] = [];
    for (const [i, child] of node.children.entries()) {
      const found = specMatch(child, `${path}.${i}`, labels);
      if (found === undefined) continue;
      all.push(...found);
      if (!child.continue) break;
    }
    return all.length > 0 ? all : [path];
  }

  it('lands every label set in the routes a literal reading of the spec picks, in order', () => {
    fc.assert(
      fc.property(rootTree, fc.array(labelSet, { minLength: 1, maxLength: 8 }), (root, labelSets) => {
        const built = buildRouteTree(toConfig(root, 'root'));
        for (const labels of labelSets) {
          const got = matchRoutes(built, labels).map((r) => r.receiver);
          assert.deepEqual(got, specMatch(root, 'root', labels), JSON.stringify(labels));
          assert.ok(got.length > 0, 'the root always matches');
        }
      }),
      runs(1000),
    );
  });
});

describe('merging a re-posted alert (§1.4)', () => {
  const LABELS = { alertname: 'HighLatency' };
  const FINGERPRINT = fingerprint(LABELS);
  // A narrow time range makes overlapping intervals, equal instants and resolved alerts common.
  const instant = fc.integer({ min: 0, max: 60 });

  const alert: fc.Arbitrary<Alert> = fc
    .record({
      startsAt: instant,
      length: fc.integer({ min: 0, max: 40 }),
      updatedAt: instant,
      timeout: fc.boolean(),
      summary: fc.constantFrom('one', 'two', 'three'),
      generatorURL: fc.constantFrom('', 'http://prom/a', 'http://prom/b'),
    })
    .map((r) => ({
      fingerprint: FINGERPRINT,
      labels: LABELS,
      annotations: { summary: r.summary },
      startsAt: r.startsAt,
      endsAt: r.startsAt + r.length,
      generatorURL: r.generatorURL,
      updatedAt: r.updatedAt,
      timeout: r.timeout,
    }));

  function overlaps(old: Alert, incoming: Alert): boolean {
    return (
      (incoming.endsAt > old.startsAt && incoming.endsAt < old.endsAt) ||
      (incoming.startsAt > old.startsAt && incoming.startsAt < old.endsAt)
    );
  }

  /** §1.4 transcribed: replace unless the intervals overlap; then take the younger, adjusted. */
  function specMerge(old: Alert, incoming: Alert, now: number): Alert {
    if (!overlaps(old, incoming)) return incoming;
    const younger = incoming.updatedAt >= old.updatedAt ? incoming : old;
    const older = younger === incoming ? old : incoming;
    let endsAt = younger.endsAt;
    if (younger.endsAt <= now) {
      if (older.endsAt <= now && older.endsAt > younger.endsAt) endsAt = older.endsAt;
    } else if (older.endsAt > younger.endsAt && !older.timeout) {
      endsAt = older.endsAt;
    }
    return { ...younger, startsAt: Math.min(old.startsAt, incoming.startsAt), endsAt };
  }

  it('agrees with the rules of §1.4 transcribed', () => {
    fc.assert(
      fc.property(alert, alert, instant, (old, incoming, now) => {
        assert.deepEqual(mergeAlerts(old, incoming, now), specMerge(old, incoming, now));
      }),
      runs(3000),
    );
  });

  it('stores the incoming alert as it is when nothing is stored', () => {
    fc.assert(fc.property(alert, instant, (incoming, now) => mergeAlerts(undefined, incoming, now) === incoming), runs(200));
  });

  it('starts no later than either alert when the intervals overlap, and keeps start <= end', () => {
    fc.assert(
      fc.property(alert, alert, instant, (old, incoming, now) => {
        const merged = mergeAlerts(old, incoming, now);
        assert.ok(merged.startsAt <= merged.endsAt);
        assert.ok([old.endsAt, incoming.endsAt].includes(merged.endsAt));
        if (overlaps(old, incoming)) {
          assert.equal(merged.startsAt, Math.min(old.startsAt, incoming.startsAt));
        }
      }),
      runs(2000),
    );
  });

  it('takes labels, annotations, generatorURL and updatedAt from an incoming alert that is newer', () => {
    fc.assert(
      fc.property(alert, alert, instant, (old, incoming, now) => {
        fc.pre(incoming.updatedAt > old.updatedAt);
        const merged = mergeAlerts(old, incoming, now);
        assert.equal(merged.labels, incoming.labels);
        assert.equal(merged.annotations, incoming.annotations);
        assert.equal(merged.generatorURL, incoming.generatorURL);
        assert.equal(merged.updatedAt, incoming.updatedAt);
        assert.equal(merged.timeout, incoming.timeout);
      }),
      runs(1000),
    );
  });

  it('keeps an alert re-posted unchanged as it was, but for updatedAt', () => {
    fc.assert(
      fc.property(alert, fc.integer({ min: 0, max: 30 }), instant, (stored, later, now) => {
        const again = { ...stored, updatedAt: stored.updatedAt + later };
        assert.deepEqual(mergeAlerts(stored, again, now), again);
        assert.deepEqual(mergeAlerts(stored, stored, now), stored);
      }),
      runs(1000),
    );
  });

  it('lets a resolve from a later post win', () => {
    fc.assert(
      fc.property(alert, alert, instant, (old, incoming, now) => {
        fc.pre(incoming.updatedAt >= old.updatedAt && incoming.endsAt <= now);
        assert.ok(mergeAlerts(old, incoming, now).endsAt <= now);
      }),
      runs(1000),
    );
  });

  it('replaces the alert when Prometheus re-sends it with the same startsAt and a later endsAt', () => {
    fc.assert(
      fc.property(alert, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 30 }), instant, (old, extra, later, now) => {
        const resent = { ...old, endsAt: old.endsAt + extra, updatedAt: old.updatedAt + later, timeout: false };
        assert.equal(mergeAlerts(old, resent, now), resent);
      }),
      runs(1000),
    );
  });

  it('keeps the original startsAt for a client that re-posts a firing alert without one', () => {
    fc.assert(
      fc.property(alert, fc.integer({ min: 0, max: 40 }), (old, length) => {
        const now = old.updatedAt + 1;
        fc.pre(old.startsAt < now && now < old.endsAt);
        const repost = { ...old, startsAt: now, endsAt: now + length, updatedAt: now };
        assert.equal(mergeAlerts(old, repost, now).startsAt, old.startsAt);
      }),
      runs(1000),
    );
  });

  it('keeps a later endsAt the client sent over one invented from resolve_timeout, never the reverse', () => {
    fc.assert(
      fc.property(alert, alert, instant, (old, incoming, now) => {
        fc.pre(overlaps(old, incoming) && incoming.updatedAt >= old.updatedAt && incoming.endsAt > now);
        const merged = mergeAlerts(old, incoming, now);
        const expected = old.endsAt > incoming.endsAt && !old.timeout ? old.endsAt : incoming.endsAt;
        assert.equal(merged.endsAt, expected);
      }),
      runs(1000),
    );
  });
});

describe('alert normalization (§1.3)', () => {
  const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);
  const RESOLVE_TIMEOUT = 5 * 60_000;

  const time = fc.integer({ min: NOW - 3_600_000, max: NOW + 3_600_000 });
  const timeField = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    time.map(formatApiTime),
    fc.constant('0001-01-01T00:00:00Z'),
    fc.constantFrom('yesterday', '2024-13-01T00:00:00Z', '2024-05-01T10:00:00+2'),
  );
  const labels = fc.dictionary(
    fc.oneof(fc.constantFrom('alertname', 'job', 'instance', 'severity'), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 })),
    fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 12 })),
    { maxKeys: 5 },
  );
  const postable: fc.Arbitrary<PostableAlert> = fc.record(
    {
      labels,
      annotations: fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom('summary', 'runbook'), fc.string({ maxLength: 10 }))),
      startsAt: timeField,
      endsAt: timeField,
      generatorURL: fc.oneof(fc.constant(null), fc.constantFrom('', 'http://prom:9090/graph?g0.expr=up')),
    },
    { requiredKeys: ['labels'] },
  );

  const isSet = (text: string | null | undefined): text is string =>
    typeof text === 'string' && text !== '0001-01-01T00:00:00Z';
  const withoutEmpty = (set: LabelSet): LabelSet => Object.fromEntries(Object.entries(set).filter(([, v]) => v !== ''));
  const validTime = (text: string | null | undefined): boolean =>
    !isSet(text) || (!Number.isNaN(Date.parse(text)) && text.endsWith('Z'));
  /** §1.3 steps 2 and 3: endsAt defaults to now + resolve_timeout, startsAt to endsAt or now. */
  const expectedTimes = (input: PostableAlert): { start: number; end: number } => {
    const end = isSet(input.endsAt) ? Date.parse(input.endsAt) : NOW + RESOLVE_TIMEOUT;
    const start = isSet(input.startsAt) ? Date.parse(input.startsAt) : isSet(input.endsAt) ? end : NOW;
    return { start, end };
  };

  it('accepts exactly the alerts with valid times in order and at least one non-empty label', () => {
    fc.assert(
      fc.property(postable, (input) => {
        const result = normalizeAlert(input, NOW, RESOLVE_TIMEOUT);
        const kept = withoutEmpty(input.labels);
        const timesValid = validTime(input.startsAt) && validTime(input.endsAt);
        const { start, end } = expectedTimes(input);
        const ordered = start <= end;
        const expectAccepted = timesValid && ordered && Object.keys(kept).length > 0;
        assert.equal('alert' in result, expectAccepted, JSON.stringify({ input, result }));
        if ('error' in result) {
          if (timesValid && !ordered) assert.equal(result.error, 'start time must be before end time');
          else if (timesValid && Object.keys(kept).length === 0) assert.equal(result.error, 'at least one label pair required');
          else assert.match(result.error, /^parsing time "/);
        }
      }),
      runs(2000),
    );
  });

  it('fills in times, drops empty labels and fingerprints what is left', () => {
    fc.assert(
      fc.property(postable, (input) => {
        const result = normalizeAlert(input, NOW, RESOLVE_TIMEOUT);
        fc.pre('alert' in result);
        const { alert } = result as { alert: Alert };
        assert.deepEqual({ ...alert.labels }, withoutEmpty(input.labels));
        assert.equal(alert.fingerprint, fingerprint(alert.labels));
        assert.equal(alert.updatedAt, NOW);
        assert.ok(alert.startsAt <= alert.endsAt);
        assert.equal(alert.timeout, !isSet(input.endsAt));
        const { start, end } = expectedTimes(input);
        assert.equal(alert.endsAt, end);
        assert.equal(alert.startsAt, start);
      }),
      runs(2000),
    );
  });

  it('gives the same alert back when its normalized form is posted again', () => {
    fc.assert(
      fc.property(postable, fc.integer({ min: 0, max: 60_000 }), (input, later) => {
        const first = normalizeAlert(input, NOW, RESOLVE_TIMEOUT);
        fc.pre('alert' in first);
        const { alert } = first as { alert: Alert };
        const again = normalizeAlert(
          {
            labels: alert.labels,
            annotations: alert.annotations,
            startsAt: formatApiTime(alert.startsAt),
            endsAt: formatApiTime(alert.endsAt),
            generatorURL: alert.generatorURL,
          },
          NOW + later,
          RESOLVE_TIMEOUT,
        );
        assert.deepEqual(again, { alert: { ...alert, updatedAt: NOW + later, timeout: false } });
      }),
      runs(1000),
    );
  });
});

describe('group ticks', () => {
  const grid = fc.record({
    origin: fc.integer({ min: 0, max: 1e12 }),
    interval: fc.integer({ min: 1, max: 1e7 }),
    offset: fc.integer({ min: -1e8, max: 1e8 }),
  });
  const onGrid = (origin: number, interval: number, tick: number): boolean =>
    tick >= origin && (tick - origin) % interval === 0;

  it('finds the neighbouring ticks of any instant on the grid origin + k × interval', () => {
    fc.assert(
      fc.property(grid, ({ origin, interval, offset }) => {
        const t = origin + offset;
        const before = tickAtOrBefore(origin, interval, t);
        if (t < origin) assert.equal(before, undefined);
        else {
          assert.ok(before !== undefined && onGrid(origin, interval, before) && before <= t && t < before + interval);
        }
        const atOrAfter = tickAtOrAfter(origin, interval, t);
        assert.ok(onGrid(origin, interval, atOrAfter) && atOrAfter >= t);
        assert.ok(atOrAfter === origin || atOrAfter - interval < t);
        const after = tickAfter(origin, interval, t);
        assert.ok(onGrid(origin, interval, after) && after > t);
        assert.ok(after === origin || after - interval <= t);
      }),
      runs(2000),
    );
  });
});
