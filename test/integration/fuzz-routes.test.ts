import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type HTTPMethods, type InjectOptions } from 'fastify';
import { pino } from 'pino';
import { app } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { parseSettings, type Settings } from '../../src/config/settings.ts';
import { formatApiTime } from '../../src/core/timestamp.ts';
import type { Notifier, NotifyRequest } from '../../src/engine/notifier.ts';
import { buildWebhookPayload } from '../../src/notify/webhook-payload.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { AlertWrite, Claim, StoredGroup } from '../../src/store/store.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

/*
 * Thousands of random and mutated requests against every route the app registers (found with an
 * onRoute hook, so new routes are covered without touching this file): no 5xx, every 4xx says
 * what is wrong, and a rejected request leaves the store as it was. FUZZ_SEED replays a run,
 * FUZZ_COUNT changes the number of requests.
 */

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);
const GROUP_WAIT = 60_000;
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const count = Number(process.env.FUZZ_COUNT ?? 3000);
const BODY_LIMIT = 64 * 1024;
/** One rejected request in this many has its effect checked against a full scan of the store. */
const FULL_SNAPSHOT_EVERY = 4;

const CONFIG = `
route:
  receiver: fuzz
  group_by: [alertname]
  group_wait: ${GROUP_WAIT / 1000}s
  group_interval: 5m
  routes:
    - receiver: team
      matchers: ['team=~"db|web"']
      group_by: ['...']
receivers:
  - name: fuzz
    webhook_configs:
      - url: http://127.0.0.1:9/fuzz
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/team
        send_resolved: false
`;

/**
 * The memory store, keeping its groups from the scheduler until told to (so that only requests
 * change it), and counting writes. While it does, it shows no due time either: a store that has
 * due groups it will not hand out would make the scheduler loop without sleeping.
 */
class FuzzStore extends MemoryStore {
  claiming = false;
  appliedWrites = 0;

  override async claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]> {
    return this.claiming ? super.claimDue(now, leaseMs, limit) : [];
  }

  override async nextDue(): Promise<number | undefined> {
    return this.claiming ? super.nextDue() : undefined;
  }

  override async writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    const applied = await super.writeAlerts(writes);
    this.appliedWrites += applied.filter(Boolean).length;
    return applied;
  }

  async allGroups(): Promise<StoredGroup[]> {
    const groups: StoredGroup[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.scanGroups(after, 1000);
      groups.push(...page.groups);
      if (page.next === undefined) return groups;
      after = page.next;
    }
  }
}

/** Renders each notification as the webhook would, so that fuzzed alerts also go through encoding. */
class PayloadNotifier implements Notifier {
  readonly payloads: unknown[] = [];
  readonly failures: string[] = [];

  async notify(request: NotifyRequest): Promise<boolean> {
    try {
      const text = buildWebhookPayload(
        {
          receiver: request.receiver.name,
          groupKey: request.group.key,
          groupLabels: request.group.labels,
          alerts: request.alerts,
          at: request.tick,
          externalURL: 'http://grouper.test',
        },
        0,
      );
      this.payloads.push(JSON.parse(text));
      return true;
    } catch (error) {
      this.failures.push(`${request.group.key}: ${(error as Error).message}`);
      return false;
    }
  }
}

interface RouteInfo {
  readonly method: string;
  readonly url: string;
  /** The only 5xx it may answer: 501 or 503 when its response schema documents them. */
  readonly declared: ReadonlySet<number>;
}

interface Harness {
  readonly fastify: FastifyInstance;
  readonly store: FuzzStore;
  readonly notifier: PayloadNotifier;
  readonly routes: readonly RouteInfo[];
  readonly logs: { level: number; msg: string }[];
  readonly clock: { now: number };
  readonly dir: string;
}

async function startApp(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'grouper-fuzz-'));
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, CONFIG);
  const parsed = parseSettings([`--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0'], {});
  const settings = { ...(parsed as Settings), shutdownTimeoutMs: 1000, pollMs: 5 };
  const logs: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line));
      done();
    },
  });
  const logger: FastifyBaseLogger = pino({ level: 'warn' }, sink);
  const fastify = Fastify({ loggerInstance: logger, bodyLimit: BODY_LIMIT });
  const routes: RouteInfo[] = [];
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const response = (route.schema?.response ?? {}) as Record<string, unknown>;
    const declared = new Set(Object.keys(response).map(Number).filter((s) => s === 501 || s === 503));
    for (const method of methods) routes.push({ method, url: route.url, declared });
  });
  const store = new FuzzStore();
  const notifier = new PayloadNotifier();
  const clock = { now: NOW };
  await fastify.register(app, {
    settings,
    config: parseConfig(CONFIG, configFile),
    store,
    notifier,
    clock: () => clock.now,
    metrics: new Metrics({ version: 'fuzz', collectDefault: false }),
  });
  await fastify.ready();
  return { fastify, store, notifier, routes, logs, clock, dir };
}

// ---- request generation --------------------------------------------------------------------

const labelName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('alertname', 'job', 'instance', 'severity', 'team') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const labelValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Disk', 'Cpu', 'db', 'web', 'x', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const labels = fc.oneof(
  { weight: 9, arbitrary: fc.dictionary(labelName, labelValue, { minKeys: 1, maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(labelName, labelValue, { maxKeys: 4 }) },
);
const oddTime = fc.constantFrom(
  '',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:00:00.001Z',
  '9999-12-31T23:59:59.999999999Z',
  '1970-01-01T00:00:00Z',
  '2024-05-01 10:00:00',
  '2024-05-01T10:00Z',
  '2024-05-01T10:00:00,5+0200',
  '2024-05-01t10:00:00z',
  '2024-02-30T10:00:00Z',
  '2024-05-01T24:00:00Z',
  '2024-05-01T10:00:00+14:00',
  'now',
);
/** Mostly valid times: starts in the last hour, ends from ten minutes ago to two hours ahead. */
const time = (from: number, to: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 30, arbitrary: fc.integer({ min: NOW + from, max: NOW + to }).map(formatApiTime) },
    { weight: 1, arbitrary: oddTime },
  );
const startsAt = time(-3_600_000, 0);
const endsAt = time(-600_000, 7_200_000);
const generatorURL = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('', 'http://prom:9090/graph?g0.expr=up&g0.tab=1') },
  { weight: 1, arbitrary: fc.constantFrom('/graph', 'not a url', 'http://[::1', 'http://h:99999/', '%zz', 'mailto:x@y') },
);
const postableAlert = fc.record(
  {
    labels,
    annotations: fc.dictionary(fc.constantFrom('summary', 'runbook', '<b>'), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
    startsAt,
    endsAt,
    generatorURL,
  },
  { requiredKeys: ['labels'] },
);
const webhookAlert = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels,
  annotations: fc.dictionary(fc.constantFrom('summary'), fc.string({ maxLength: 10 }), { maxKeys: 1 }),
  startsAt,
  endsAt,
  generatorURL,
  fingerprint: fc.constantFrom('', '0123456789abcdef'),
});
const webhookMessage = fc.record({
  version: fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>('4') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('3', 4, null) }),
  groupKey: fc.constantFrom('{}:{}', '{}:{alertname="Disk"}'),
  truncatedAlerts: fc.constantFrom<unknown>(0, -1, '0'),
  status: fc.constantFrom('firing', 'resolved'),
  receiver: fc.constantFrom('am', ''),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: fc.constant({}),
  externalURL: fc.constantFrom('http://am:9093', ''),
  alerts: fc.array(webhookAlert, { maxLength: 4 }),
});
/** A body of each shape; the one matching the route is sent. */
const wellFormed = fc.record({ alerts: fc.array(postableAlert, { maxLength: 5 }), message: webhookMessage });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Mutation {
  readonly at: number;
  readonly kind: 'delete' | 'replace' | 'recase' | 'add' | 'wrap' | 'huge' | 'deep';
  readonly value: Json;
  readonly key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('delete', 'replace', 'replace', 'recase', 'add', 'wrap', 'huge', 'deep'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  key: fc.oneof(fc.constantFrom('labels', 'Labels', 'LABELS', 'startsat', 'EndsAt', 'alerts', 'version', '__proto__', 'constructor'), fc.string({ maxLength: 6 })),
});

/** Every container in `root` with the keys it holds, so a mutation can pick one. */
function places(root: Json): { parent: Json[] | { [key: string]: Json }; key: string | number }[] {
  const found: { parent: Json[] | { [key: string]: Json }; key: string | number }[] = [];
  const visit = (value: Json): void => {
    if (Array.isArray(value)) value.forEach((child, i) => (found.push({ parent: value, key: i }), visit(child)));
    else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        found.push({ parent: value, key });
        visit(value[key]);
      }
    }
  };
  visit(root);
  return found;
}

function mutate(body: Json, mutations: readonly Mutation[]): Json {
  let root = structuredClone(body);
  for (const m of mutations) {
    const spots = places(root);
    if (spots.length === 0) {
      root = m.kind === 'wrap' ? [root] : structuredClone(m.value);
      continue;
    }
    const { parent, key } = spots[m.at % spots.length];
    const slot = parent as Record<string | number, Json>;
    const value = structuredClone(m.value);
    switch (m.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete slot[key];
        break;
      case 'replace':
        slot[key] = value;
        break;
      case 'recase':
        if (!Array.isArray(parent)) {
          const moved = slot[key];
          delete slot[key];
          slot[String(key).toUpperCase()] = moved;
        }
        break;
      case 'add':
        if (Array.isArray(parent)) parent.push(value);
        else Object.defineProperty(parent, m.key, { value, enumerable: true, writable: true, configurable: true });
        break;
      case 'wrap':
        slot[key] = [slot[key]];
        break;
      case 'huge':
        slot[key] = 'x'.repeat(20_000 + (m.at % 5_000));
        break;
      case 'deep': {
        let nested: Json = slot[key];
        for (let i = 0; i < 500; i++) nested = [nested];
        slot[key] = nested;
        break;
      }
    }
  }
  return root;
}

interface Shaped {
  readonly alerts: Json;
  readonly message: Json;
}

type BodyKind =
  | { readonly kind: 'shaped'; readonly value: Shaped }
  | { readonly kind: 'json'; readonly value: Json }
  | { readonly kind: 'truncated'; readonly value: Shaped; readonly cut: number }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'oversized' }
  | { readonly kind: 'none' };

const body: fc.Arbitrary<BodyKind> = fc.oneof(
  { weight: 3, arbitrary: wellFormed.map((value) => ({ kind: 'shaped' as const, value: value as Shaped })) },
  {
    weight: 4,
    arbitrary: fc.tuple(wellFormed, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([value, mutations]) => ({
      kind: 'shaped' as const,
      value: { alerts: mutate(value.alerts as Json, mutations), message: mutate(value.message as Json, mutations) },
    })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value: value as Json })) },
  { weight: 1, arbitrary: fc.tuple(wellFormed, fc.nat()).map(([value, cut]) => ({ kind: 'truncated' as const, value: value as Shaped, cut })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((text) => ({ kind: 'text' as const, text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) },
  { weight: 1, arbitrary: fc.constantFrom<BodyKind>({ kind: 'oversized' }, { kind: 'none' }) },
);

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json;;',
      '*/*',
      '',
      undefined,
    ),
  },
);

const queryChar = fc.oneof(
  fc.constantFrom('a', 'z', '0', '=', '&', '+', '-', '_', '.', '~', ',', '"', '{', '}', '!', '*', '[', ']'),
  fc.constantFrom('%', '%zz', '%2', '%E2%82%AC', '%F0%9F', '%00', '%22', '%3D', '%26'),
);
const queryString = fc.oneof(
  fc.constant(''),
  fc.array(queryChar, { maxLength: 30 }).map((cs) => cs.join('')),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('filter', 'active', 'silenced', 'inhibited', 'receiver', 'limit', 'after', 'cursor', 'group', 'id'),
        fc.oneof(fc.constantFrom('true', 'false', '1', '-1', 'alertname="Disk"', 'alertname=~"Di.*"', '{a="b"}', 'x!~"("'), fc.string({ maxLength: 10 })),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
);

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

interface FuzzRequest {
  /** Half of the requests go to the routes that take a body. */
  readonly route: { readonly withBody: boolean; readonly index: number };
  readonly otherMethod: HTTPMethods | undefined;
  readonly segment: string;
  readonly query: string;
  readonly contentType: string | undefined;
  readonly body: BodyKind;
}

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  route: fc.record({ withBody: fc.boolean(), index: fc.nat() }),
  otherMethod: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
  segment: fc.oneof(fc.constantFrom('x', '0', 'ffffffffffffffff', '..', '%2F', '%zz'), fc.string({ maxLength: 8 }).map(encodeURIComponent)),
  query: queryString,
  contentType,
  body,
});

function toInject(request: FuzzRequest, routes: readonly RouteInfo[]): { options: InjectOptions; route: RouteInfo } {
  const withBody = routes.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH');
  const pool = request.route.withBody && withBody.length > 0 ? withBody : routes;
  const route = pool[request.route.index % pool.length];
  const method = (request.otherMethod ?? route.method) as HTTPMethods;
  const path = route.url.replace(/:[^/]+/g, request.segment).replace(/\*/g, request.segment);
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  let payload: string | Buffer | undefined;
  const b = request.body;
  const shape = (value: Shaped): Json => (route.url.includes('webhook') ? value.message : value.alerts);
  if (method !== 'GET' && method !== 'HEAD') {
    if (b.kind === 'shaped') payload = JSON.stringify(shape(b.value));
    if (b.kind === 'json') payload = JSON.stringify(b.value);
    if (b.kind === 'truncated') {
      const text = JSON.stringify(shape(b.value));
      payload = text.slice(0, b.cut % (text.length + 1));
    }
    if (b.kind === 'text') payload = b.text;
    if (b.kind === 'bytes') payload = Buffer.from(b.bytes);
    if (b.kind === 'oversized') payload = JSON.stringify([{ labels: { alertname: 'x'.repeat(BODY_LIMIT) } }]);
  }
  const url = request.query === '' ? path : `${path}?${request.query}`;
  return { options: { method, url, headers, payload }, route };
}

// ---- checks ----------------------------------------------------------------------------------

/** What a 4xx body says, or undefined when it names no problem. */
function problemText(contentType: string | undefined, text: string): string | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'string') return value.trim() || undefined;
    if (value !== null && typeof value === 'object') {
      const { message, error } = value as { message?: unknown; error?: unknown };
      if (typeof message === 'string' && message.trim() !== '') return message;
      if (typeof error === 'string' && error.trim() !== '') return error;
    }
    return undefined;
  }
  if (type === 'text/plain') return text.trim() || undefined;
  return undefined;
}

/** A 400 whose body is a JSON string lists invalid alerts of a batch whose valid ones were kept. */
function isPartialAcceptance(status: number, contentType: string | undefined, text: string): boolean {
  return status === 400 && (contentType ?? '').startsWith('application/json') && text.trimStart().startsWith('"');
}

describe('fuzzing the HTTP routes', () => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    h = await startApp();
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    if (h === undefined) return;
    await h.fastify.close();
    await rm(h.dir, { recursive: true, force: true });
  });

  it('finds the routes the app registers', () => {
    const names = new Set(h.routes.map((r) => `${r.method} ${r.url}`));
    for (const expected of ['POST /api/v2/alerts', 'POST /webhook', 'GET /-/healthy', 'GET /-/ready', 'GET /metrics']) {
      assert.ok(names.has(expected), `${expected} is registered`);
    }
  });

  it(`answers ${count} random and mutated requests without a 5xx, naming every problem, keeping state on rejection`, async (t) => {
    const statuses = new Map<number, number>();
    let rejected = 0;
    let fullChecks = 0;
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (request) => {
        const { options, route } = toInject(request, h.routes);
        const fullCheck = rejected % FULL_SNAPSHOT_EVERY === 0;
        const writesBefore = h.store.appliedWrites;
        const before = fullCheck ? JSON.stringify(await h.store.allGroups()) : '';
        const response = await h.fastify.inject(options);
        const status = response.statusCode;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const where = `${options.method} ${options.url} → ${status} ${response.body.slice(0, 300)}`;
        assert.ok(status < 500 || route.declared.has(status), `server error: ${where}`);
        if (status < 400) return;
        const contentType = response.headers['content-type'] as string | undefined;
        if (options.method !== 'HEAD') {
          assert.ok(problemText(contentType, response.body) !== undefined, `a ${status} without a readable reason: ${where}`);
        }
        if (isPartialAcceptance(status, contentType, response.body)) return;
        rejected++;
        assert.equal(h.store.appliedWrites, writesBefore, `a rejected request wrote alerts: ${where}`);
        if (fullCheck) {
          fullChecks++;
          assert.equal(JSON.stringify(await h.store.allGroups()), before, `a rejected request changed the store: ${where}`);
        }
      }),
      { numRuns: count, seed, includeErrorInReport: true },
    );
    const health = await h.fastify.inject({ method: 'GET', url: '/-/healthy' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(unhandled, []);
    assert.deepEqual(h.logs.filter((l) => l.level >= 50), [], 'nothing was logged as an error');
    const accepted = h.store.appliedWrites;
    assert.ok(accepted > 0 && rejected > count / 10, `both accepted (${accepted} writes) and rejected (${rejected}) requests`);
    t.diagnostic(`seed ${seed}; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${rejected} rejected, ${fullChecks} checked against a full store scan`);
  });

  it('flushes every group the fuzzed alerts made and renders each notification', async (t) => {
    h.store.claiming = true;
    h.clock.now = NOW + GROUP_WAIT + 1;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const due = await h.store.nextDue();
      const groups = await h.store.allGroups();
      if ((due === undefined || due > h.clock.now) && groups.every((g) => g.lastTick > 0 || g.origin > h.clock.now)) break;
      assert.ok(Date.now() < deadline, 'the scheduler flushed the fuzzed groups in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(h.notifier.failures, []);
    assert.ok(h.notifier.payloads.length > 0, 'some fuzzed alerts were notified');
    for (const payload of h.notifier.payloads) assert.equal((payload as { version: string }).version, '4');
    assert.deepEqual(h.logs.filter((l) => l.level >= 50), [], 'nothing was logged as an error');
    t.diagnostic(`${h.notifier.payloads.length} notifications rendered`);
  });
});
