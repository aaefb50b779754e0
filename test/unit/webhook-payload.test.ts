import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/core/alert.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import type { WebhookMessage } from '../../src/notify/webhook-message.ts';
import { buildWebhookPayload } from '../../src/notify/webhook-payload.ts';

const FLUSH = Date.parse('2024-05-01T12:00:00Z');
const LATER = Date.parse('2030-01-01T00:00:00Z');

function alert(
  fingerprint: string,
  labels: LabelSet,
  fields: { annotations?: LabelSet; startsAt?: string; endsAt?: string; generatorURL?: string } = {},
): Alert {
  return {
    fingerprint,
    labels,
    annotations: fields.annotations ?? {},
    startsAt: Date.parse(fields.startsAt ?? '2024-05-01T10:00:00Z'),
    endsAt: fields.endsAt === undefined ? LATER : Date.parse(fields.endsAt),
    generatorURL: fields.generatorURL ?? '',
    updatedAt: FLUSH,
    timeout: false,
  };
}

function message(alerts: readonly Alert[], fields: Partial<WebhookMessage> = {}): WebhookMessage {
  return {
    receiver: 'web.hook',
    groupKey: '{}:{alertname="Esc"}',
    groupLabels: { alertname: 'Esc' },
    alerts,
    at: FLUSH,
    externalURL: 'http://vm:19556',
    ...fields,
  };
}

const j0 = alert('cd4590ff109c90fc', { alertname: 'Esc', job: 'j0', sev: 'crit' }, {
  annotations: { summary: 's' },
  startsAt: '2024-05-01T10:00:00.120Z',
  generatorURL: 'http://g/?a=1&b=2',
});
const j2 = alert('900f2a11d64ad316', { alertname: 'Esc', job: 'j2', sev: 'crit' }, {
  annotations: { summary: 's' },
  startsAt: '2024-05-01T10:00:00.1Z',
});
const c = alert('5901677d678d8af5', { alertname: 'Esc', c: '1', sev: 'warn' });
const b = alert('1c479b750af34e52', { alertname: 'Esc', b: '1', sev: 'crit' }, { startsAt: '2024-05-01T12:00:00+02:00' });

// The goldens are bodies captured from Alertmanager 0.25 on this machine, changed only where
// Grouper deliberately differs: times in UTC, and \b \f as Go >= 1.22 writes them.
describe('buildWebhookPayload goldens (Alertmanager 0.25 captures)', () => {
  it('three firing alerts', () => {
    assert.equal(
      buildWebhookPayload(message([j2, c, b]), 3),
      '{"receiver":"web\\\\.hook","status":"firing","alerts":[' +
        '{"status":"firing","labels":{"alertname":"Esc","job":"j2","sev":"crit"},"annotations":{"summary":"s"},"startsAt":"2024-05-01T10:00:00.1Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"900f2a11d64ad316"},' +
        '{"status":"firing","labels":{"alertname":"Esc","c":"1","sev":"warn"},"annotations":{},"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"5901677d678d8af5"},' +
        '{"status":"firing","labels":{"alertname":"Esc","b":"1","sev":"crit"},"annotations":{},"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"1c479b750af34e52"}],' +
        '"groupLabels":{"alertname":"Esc"},"commonLabels":{"alertname":"Esc"},"commonAnnotations":{},"externalURL":"http://vm:19556","version":"4","groupKey":"{}:{alertname=\\"Esc\\"}","truncatedAlerts":0}\n',
    );
  });

  it('a resolved alert keeps its endsAt, and max_alerts truncates', () => {
    const resolvedJ2 = { ...j2, endsAt: Date.parse('2024-05-01T11:00:00.456Z') };
    assert.equal(
      buildWebhookPayload(message([j0, resolvedJ2, c, b]), 3),
      '{"receiver":"web\\\\.hook","status":"firing","alerts":[' +
        '{"status":"firing","labels":{"alertname":"Esc","job":"j0","sev":"crit"},"annotations":{"summary":"s"},"startsAt":"2024-05-01T10:00:00.12Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://g/?a=1\\u0026b=2","fingerprint":"cd4590ff109c90fc"},' +
        '{"status":"resolved","labels":{"alertname":"Esc","job":"j2","sev":"crit"},"annotations":{"summary":"s"},"startsAt":"2024-05-01T10:00:00.1Z","endsAt":"2024-05-01T11:00:00.456Z","generatorURL":"","fingerprint":"900f2a11d64ad316"},' +
        '{"status":"firing","labels":{"alertname":"Esc","c":"1","sev":"warn"},"annotations":{},"startsAt":"2024-05-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"5901677d678d8af5"}],' +
        '"groupLabels":{"alertname":"Esc"},"commonLabels":{"alertname":"Esc"},"commonAnnotations":{},"externalURL":"http://vm:19556","version":"4","groupKey":"{}:{alertname=\\"Esc\\"}","truncatedAlerts":1}\n',
    );
  });

  it('escaping of labels, annotations and generatorURL', () => {
    const escaped = alert(
      '00aace143ac88607',
      { alertname: 'Esc2', job: 'j<1>', instance: 'a&b', z: '\u2028x\u0001\b\f\u007f\u00e9\u{1F600}\uffff', sev: 'crit' },
      {
        annotations: { summary: '<b>&</b>', desc: 'tab\tnl\nq"bs\\\r', zz: '\u2029', lone: JSON.parse('"\\ud800\\udc00x\\udc00"') },
        startsAt: '2024-05-01T10:00:00.123Z',
        generatorURL: 'http://prom:9090/graph?g0.expr=up&g0.tab=1',
      },
    );
    const labels = '{"alertname":"Esc2","instance":"a\\u0026b","job":"j\\u003c1\\u003e","sev":"crit","z":"\\u2028x\\u0001\\b\\f\u007f\u00e9\u{1F600}\uffff"}';
    const annotations = '{"desc":"tab\\tnl\\nq\\"bs\\\\\\r","lone":"\u{10000}x\ufffd","summary":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e","zz":"\\u2029"}';
    assert.equal(
      buildWebhookPayload(
        message([escaped], { groupKey: '{}:{alertname="Esc2"}', groupLabels: { alertname: 'Esc2' } }),
        0,
      ),
      '{"receiver":"web\\\\.hook","status":"firing","alerts":[' +
        `{"status":"firing","labels":${labels},"annotations":${annotations},"startsAt":"2024-05-01T10:00:00.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom:9090/graph?g0.expr=up\\u0026g0.tab=1","fingerprint":"00aace143ac88607"}],` +
        `"groupLabels":{"alertname":"Esc2"},"commonLabels":${labels},"commonAnnotations":${annotations},"externalURL":"http://vm:19556","version":"4","groupKey":"{}:{alertname=\\"Esc2\\"}","truncatedAlerts":0}\n`,
    );
  });
});

describe('buildWebhookPayload rules', () => {
  const parse = (msg: WebhookMessage, maxAlerts = 0) => JSON.parse(buildWebhookPayload(msg, maxAlerts));

  it('regex-quotes the receiver like Go QuoteMeta', () => {
    assert.equal(parse(message([j0], { receiver: 'a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o-p' })).receiver, 'a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o-p');
  });

  it('computes status and common fields from the truncated list only', () => {
    const resolved = (a: Alert) => ({ ...a, endsAt: FLUSH - 1000 });
    const body = parse(message([resolved(j0), resolved(j2), c], { groupLabels: {} }), 2);
    assert.equal(body.status, 'resolved');
    assert.equal(body.truncatedAlerts, 1);
    assert.deepEqual(body.alerts.map((a: { fingerprint: string }) => a.fingerprint), [j0.fingerprint, j2.fingerprint]);
    assert.deepEqual(body.commonLabels, { alertname: 'Esc', sev: 'crit' });
    assert.deepEqual(body.commonAnnotations, { summary: 's' });
  });

  it('is firing when any listed alert is firing', () => {
    const body = parse(message([{ ...j0, endsAt: FLUSH - 1 }, c]));
    assert.equal(body.status, 'firing');
    assert.deepEqual(body.alerts.map((a: { status: string }) => a.status), ['resolved', 'firing']);
  });

  it('treats endsAt equal to the flush tick as resolved and one ms later as firing', () => {
    const body = parse(message([{ ...j0, endsAt: FLUSH }, { ...c, endsAt: FLUSH + 1 }]));
    assert.equal(body.alerts[0].status, 'resolved');
    assert.equal(body.alerts[0].endsAt, '2024-05-01T12:00:00Z');
    assert.equal(body.alerts[1].status, 'firing');
    assert.equal(body.alerts[1].endsAt, '0001-01-01T00:00:00Z');
  });

  it('does not truncate with max_alerts 0 or when the list fits', () => {
    assert.equal(parse(message([j0, j2, c]), 0).alerts.length, 3);
    assert.equal(parse(message([j0, j2, c]), 3).truncatedAlerts, 0);
    assert.equal(parse(message([j0, j2, c]), 1).truncatedAlerts, 2);
  });

  it('writes an empty list with empty objects, never null', () => {
    assert.equal(
      buildWebhookPayload(message([], { groupLabels: {}, groupKey: '{}:{}' }), 0),
      '{"receiver":"web\\\\.hook","status":"resolved","alerts":[],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://vm:19556","version":"4","groupKey":"{}:{}","truncatedAlerts":0}\n',
    );
  });

  it('keeps only pairs equal in every alert, including a __proto__ label', () => {
    const x = alert('1', JSON.parse('{"__proto__":"p","a":"1","b":"1"}'));
    const y = alert('2', JSON.parse('{"__proto__":"p","a":"1","b":"2"}'));
    const z = alert('3', { a: '1', b: '1' });
    assert.deepEqual(Object.keys(parse(message([x, y])).commonLabels), ['__proto__', 'a']);
    assert.deepEqual(Object.keys(parse(message([x, z])).commonLabels), ['a', 'b']);
  });

  it('adds notification_reason after alerts only when given', () => {
    const without = buildWebhookPayload(message([c]), 0);
    assert.ok(!without.includes('notification_reason'));
    const withReason = buildWebhookPayload(message([c], { notificationReason: 'first notification' }), 0);
    assert.equal(withReason, without.replace('],"groupLabels"', '],"notification_reason":"first notification","groupLabels"'));
  });

  it('throws RangeError for a time Go cannot marshal', () => {
    assert.throws(() => buildWebhookPayload(message([{ ...c, startsAt: Date.UTC(10000, 0, 1) }]), 0), RangeError);
  });
});
