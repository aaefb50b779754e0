import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SinkRequest } from '../helpers/webhook-sink.ts';
import { checkBehaviour } from './expectations.ts';
import { compareTranscripts, normalize, type Notification } from './transcript.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (offset: number): string => new Date(T0 + offset).toISOString();
const tolerances = { deliveryMs: 400, inventedTimeMs: 300 };

function request(at: number, alerts: readonly Record<string, unknown>[], overrides: Record<string, unknown> = {}): SinkRequest {
  const body = {
    receiver: 'team\\.a',
    status: 'firing',
    alerts,
    groupLabels: { alertname: 'A' },
    commonLabels: { alertname: 'A' },
    commonAnnotations: {},
    externalURL: 'http://conformance.test',
    version: '4',
    groupKey: '{}:{alertname="A"}',
    truncatedAlerts: 0,
    ...overrides,
  };
  const raw = `${JSON.stringify(body)}\n`;
  return { receivedAt: T0 + at, method: 'POST', path: '/a', headers: { 'content-type': 'application/json' }, raw, body, status: 200 };
}

function alert(id: string, startsAt: string, endsAt = '0001-01-01T00:00:00Z'): Record<string, unknown> {
  return { status: 'firing', labels: { alertname: 'A', id }, annotations: {}, startsAt, endsAt, generatorURL: '', fingerprint: `fp-${id}` };
}

const sent = new Set([0, -60_000]);
const notify = (at: number, alerts: readonly Record<string, unknown>[], overrides?: Record<string, unknown>): Notification => normalize(request(at, alerts, overrides), T0, sent);

describe('normalize', () => {
  it('keeps times the harness sent exact, marks invented ones approximate and the zero time as null', () => {
    const n = normalize(request(1_020, [alert('A1', '2026-01-01T00:00:00.000000000Z'), alert('A2', iso(512), iso(3_490))]), T0, sent);
    assert.equal(n.at, 1_020);
    assert.equal(n.receiver, 'team\\.a');
    assert.equal(n.contentType, 'application/json');
    assert.deepEqual(
      n.alerts.map((a) => [a.startsAt, a.endsAt]),
      [
        [0, null],
        [{ approx: 512 }, { approx: 3_490 }],
      ],
    );
  });
});

describe('compareTranscripts', () => {
  const reference = [notify(1_010, [alert('A1', iso(0)), alert('A2', iso(500))])];

  it('accepts the same notifications with deliveries and invented times within tolerance', () => {
    assert.deepEqual(compareTranscripts(reference, [notify(1_390, [alert('A1', iso(0)), alert('A2', iso(790))])], tolerances), []);
  });

  it('reports a late delivery', () => {
    const differences = compareTranscripts(reference, [notify(1_450, [alert('A1', iso(0)), alert('A2', iso(500))])], tolerances);
    assert.deepEqual(differences, ['/a team\\.a {}:{alertname="A"} #1: delivered at +1.010s vs +1.450s']);
  });

  it('reports an invented time out of tolerance and a sent time replaced by an invented one', () => {
    const differences = compareTranscripts(reference, [notify(1_010, [alert('A1', iso(3)), alert('A2', iso(900))])], tolerances);
    assert.deepEqual(differences, [
      '/a team\\.a {}:{alertname="A"} #1: alerts[0].startsAt: +0.000s vs ≈+0.003s',
      '/a team\\.a {}:{alertname="A"} #1: alerts[1].startsAt: ≈+0.500s vs ≈+0.900s',
    ]);
  });

  it('reports differing fields, alert order and missing notifications', () => {
    const candidate = [notify(1_010, [alert('A2', iso(500)), alert('A1', iso(0))], { truncatedAlerts: 1, groupKey: '{}:{}' })];
    const differences = compareTranscripts(reference, candidate, tolerances);
    assert.ok(differences.includes('/a team\\.a {}:{alertname="A"}: 1 notification(s) vs 0'));
    assert.ok(differences.includes('/a team\\.a {}:{}: 0 notification(s) vs 1'));
    const sameKey = compareTranscripts(reference, [notify(1_010, [alert('A2', iso(500)), alert('A1', iso(0))], { truncatedAlerts: 1 })], tolerances);
    assert.ok(sameKey.includes('/a team\\.a {}:{alertname="A"} #1: truncatedAlerts: 0 vs 1'));
    assert.ok(sameKey.some((d) => d.includes('alerts[0].labels')));
  });
});

describe('checkBehaviour', () => {
  const notifications = [notify(1_030, [alert('A1', iso(0)), { ...alert('A2', iso(0), iso(900)), status: 'resolved' }])];
  const expected = { at: 1_000, path: '/a', groupKey: '{}:{alertname="A"}', firing: ['A1'], resolved: ['A2'] };

  it('accepts the expected notification and answers', () => {
    assert.deepEqual(checkBehaviour(notifications, [{ status: 200, body: '' }], { notifications: [expected] }, 400), []);
  });

  it('reports wrong alerts, a wrong time, a missing notification and an unexpected answer', () => {
    assert.equal(checkBehaviour(notifications, [], { notifications: [{ ...expected, resolved: [] }] }, 400).length, 1);
    assert.equal(checkBehaviour(notifications, [], { notifications: [{ ...expected, at: 2_000 }] }, 400).length, 1);
    assert.equal(checkBehaviour(notifications, [], { notifications: [expected, { ...expected, at: 4_000 }] }, 400).length, 1);
    assert.deepEqual(checkBehaviour(notifications, [{ status: 400, body: 'x' }], { notifications: [expected] }, 400), [
      'POST of step 1: expected {"status":200,"body":""}, got {"status":400,"body":"x"}',
    ]);
  });
});
