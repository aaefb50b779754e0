import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compareBytes,
  compareLabelSets,
  formatLabelSet,
  goQuote,
  labelValue,
  sortedNames,
  type LabelSet,
} from '../../src/core/label-set.ts';
import { amVectors } from '../helpers/am-vectors.ts';

const sign = (n: number): number => Math.sign(n) + 0;

describe('compareBytes', () => {
  it('orders like Go strings', () => {
    assert.equal(compareBytes('a', 'b'), -1);
    assert.equal(compareBytes('b', 'a'), 1);
    assert.equal(compareBytes('a', 'a'), 0);
    assert.equal(compareBytes('a', 'ab'), -1);
    assert.equal(compareBytes('', 'a'), -1);
    assert.equal(compareBytes('Z', 'a'), -1);
  });

  it('puts astral characters after U+E000..U+FFFF, unlike UTF-16 order', () => {
    assert.ok('\u{1f600}' < '\uff61', 'UTF-16 order is the other way round');
    assert.equal(compareBytes('\uff61', '\u{1f600}'), -1);
    assert.equal(compareBytes('\u{1f600}', '\uff61'), 1);
    assert.equal(compareBytes('\u{10000}', '\u{1f600}'), -1);
  });

  it('agrees with Buffer.compare of the UTF-8 encodings', () => {
    const s = fc.string({ unit: 'binary', maxLength: 8 });
    fc.assert(fc.property(s, s, (a, b) => compareBytes(a, b) === Buffer.compare(Buffer.from(a), Buffer.from(b))), { numRuns: 2000 });
  });
});

describe('sortedNames and labelValue', () => {
  it('sorts names in byte order', () => {
    assert.deepEqual(sortedNames({ b: '', '\u{1f600}': '', a: '', '\uff61': '', B: '' }), ['B', 'a', 'b', '\uff61', '\u{1f600}']);
  });

  it('sees only own labels, never Object.prototype members', () => {
    assert.equal(labelValue({}, 'toString'), undefined);
    assert.equal(labelValue({}, '__proto__'), undefined);
    assert.equal(labelValue(JSON.parse('{"__proto__":"x"}'), '__proto__'), 'x');
    assert.equal(labelValue({ a: '' }, 'a'), '');
  });
});

describe('goQuote', () => {
  const cases: [string, string][] = [
    ['', '""'],
    ['plain text ~!', '"plain text ~!"'],
    ['say "hi" \\ there', '"say \\"hi\\" \\\\ there"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x01\x1b\x7f', '"\\x00\\x01\\x1b\\x7f"'],
    ['é e\u0301 東京 😀 \ufffd', '"é e\u0301 東京 😀 \ufffd"'],
    ['\u00a0\u0085\u200b\u2028\ue000', '"\\u00a0\\u0085\\u200b\\u2028\\ue000"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['lone\ud800', '"lone\ufffd"'],
  ];
  for (const [input, expected] of cases) {
    it(`quotes ${JSON.stringify(input)}`, () => assert.equal(goQuote(input), expected));
  }
});

describe('formatLabelSet', () => {
  it('renders prometheus LabelSet.String', () => {
    assert.equal(formatLabelSet({}), '{}');
    assert.equal(formatLabelSet({ b: 'y', a: 'x' }), '{a="x", b="y"}');
    assert.equal(formatLabelSet({ note: 'a\nb"c' }), '{note="a\\nb\\"c"}');
  });

  it('matches the group labels Alertmanager rendered into its group keys', () => {
    for (const n of amVectors.notifications) {
      assert.ok(n.groupKey.endsWith(':' + formatLabelSet(n.groupLabels)), n.groupKey);
    }
  });
});

describe('compareLabelSets', () => {
  it('puts smaller sets first', () => {
    assert.equal(compareLabelSets({ z: 'z' }, { a: 'a', b: 'b' }), -1);
    assert.equal(compareLabelSets({ a: 'a', b: 'b' }, { z: 'z' }), 1);
  });

  it('puts the set lacking the first differing name first', () => {
    // Union of names: a, b, c. `b` is missing from the right-hand set, so it goes first.
    assert.equal(compareLabelSets({ a: '1', b: '1' }, { a: '1', c: '1' }), 1);
    assert.equal(compareLabelSets({ a: '1', c: '1' }, { a: '1', b: '1' }), -1);
  });

  it('otherwise compares values in byte order', () => {
    assert.equal(compareLabelSets({ a: '1', b: '2' }, { a: '1', b: '3' }), -1);
    assert.equal(compareLabelSets({ v: '\u{1f600}' }, { v: '\uff61' }), 1);
    assert.equal(compareLabelSets({ a: '1', b: '2' }, { b: '2', a: '1' }), 0);
  });

  it('is antisymmetric', () => {
    const ls = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('', 'x', 'y', '\uff61', '\u{1f600}'), { maxKeys: 4 });
    fc.assert(fc.property(ls, ls, (a, b) => sign(compareLabelSets(a, b)) === -sign(compareLabelSets(b, a))), { numRuns: 1000 });
  });

  it('reproduces the alert order of an Alertmanager notification', () => {
    const byFingerprint = new Map(amVectors.alerts.map((a) => [a.fingerprint, a.labels]));
    const ordered = amVectors.notifications.find((n) => n.receiver === 'order')!.alerts.map((fp) => byFingerprint.get(fp)!);
    assert.ok(ordered.length > 8);
    // Alertmanager sorts by job, then instance (present first), then label set (§4.3).
    const present = (ls: LabelSet, name: string): string | undefined => labelValue(ls, name);
    const byOptional = (a: string | undefined, b: string | undefined): number =>
      a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : compareBytes(a, b);
    const sorted = [...ordered]
      .reverse()
      .sort(
        (a, b) =>
          byOptional(present(a, 'job'), present(b, 'job')) ||
          byOptional(present(a, 'instance'), present(b, 'instance')) ||
          compareLabelSets(a, b),
      );
    assert.deepEqual(sorted, ordered);
  });
});
