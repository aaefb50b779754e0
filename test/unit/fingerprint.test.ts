import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fingerprint } from '../../src/core/fingerprint.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { amVectors } from '../helpers/am-vectors.ts';

/** Straightforward FNV-1a 64 with BigInt over Buffer.compare-sorted names: an independent oracle. */
function referenceFingerprint(labels: LabelSet): string {
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let h = 0xcbf29ce484222325n;
  for (const name of names) {
    for (const byte of [...Buffer.from(name), 0xff, ...Buffer.from(labels[name]), 0xff]) {
      h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, '0');
}

describe('fingerprint', () => {
  it('matches the spec vectors', () => {
    const vectors: [LabelSet, string][] = [
      [{ job: 'foo', severity: 'warning' }, '9266ef3da838ad95'],
      [{ job: 'foo', severity: 'critical' }, '3b15fd163d36582e'],
      [{}, 'cbf29ce484222325'],
      [{ alertname: 'HighLatency' }, '73dbeed5635ea4e4'],
      [{ alertname: 'HighLatency', severity: 'critical' }, '476c2d9d67794906'],
      [{ alertname: 'HighLatency', instance: 'a:9100', severity: 'critical' }, '4a8efb9cabb53268'],
      [{ 'first-label': 'first-label-value' }, BigInt('5146282821936882169').toString(16).padStart(16, '0')],
    ];
    for (const [labels, expected] of vectors) assert.equal(fingerprint(labels), expected, JSON.stringify(labels));
  });

  it('matches every fingerprint recorded from Alertmanager', () => {
    assert.ok(amVectors.alerts.length >= 20);
    for (const alert of amVectors.alerts) assert.equal(fingerprint(alert.labels), alert.fingerprint, JSON.stringify(alert.labels));
  });

  it('does not depend on the order the labels were inserted in', () => {
    assert.equal(fingerprint({ b: '2', a: '1', c: '3' }), fingerprint({ a: '1', b: '2', c: '3' }));
  });

  it('sorts names by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 sorts before U+1F600 in UTF-8 but after its surrogates in UTF-16.
    const labels = { '\uff61': 'x', '\u{1f600}': 'y' };
    assert.equal(fingerprint(labels), referenceFingerprint(labels));
  });

  it('hashes a lone surrogate as U+FFFD, as Alertmanager stores it after JSON decoding', () => {
    const stored = amVectors.alerts.find((a) => a.labels.alertname === 'Surrogate')!;
    assert.match(stored.posted.v, /\ud800/);
    assert.equal(fingerprint(stored.posted), stored.fingerprint);
    assert.equal(fingerprint({ v: '\udc00' }), fingerprint({ v: '\ufffd' }));
  });

  it('agrees with a BigInt reference on arbitrary unicode label sets', () => {
    const labelSet = fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 8 });
    fc.assert(fc.property(labelSet, (labels) => fingerprint(labels) === referenceFingerprint(labels)), { numRuns: 500 });
  });
});
