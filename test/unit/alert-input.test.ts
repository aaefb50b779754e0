import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/core/alert.ts';
import {
  MAX_ANNOTATION_VALUE_LENGTH,
  MAX_ANNOTATIONS,
  MAX_GENERATOR_URL_LENGTH,
  MAX_LABEL_NAME_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS,
  normalizeAlert,
  type PostableAlert,
} from '../../src/core/alert-input.ts';
import { fingerprint } from '../../src/core/fingerprint.ts';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);
const MINUTE = 60_000;
const RESOLVE_TIMEOUT = 5 * MINUTE;
const at = (minutes: number): string => new Date(NOW + minutes * MINUTE).toISOString();

function accepted(input: PostableAlert): Alert {
  const result = normalizeAlert(input, NOW, RESOLVE_TIMEOUT);
  assert.ok('alert' in result, `expected an alert, got ${JSON.stringify(result)}`);
  return result.alert;
}

function rejected(input: PostableAlert): string {
  const result = normalizeAlert(input, NOW, RESOLVE_TIMEOUT);
  assert.ok('error' in result, `expected an error, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('normalizeAlert: times (spec §1.3 steps 1-3)', () => {
  it('stamps updatedAt with now', () => {
    assert.equal(accepted({ labels: { a: '1' }, startsAt: at(-10), endsAt: at(10) }).updatedAt, NOW);
  });

  it('without times: starts now, ends after resolve_timeout, flagged as invented', () => {
    const alert = accepted({ labels: { a: '1' } });
    assert.equal(alert.startsAt, NOW);
    assert.equal(alert.endsAt, NOW + RESOLVE_TIMEOUT);
    assert.equal(alert.timeout, true);
  });

  it('without startsAt but with endsAt: starts at endsAt', () => {
    const alert = accepted({ labels: { a: '1' }, endsAt: at(-3) });
    assert.equal(alert.startsAt, NOW - 3 * MINUTE);
    assert.equal(alert.endsAt, NOW - 3 * MINUTE);
    assert.equal(alert.timeout, false);
  });

  it('with startsAt only: ends after resolve_timeout', () => {
    const alert = accepted({ labels: { a: '1' }, startsAt: at(-30) });
    assert.equal(alert.startsAt, NOW - 30 * MINUTE);
    assert.equal(alert.endsAt, NOW + RESOLVE_TIMEOUT);
    assert.equal(alert.timeout, true);
  });

  it('keeps both times when both are sent (Prometheus)', () => {
    const alert = accepted({ labels: { a: '1' }, startsAt: at(-30), endsAt: at(4) });
    assert.deepEqual([alert.startsAt, alert.endsAt, alert.timeout], [NOW - 30 * MINUTE, NOW + 4 * MINUTE, false]);
  });

  it("treats null and Go's zero time as not set", () => {
    for (const unset of [null, '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z']) {
      const alert = accepted({ labels: { a: '1' }, startsAt: unset, endsAt: unset });
      assert.deepEqual([alert.startsAt, alert.endsAt, alert.timeout], [NOW, NOW + RESOLVE_TIMEOUT, true]);
    }
  });

  it('reads "" as the Unix epoch, as go-openapi does', () => {
    assert.equal(accepted({ labels: { a: '1' }, startsAt: '' }).startsAt, 0);
    assert.equal(rejected({ labels: { a: '1' }, startsAt: at(0), endsAt: '' }), 'start time must be before end time');
  });

  it('accepts endsAt equal to startsAt', () => {
    const alert = accepted({ labels: { a: '1' }, startsAt: at(-1), endsAt: at(-1) });
    assert.equal(alert.endsAt, alert.startsAt);
  });

  it('rejects endsAt before startsAt', () => {
    assert.equal(
      rejected({ labels: { a: '1' }, startsAt: at(-1), endsAt: at(-2) }),
      'start time must be before end time',
    );
  });

  it('rejects a startsAt further in the future than resolve_timeout when endsAt is missing', () => {
    assert.equal(rejected({ labels: { a: '1' }, startsAt: at(6) }), 'start time must be before end time');
    assert.equal(accepted({ labels: { a: '1' }, startsAt: at(5) }).startsAt, NOW + RESOLVE_TIMEOUT);
  });

  it('rejects an unparsable time (the HTTP layer rejects it earlier)', () => {
    assert.equal(
      rejected({ labels: { a: '1' }, startsAt: 'yesterday' }),
      'parsing time "yesterday": not an RFC 3339 date-time',
    );
    assert.match(rejected({ labels: { a: '1' }, endsAt: '2024-02-30T00:00:00Z' }), /"2024-02-30T00:00:00Z"/);
  });
});

describe('normalizeAlert: labels (spec §1.3 steps 4-5)', () => {
  it('fingerprints the labels', () => {
    const alert = accepted({ labels: { alertname: 'Up', job: 'node' } });
    assert.equal(alert.fingerprint, fingerprint({ alertname: 'Up', job: 'node' }));
  });

  it('drops empty label values before fingerprinting, leaves the input alone', () => {
    const labels = { alertname: 'Up', instance: '', job: 'node' };
    const alert = accepted({ labels });
    assert.deepEqual(alert.labels, { alertname: 'Up', job: 'node' });
    assert.equal(alert.fingerprint, fingerprint({ alertname: 'Up', job: 'node' }));
    assert.deepEqual(labels, { alertname: 'Up', instance: '', job: 'node' });
  });

  it('drops an empty-named label whose value is empty instead of rejecting it', () => {
    assert.deepEqual(accepted({ labels: { '': '', a: 'b' } }).labels, { a: 'b' });
  });

  it('keeps a label named __proto__ as a plain label', () => {
    const labels = JSON.parse('{"__proto__":"x","gone":""}') as Record<string, string>;
    const alert = accepted({ labels });
    assert.deepEqual(Object.keys(alert.labels), ['__proto__']);
    assert.equal(Object.getPrototypeOf(alert.labels), Object.prototype);
  });

  it('keeps empty annotation values', () => {
    assert.deepEqual(accepted({ labels: { a: '1' }, annotations: { summary: '' } }).annotations, { summary: '' });
  });

  it('defaults annotations to {} and generatorURL to ""', () => {
    const alert = accepted({ labels: { a: '1' }, annotations: null, generatorURL: null });
    assert.deepEqual(alert.annotations, {});
    assert.equal(alert.generatorURL, '');
    assert.equal(accepted({ labels: { a: '1' }, generatorURL: 'http://p/graph' }).generatorURL, 'http://p/graph');
  });

  it('requires at least one label left after dropping empty ones', () => {
    assert.equal(rejected({ labels: {} }), 'at least one label pair required');
    assert.equal(rejected({ labels: { a: '' } }), 'at least one label pair required');
  });

  it('accepts any non-empty UTF-8 label name (UTF-8 mode; 0.25 rejected "bad-name")', () => {
    assert.deepEqual(accepted({ labels: { 'bad-name': '1', 'ünïcödé.name': 'x' } }).labels, {
      'bad-name': '1',
      'ünïcödé.name': 'x',
    });
  });

  it('rejects an empty label name', () => {
    assert.equal(rejected({ labels: { '': 'x' } }), 'invalid label set: invalid name ""');
  });

  it('rejects a lone surrogate (not valid UTF-8) in a label name or value', () => {
    // goQuote shows a lone surrogate as the U+FFFD Go's JSON decoder would have made of it.
    assert.equal(rejected({ labels: { a: 'x\ud800' } }), 'invalid label set: invalid value "x\ufffd"');
    assert.equal(rejected({ labels: { '\udc00': 'x' } }), 'invalid label set: invalid name "\ufffd"');
    assert.ok('alert' in normalizeAlert({ labels: { a: '😀' } }, NOW, RESOLVE_TIMEOUT));
  });

  it('checks annotations the same way', () => {
    assert.equal(rejected({ labels: { a: '1' }, annotations: { '': 'x' } }), 'invalid annotations: invalid name ""');
    assert.equal(
      rejected({ labels: { a: '1' }, annotations: { summary: '\ud83d' } }),
      'invalid annotations: invalid value "\ufffd"',
    );
  });

  it('reports only the first problem, in Alertmanager order', () => {
    // Observed on 0.25: times before labels, labels before annotations.
    assert.equal(
      rejected({ labels: { a: '' }, startsAt: at(-1), endsAt: at(-2) }),
      'start time must be before end time',
    );
    assert.equal(
      rejected({ labels: { '': 'x' }, annotations: { '': 'y' } }),
      'invalid label set: invalid name ""',
    );
  });
});

describe("normalizeAlert: Grouper's limits", () => {
  const many = (count: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`l${i}`, 'v']));

  it(`accepts ${MAX_LABELS} labels and rejects one more`, () => {
    accepted({ labels: many(MAX_LABELS) });
    assert.equal(rejected({ labels: many(MAX_LABELS + 1) }), `invalid label set: more than ${MAX_LABELS} labels`);
  });

  it('limits label name and value length, naming the label', () => {
    accepted({ labels: { ['n'.repeat(MAX_LABEL_NAME_LENGTH)]: 'v', a: 'v'.repeat(MAX_LABEL_VALUE_LENGTH) } });
    assert.equal(
      rejected({ labels: { ['n'.repeat(MAX_LABEL_NAME_LENGTH + 1)]: 'v' } }),
      `invalid label set: name "${'n'.repeat(64)}"... longer than ${MAX_LABEL_NAME_LENGTH} characters`,
    );
    assert.equal(
      rejected({ labels: { instance: 'v'.repeat(MAX_LABEL_VALUE_LENGTH + 1) } }),
      `invalid label set: value of "instance" longer than ${MAX_LABEL_VALUE_LENGTH} characters`,
    );
  });

  it('limits annotations', () => {
    accepted({ labels: { a: '1' }, annotations: { description: 'd'.repeat(MAX_ANNOTATION_VALUE_LENGTH) } });
    assert.equal(
      rejected({ labels: { a: '1' }, annotations: { description: 'd'.repeat(MAX_ANNOTATION_VALUE_LENGTH + 1) } }),
      `invalid annotations: value of "description" longer than ${MAX_ANNOTATION_VALUE_LENGTH} characters`,
    );
    assert.equal(
      rejected({ labels: { a: '1' }, annotations: many(MAX_ANNOTATIONS + 1) }),
      `invalid annotations: more than ${MAX_ANNOTATIONS} annotations`,
    );
  });

  it('limits generatorURL', () => {
    const url = `http://p/${'x'.repeat(MAX_GENERATOR_URL_LENGTH - 9)}`;
    assert.equal(accepted({ labels: { a: '1' }, generatorURL: url }).generatorURL, url);
    assert.equal(
      rejected({ labels: { a: '1' }, generatorURL: `${url}x` }),
      `generatorURL longer than ${MAX_GENERATOR_URL_LENGTH} characters`,
    );
  });
});
