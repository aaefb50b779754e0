import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Metrics } from '../../src/telemetry/metrics.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import alertsRoutes from '../../src/api/alerts-routes.ts';
import {
  decodePostableAlerts,
  isRequestUri,
  PostableAlertsSchema,
  WebhookMessageSchema,
} from '../../src/api/alert-schemas.ts';
import webhookRoutes from '../../src/api/webhook-routes.ts';
import type { Config } from '../../src/config/config.ts';
import type { Alert } from '../../src/core/alert.ts';
import { MAX_LABEL_VALUE_LENGTH } from '../../src/core/alert-input.ts';
import { parseApiTime } from '../../src/core/timestamp.ts';

/*
 * Expected answers are those of Alertmanager 0.25 (prometheus-alertmanager 0.25.0, run here with
 * an empty route tree and probed with curl), except where noted "current AM" (≥0.32 joins
 * messages with "\n" where 0.25 used "; "; since 0.27 label names are UTF-8 so "bad-name" is
 * valid) or "Grouper" (a deliberate difference).
 */

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);
const RESOLVE_TIMEOUT = 5 * 60_000;
const JSON_TYPE = { 'content-type': 'application/json' };

/** The routes read only global.resolveTimeout. */
const config = { global: { resolveTimeout: RESOLVE_TIMEOUT } } as Config;

interface Harness {
  readonly app: FastifyInstance;
  /** Every batch the routes handed to ingest. */
  readonly batches: { alerts: Alert[]; now: number }[];
  stored(): Alert[];
}

async function harness(options: { bodyLimit?: number; ingestError?: Error } = {}): Promise<Harness> {
  const app = Fastify({ bodyLimit: options.bodyLimit });
  const batches: { alerts: Alert[]; now: number }[] = [];
  app.decorate('ingest', {
    async ingest(alerts: readonly Alert[], now: number) {
      if (options.ingestError) throw options.ingestError;
      batches.push({ alerts: [...alerts], now });
    },
  });
  app.decorate('clock', () => NOW);
  app.decorate('currentConfig', () => config);
  app.decorate('metrics', new Metrics({ version: 'test', collectDefault: false }));
  await app.register(alertsRoutes);
  await app.register(webhookRoutes);
  await app.ready();
  return { app, batches, stored: () => batches.flatMap((b) => b.alerts) };
}

async function post(
  h: Harness,
  payload: string | undefined,
  headers: Record<string, string> = JSON_TYPE,
  url = '/api/v2/alerts',
) {
  return h.app.inject({ method: 'POST', url, headers, payload });
}

/** `{"code":n,"message":"..."}` exactly as Go marshals it. */
const codeMessage = (code: number, message: string): string =>
  JSON.stringify({ code, message }).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

interface Case {
  readonly name: string;
  readonly payload?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** Exact body; '' for none. */
  readonly body: string;
  /** Label sets that must reach ingest, in order. */
  readonly stored: Record<string, string>[];
}

const parsing = (reason: string) => codeMessage(400, `parsing alerts body from "" failed, because ${reason}`);

const cases: Case[] = [
  { name: 'one valid alert', payload: '[{"labels":{"alertname":"a"}}]', status: 200, body: '', stored: [{ alertname: 'a' }] },
  { name: 'empty array', payload: '[]', status: 200, body: '', stored: [] },
  { name: 'null body is an empty batch', payload: 'null', status: 200, body: '', stored: [] },
  {
    name: 'unknown fields are ignored',
    payload: '[{"labels":{"a":"b"},"foo":1,"status":"firing"}]',
    status: 200,
    body: '',
    stored: [{ a: 'b' }],
  },
  {
    name: 'field names match case-insensitively (Go encoding/json)',
    payload: '[{"Labels":{"caps":"x"}}]',
    status: 200,
    body: '',
    stored: [{ caps: 'x' }],
  },
  {
    name: 'keys named like Object.prototype members are plain unknown fields',
    payload: '[{"labels":{"a":"b"},"__proto__":{"x":1},"constructor":1,"toString":2}]',
    status: 200,
    body: '',
    stored: [{ a: 'b' }],
  },
  {
    name: 'null times, annotations and generatorURL are absent',
    payload: '[{"labels":{"a":"b"},"startsAt":null,"endsAt":null,"annotations":null,"generatorURL":null}]',
    status: 200,
    body: '',
    stored: [{ a: 'b' }],
  },
  {
    name: 'null label values are dropped like empty ones',
    payload: '[{"labels":{"nv":"x","n":null}}]',
    status: 200,
    body: '',
    stored: [{ nv: 'x' }],
  },
  {
    name: 'an escaped lone surrogate decodes to U+FFFD (Go), not an error',
    payload: '[{"labels":{"a":"\\ud800"}}]',
    status: 200,
    body: '',
    stored: [{ a: '\ufffd' }],
  },
  {
    name: 'Content-Type with parameters and any case',
    payload: '[{"labels":{"a":"b"}}]',
    headers: { 'content-type': 'APPLICATION/JSON; charset=latin1' },
    status: 200,
    body: '',
    stored: [{ a: 'b' }],
  },
  {
    name: 'duplicates in one batch all reach ingest, in order (the store merges: last wins)',
    payload: '[{"labels":{"a":"1"},"annotations":{"n":"first"}},{"labels":{"a":"1"},"annotations":{"n":"second"}}]',
    status: 200,
    body: '',
    stored: [{ a: '1' }, { a: '1' }],
  },
  {
    name: 'malformed JSON',
    payload: '[{"labels":',
    status: 400,
    // 0.25: "... because unexpected EOF" (Go's wording; Grouper gives V8's).
    body: parsing('Unexpected end of JSON input'),
    stored: [],
  },
  {
    name: 'a byte-order mark is malformed JSON',
    payload: '\ufeff[]',
    status: 400,
    body: parsing(`Unexpected token '\ufeff', "\ufeff[]" is not valid JSON`),
    stored: [],
  },
  {
    name: 'body is an object',
    payload: '{"labels":{"a":"b"}}',
    status: 400,
    body: parsing('json: cannot unmarshal object into Go value of type models.PostableAlerts'),
    stored: [],
  },
  {
    name: 'body is a string',
    payload: '"x"',
    status: 400,
    body: parsing('json: cannot unmarshal string into Go value of type models.PostableAlerts'),
    stored: [],
  },
  {
    name: 'label value of the wrong type',
    payload: '[{"labels":{"a":1}}]',
    status: 400,
    body: parsing('json: cannot unmarshal number into Go struct field Alert.labels of type string'),
    stored: [],
  },
  {
    name: 'labels of the wrong type',
    payload: '[{"labels":["a"]}]',
    status: 400,
    body: parsing('json: cannot unmarshal array into Go struct field Alert.labels of type models.LabelSet'),
    stored: [],
  },
  {
    name: 'annotation value of the wrong type',
    payload: '[{"labels":{"a":"b"},"annotations":{"x":1}}]',
    status: 400,
    body: parsing('json: cannot unmarshal number into Go struct field .annotations of type string'),
    stored: [],
  },
  {
    name: 'startsAt of the wrong type',
    payload: '[{"labels":{"a":"b"},"startsAt":5}]',
    status: 400,
    body: parsing('json: cannot unmarshal number into Go struct field .startsAt of type string'),
    stored: [],
  },
  {
    name: 'generatorURL of the wrong type',
    payload: '[{"labels":{"a":"b"},"generatorURL":5}]',
    status: 400,
    body: parsing('json: cannot unmarshal number into Go struct field Alert.generatorURL of type string'),
    stored: [],
  },
  {
    name: 'unparsable date-time rejects the whole batch',
    payload: '[{"labels":{"ok":"1"}},{"labels":{"a":"b"},"startsAt":"yesterday"}]',
    status: 400,
    // 0.25 words it as Go's time.Parse does: parsing time "yesterday" as "2006-01-02 15:04:05": ...
    body: parsing('parsing time "yesterday": not an RFC 3339 date-time'),
    stored: [],
  },
  {
    name: 'a type error anywhere wins over a missing labels earlier in the batch',
    payload: '[{},{"labels":{"a":1}}]',
    status: 400,
    body: parsing('json: cannot unmarshal number into Go struct field Alert.labels of type string'),
    stored: [],
  },
  {
    name: 'an item that is not an object',
    payload: '[1]',
    status: 400,
    // 0.25 names an anonymous Go struct type here.
    body: parsing('json: cannot unmarshal number into Go value of type models.PostableAlert'),
    stored: [],
  },
  {
    name: 'no body, no Content-Type',
    status: 422,
    body: codeMessage(602, 'alerts in body is required'),
    stored: [],
  },
  {
    name: 'empty body is "required" whatever the Content-Type',
    payload: '',
    headers: { 'content-type': 'text/plain' },
    status: 422,
    body: codeMessage(602, 'alerts in body is required'),
    stored: [],
  },
  {
    name: 'blank JSON body',
    payload: '  \n',
    status: 422,
    body: codeMessage(602, 'alerts in body is required'),
    stored: [],
  },
  {
    name: 'an item without labels rejects the batch: the first such index is reported',
    payload: '[{"labels":{"a":"b"}},{"annotations":{}},{}]',
    status: 422,
    body: codeMessage(602, '1.labels in body is required'),
    stored: [],
  },
  {
    name: 'labels: null is missing',
    payload: '[{"labels":null}]',
    status: 422,
    body: codeMessage(602, '0.labels in body is required'),
    stored: [],
  },
  {
    name: 'a null item has no labels (0.25 crashes the connection)',
    payload: '[{"labels":{"a":"b"}},null]',
    status: 422,
    body: codeMessage(602, '1.labels in body is required'),
    stored: [],
  },
  {
    name: 'generatorURL that is not a request URI',
    payload: '[{"labels":{"a":"b"},"generatorURL":"not a uri"}]',
    status: 422,
    body: codeMessage(601, '0.generatorURL in body must be of type uri: "not a uri"'),
    stored: [],
  },
  {
    name: 'generatorURL is checked before labels, item by item',
    payload: '[{"generatorURL":"bad"},{}]',
    status: 422,
    body: codeMessage(601, '0.generatorURL in body must be of type uri: "bad"'),
    stored: [],
  },
  {
    name: 'Go escapes <>& in {code,message} bodies',
    payload: '[{"labels":{"a":"b"},"generatorURL":"<&>"}]',
    status: 422,
    body: '{"code":601,"message":"0.generatorURL in body must be of type uri: \\"\\u003c\\u0026\\u003e\\""}',
    stored: [],
  },
  {
    name: 'text/plain',
    payload: '[{"labels":{"a":"b"}}]',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    body: codeMessage(415, 'unsupported media type "text/plain", only [application/json] are allowed'),
    stored: [],
  },
  {
    name: 'no Content-Type counts as application/octet-stream',
    payload: '[{"labels":{"a":"b"}}]',
    headers: {},
    status: 415,
    body: codeMessage(415, 'unsupported media type "application/octet-stream", only [application/json] are allowed'),
    stored: [],
  },
  {
    name: 'a +json media type is not application/json',
    payload: '[]',
    headers: { 'content-type': 'application/vnd.foo+json' },
    status: 415,
    body: codeMessage(415, 'unsupported media type "application/vnd.foo+json", only [application/json] are allowed'),
    stored: [],
  },
  {
    name: 'an unparsable Content-Type',
    payload: '[]',
    headers: { 'content-type': ';;;' },
    status: 400,
    // 0.25: "... failed, because mime: no media type"
    body: codeMessage(400, 'parsing Content-Type header from ";;;" failed, because mime: invalid media type'),
    stored: [],
  },
  {
    name: 'invalid alerts are listed, valid ones of the batch are stored',
    payload: JSON.stringify([
      { labels: { a: 'b' }, startsAt: '2024-01-02T00:00:00Z', endsAt: '2024-01-01T00:00:00Z' },
      { labels: { a: '' } },
      { labels: { ok: '1' } },
      { labels: { '': 'x' } },
      { labels: { 'bad-name': '1' } },
    ]),
    status: 400,
    // current AM joins with "\n"; 0.25 joined with "; " and also rejected "bad-name" (classic names).
    body: '"start time must be before end time\\nat least one label pair required\\ninvalid label set: invalid name \\"\\""\n',
    stored: [{ ok: '1' }, { 'bad-name': '1' }],
  },
  {
    name: 'invalid annotations',
    payload: '[{"labels":{"a":"b"},"annotations":{"":"x"}}]',
    status: 400,
    body: '"invalid annotations: invalid name \\"\\""\n',
    stored: [],
  },
  {
    name: 'JSON-string bodies leave <>& alone but escape U+2028 (Go encoder, HTML escaping off)',
    payload: JSON.stringify([{ labels: { '<&>\u2028': 'v'.repeat(MAX_LABEL_VALUE_LENGTH + 1) } }]),
    status: 400,
    body: `"invalid label set: value of \\"<&>\\\\u2028\\" longer than ${MAX_LABEL_VALUE_LENGTH} characters"\n`,
    stored: [],
  },
  {
    name: 'a startsAt beyond resolve_timeout without endsAt',
    payload: '[{"labels":{"a":"b"},"startsAt":"2099-01-01T00:00:00Z"}]',
    status: 400,
    body: '"start time must be before end time"\n',
    stored: [],
  },
  {
    name: 'date-time layouts go-openapi accepts besides RFC 3339',
    payload: JSON.stringify(
      ['2024-01-01T00:00:00', '2024-01-01T00:00Z', '2024-01-01 00:00:00', '2024-01-01T00:00:00.000+0100', '2024-02-03T23:59:59,5Z'].map(
        (startsAt, i) => ({ labels: { i: String(i) }, startsAt }),
      ),
    ),
    status: 200,
    body: '',
    stored: [{ i: '0' }, { i: '1' }, { i: '2' }, { i: '3' }, { i: '4' }],
  },
  {
    name: 'trailing data after the JSON value (Grouper: 400; Go reads the first value and answers 200)',
    payload: '[] x',
    status: 400,
    body: parsing(`Unexpected non-whitespace character after JSON at position 3`),
    stored: [],
  },
];

describe('POST /api/v2/alerts, compared with Alertmanager', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const h = await harness();
      const response = await post(h, c.payload, c.headers ?? JSON_TYPE);
      assert.equal(response.statusCode, c.status);
      assert.equal(response.body, c.body);
      assert.equal(response.headers['content-type'], c.body === '' ? undefined : 'application/json');
      assert.deepEqual(
        h.stored().map((a) => a.labels),
        c.stored,
      );
      await h.app.close();
    });
  }

  it('normalizes with one clock read and the current resolve_timeout', async () => {
    const h = await harness();
    const response = await post(
      h,
      JSON.stringify([
        { labels: { alertname: 'A' }, annotations: { s: 'x' }, generatorURL: 'http://prom:9090/graph?g0.expr=up' },
        { labels: { alertname: 'B' }, startsAt: '2024-05-01T09:00:00Z', endsAt: '2024-05-01T10:04:00.5+00:00' },
      ]),
    );
    assert.equal(response.statusCode, 200);
    assert.equal(h.batches.length, 1);
    assert.equal(h.batches[0].now, NOW);
    const [a, b] = h.batches[0].alerts;
    assert.deepEqual(
      { ...a, fingerprint: undefined },
      {
        fingerprint: undefined,
        labels: { alertname: 'A' },
        annotations: { s: 'x' },
        startsAt: NOW,
        endsAt: NOW + RESOLVE_TIMEOUT,
        generatorURL: 'http://prom:9090/graph?g0.expr=up',
        updatedAt: NOW,
        timeout: true,
      },
    );
    assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
    assert.deepEqual([b.startsAt, b.endsAt, b.timeout], [NOW - 3_600_000, NOW + 240_500, false]);
    await h.app.close();
  });

  it('a rejected request stores nothing', async () => {
    const h = await harness();
    for (const payload of ['[{"labels":{"a":"1"}},{}]', '[{"labels":{"a":"1"}},{"labels":{"b":"2"},"endsAt":"nope"}]']) {
      const response = await post(h, payload);
      assert.ok(response.statusCode >= 400);
    }
    assert.deepEqual(h.batches, []);
    await h.app.close();
  });

  it('a body over bodyLimit is 413 {"code":413,...}', async () => {
    const h = await harness({ bodyLimit: 100 });
    const response = await post(h, JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ labels: { i: String(i) } }))));
    assert.equal(response.statusCode, 413);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.body, codeMessage(413, 'Request body is too large'));
    assert.deepEqual(h.batches, []);
    await h.app.close();
  });

  it('a store failure is 500 with a JSON string, even when some alerts were invalid', async () => {
    const h = await harness({ ingestError: new Error('redis: connection lost') });
    const response = await post(h, '[{"labels":{"a":"1"}},{"labels":{}}]');
    assert.equal(response.statusCode, 500);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.body, '"redis: connection lost"\n');
    await h.app.close();
  });

  it('does not call ingest when no alert is valid', async () => {
    const h = await harness({ ingestError: new Error('must not be called') });
    const response = await post(h, '[{"labels":{}}]');
    assert.equal(response.statusCode, 400);
    await h.app.close();
  });

  it('leaves the parent scope its own body parsing and error handling', async () => {
    const app = Fastify();
    app.decorate('ingest', { ingest: async () => {} });
    app.decorate('clock', () => NOW);
    app.decorate('currentConfig', () => config);
    app.decorate('metrics', new Metrics({ version: 'test', collectDefault: false }));
    await app.register(alertsRoutes);
    app.post('/echo', async (request) => request.body);
    const echoed = await app.inject({ method: 'POST', url: '/echo', headers: JSON_TYPE, payload: '{"x":1}' });
    assert.deepEqual(echoed.json(), { x: 1 });
    const plain = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/csv' }, payload: 'a' });
    assert.equal(plain.statusCode, 415);
    assert.equal(plain.json().code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');
    await app.close();
  });
});

describe('generatorURL format: Go url.ParseRequestURI (statuses seen on 0.25)', () => {
  const observed: [string, boolean][] = [
    ['/graph?x=1', true],
    ['x:y', true],
    ['http://a/b c', true],
    ['http://[::1]:80/x', true],
    ['http://a/#frag', true],
    ['http://a/?%zz', true],
    ['*', true],
    ['HTTP://A/', true],
    ['http://', true],
    ['http:', true],
    ['http://a_b~!$/', true],
    ['http://a/é', true],
    ['http://é/', true],
    ['http://user:pa%20ss@host:9090/p', true],
    ['graph', false],
    ['http://a b', false],
    ['http://a/%zz', false],
    ['http://u ser@a/', false],
    ['http://a:8x/', false],
    ['http://a{b}/', false],
    ['1http://a', false],
    ['http://a/b%2', false],
    ['http://a%20b/', false],
    ['http://a/b%2?x', false],
    ['http://a%2', false],
    ['http://u%zz@a/', false],
    ['http://a?b@c', true],
    ['http://[::1/', false],
    ['http://[::1]x/', false],
    ['http://a:/', true],
    ['x:/%zz', false],
    ['http://a@b@c/', true],
    ['http://a/p?q/r%', true],
    ['http://a%25b/', true],
    ['http://a%e2%82%ac/', true],
    ['//a/%', false],
    ['http:///x', true],
    ['http://a#b/c', false],
    [':x', false],
    ['http://a/\x01', false],
    ['', false],
  ];
  for (const [url, valid] of observed) {
    it(`${JSON.stringify(url)} is ${valid ? 'valid' : 'invalid'}`, () => assert.equal(isRequestUri(url), valid));
  }
});

describe('POST /webhook (Alertmanager webhook v4)', () => {
  const message = (alerts: unknown[], version: unknown = '4') => ({
    version,
    groupKey: '{}:{alertname="Up"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'grouper',
    groupLabels: { alertname: 'Up' },
    commonLabels: { alertname: 'Up' },
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts,
  });
  const firing = {
    status: 'firing',
    labels: { alertname: 'Up', instance: 'a:9100' },
    annotations: { summary: 'down' },
    startsAt: '2024-05-01T09:58:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prom:9090/graph?g0.expr=up',
    fingerprint: '0123456789abcdef',
  };
  const resolved = {
    ...firing,
    status: 'resolved',
    labels: { alertname: 'Up', instance: 'b:9100' },
    endsAt: '2024-05-01T09:59:30Z',
  };

  it('stores the alerts: a firing one gets endsAt from resolve_timeout, a resolved one keeps its own', async () => {
    const h = await harness();
    const response = await post(h, JSON.stringify(message([firing, resolved])), JSON_TYPE, '/webhook');
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
    const [a, b] = h.stored();
    assert.deepEqual(
      [a.labels, a.annotations, a.generatorURL, a.startsAt, a.endsAt, a.timeout],
      [firing.labels, firing.annotations, firing.generatorURL, Date.UTC(2024, 4, 1, 9, 58, 0, 123), NOW + RESOLVE_TIMEOUT, true],
    );
    assert.deepEqual([b.labels, b.endsAt, b.timeout], [resolved.labels, Date.UTC(2024, 4, 1, 9, 59, 30), false]);
    await h.app.close();
  });

  it('the payload Alertmanager sends matches the documented schema', () => {
    assert.ok(Value.Check(WebhookMessageSchema, message([firing, resolved])));
  });

  const rejections: [string, unknown, number, string][] = [
    ['another version', message([firing], '3'), 400, codeMessage(400, 'webhook payload version must be "4", got "3"')],
    ['no version', { alerts: [firing] }, 400, codeMessage(400, 'webhook payload version must be "4", got none')],
    ['no alerts', { version: '4' }, 422, codeMessage(602, 'alerts in body is required')],
    [
      'alerts not an array',
      { version: '4', alerts: {} },
      400,
      codeMessage(400, 'parsing message body from "" failed, because json: cannot unmarshal object into Go struct field Message.alerts of type []webhook.Alert'),
    ],
    ['an alert without labels', message([firing, { ...firing, labels: undefined }]), 422, codeMessage(602, 'alerts.1.labels in body is required')],
    [
      'a bad date-time',
      message([{ ...firing, startsAt: 'soon' }]),
      400,
      codeMessage(400, 'parsing message body from "" failed, because parsing time "soon": not an RFC 3339 date-time'),
    ],
    [
      'not an object',
      [firing],
      400,
      codeMessage(400, 'parsing message body from "" failed, because json: cannot unmarshal array into Go value of type webhook.Message'),
    ],
  ];
  for (const [name, body, status, expected] of rejections) {
    it(`rejects ${name} and stores nothing`, async () => {
      const h = await harness();
      const response = await post(h, JSON.stringify(body), JSON_TYPE, '/webhook');
      assert.equal(response.statusCode, status);
      assert.equal(response.body, expected);
      assert.deepEqual(h.batches, []);
      await h.app.close();
    });
  }

  it('answers 400 listing invalid alerts and stores the valid ones', async () => {
    const h = await harness();
    const backwards = { ...firing, labels: { alertname: 'X' }, endsAt: '2024-05-01T09:00:00Z' };
    const response = await post(h, JSON.stringify(message([backwards, firing])), JSON_TYPE, '/webhook');
    assert.equal(response.statusCode, 400);
    assert.equal(response.body, '"start time must be before end time"\n');
    assert.deepEqual(h.stored().map((a) => a.labels), [firing.labels]);
    await h.app.close();
  });

  it('has the same body errors as the API', async () => {
    const h = await harness();
    const plain = await post(h, '{}', { 'content-type': 'text/plain' }, '/webhook');
    assert.equal(plain.statusCode, 415);
    const empty = await post(h, undefined, {}, '/webhook');
    assert.deepEqual([empty.statusCode, empty.body], [422, codeMessage(602, 'message in body is required')]);
    const broken = await post(h, '{', JSON_TYPE, '/webhook');
    assert.equal(broken.statusCode, 400);
    assert.match(broken.body, /^\{"code":400,"message":"parsing message body from \\"\\" failed, because /);
    await h.app.close();
  });

  it('a store failure is 500', async () => {
    const h = await harness({ ingestError: new Error('boom') });
    const response = await post(h, JSON.stringify(message([firing])), JSON_TYPE, '/webhook');
    assert.deepEqual([response.statusCode, response.body], [500, '"boom"\n']);
    await h.app.close();
  });
});

describe('the TypeBox schema documents what the decoder accepts', () => {
  FormatRegistry.Set('date-time', (text) => parseApiTime(text) !== undefined);
  FormatRegistry.Set('uri', (text) => text === '' || isRequestUri(text));
  const accepts = (body: unknown): boolean => {
    try {
      decodePostableAlerts(structuredClone(body));
      return true;
    } catch {
      return false;
    }
  };
  // Outside this corpus the decoder is more lenient than the schema can say: null label values
  // and case-insensitive field names, as Go decodes them.
  const corpus: unknown[] = [
    null,
    [],
    [{ labels: {} }],
    [{ labels: { a: 'b' }, annotations: { s: '' }, startsAt: '2024-01-01T00:00:00Z', endsAt: null, generatorURL: '/x' }],
    [{ labels: { a: 'b' }, extra: true }],
    [{ labels: { a: 'b' }, startsAt: '2024-01-01 00:00:00' }],
    [{}],
    [{ labels: null }],
    [{ labels: { a: 1 } }],
    [{ labels: [] }],
    [{ labels: { a: 'b' }, annotations: [] }],
    [{ labels: { a: 'b' }, startsAt: 'yesterday' }],
    [{ labels: { a: 'b' }, endsAt: 1 }],
    [{ labels: { a: 'b' }, generatorURL: 'not a uri' }],
    [{ labels: { a: 'b' }, generatorURL: 3 }],
    [1],
    {},
    'x',
  ];
  for (const body of corpus) {
    it(`agree on ${JSON.stringify(body)}`, () => {
      assert.equal(accepts(body), Value.Check(PostableAlertsSchema, body));
    });
  }
});
