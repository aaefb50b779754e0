import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import alertmanagerV2Routes from '../../src/api/alertmanager-v2-routes.ts';
import { decodeCursor, SCAN_BUDGET } from '../../src/api/cursor.ts';
import groupsRoutes from '../../src/api/groups-routes.ts';
import reloadRoutes from '../../src/api/reload-routes.ts';
import timersRoutes from '../../src/api/timers-routes.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Alert } from '../../src/core/alert.ts';
import { fingerprint } from '../../src/core/fingerprint.ts';
import { planFlush, settleFlush } from '../../src/core/flush.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { Dispatcher } from '../../src/engine/dispatcher.ts';
import { buildRuntime, integrationsOf, placeGroup, type Runtime } from '../../src/engine/runtime.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import {
  MemoryReplicaRegistry,
  newReplicaName,
  RedisReplicaRegistry,
  type ReplicaRegistry,
} from '../../src/store/replica-registry.ts';
import type { Store } from '../../src/store/store.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { version } from '../../src/version.ts';

const SHARED_REDIS = 'redis://127.0.0.1:6379';
const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const STARTED = T0 - 3_600_000;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
      continue: true
    - receiver: team-db
      matchers: ['team="db"']
      group_by: [alertname, instance]
      group_wait: 10s
receivers:
  - name: default
    webhook_configs: [{ url: 'http://127.0.0.1:9/default' }]
  - name: pager
    webhook_configs: [{ url: 'http://127.0.0.1:9/pager' }]
  - name: team-db
    webhook_configs: [{ url: 'http://127.0.0.1:9/db' }]
`;

type StoreKind = 'memory' | 'redis';

let admin: Redis;
const prefixes: string[] = [];

before(async () => {
  admin = new Redis(SHARED_REDIS);
});

after(async () => {
  await admin.quit();
});

function uniquePrefix(): string {
  const prefix = `grouper-test-query-${process.pid}-${Date.now().toString(36)}-${prefixes.length}`;
  prefixes.push(prefix);
  return prefix;
}

async function deleteKeys(prefix: string): Promise<void> {
  for await (const batch of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
    if ((batch as string[]).length > 0) await admin.unlink(...(batch as string[]));
  }
}

async function connect(): Promise<Redis> {
  const client = createRedisClient({ url: SHARED_REDIS, prefix: 'unused' }) as Redis;
  await client.connect();
  return client;
}

/** The query routes on a Fastify instance decorated as app.ts decorates it, over a real store. */
class Harness {
  now = T0;
  runtime: Runtime;
  readonly app: FastifyInstance;
  readonly metrics = new Metrics({ version: 'test', collectDefault: false });
  readonly #dispatcher: Dispatcher;

  private constructor(
    readonly store: Store,
    readonly replicas: ReplicaRegistry,
    readonly configFile: string,
    readonly cleanup: () => Promise<void>,
    runtime: Runtime,
  ) {
    this.runtime = runtime;
    this.#dispatcher = new Dispatcher({ store, runtime: () => this.runtime, onWake: () => {}, metrics: this.metrics });
    const app = Fastify();
    app.decorate('store', store);
    app.decorate('runtime', () => this.runtime);
    app.decorate('replicas', replicas);
    app.decorate('storage', () => ({ store: 'memory' as const, mode: 'memory' as const, degraded: false }));
    app.decorate('startedAt', STARTED);
    app.decorate('clock', () => this.now);
    app.decorate('metrics', this.metrics);
    app.decorate('reloadConfig', async () => {
      this.runtime = buildRuntime(await loadConfig(configFile));
    });
    app.register(groupsRoutes);
    app.register(timersRoutes);
    app.register(alertmanagerV2Routes);
    app.register(reloadRoutes);
    this.app = app;
  }

  static async open(kind: StoreKind): Promise<Harness> {
    const dir = await mkdtemp(join(tmpdir(), 'grouper-query-'));
    const configFile = join(dir, 'alertmanager.yml');
    await writeFile(configFile, CONFIG);
    const runtime = buildRuntime(await loadConfig(configFile));
    const self = { name: newReplicaName(STARTED), address: '10.0.0.1:9093', startedAt: STARTED };
    let store: Store;
    let replicas: ReplicaRegistry;
    let prefix: string | undefined;
    let registryClient: Redis | undefined;
    if (kind === 'memory') {
      store = new MemoryStore();
      replicas = new MemoryReplicaRegistry(self, () => T0);
    } else {
      prefix = uniquePrefix();
      store = new RedisStore(await connect(), { prefix });
      registryClient = await connect();
      replicas = new RedisReplicaRegistry(registryClient, { prefix, self, clock: () => T0 });
    }
    const cleanup = async () => {
      await store.close();
      await registryClient?.quit();
      if (prefix !== undefined) await deleteKeys(prefix);
      await rm(dir, { recursive: true, force: true });
    };
    const harness = new Harness(store, replicas, configFile, cleanup, runtime);
    await harness.app.ready();
    return harness;
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.cleanup();
  }

  alert(labels: LabelSet, more: Partial<Alert> = {}): Alert {
    return {
      fingerprint: fingerprint(labels),
      labels,
      annotations: {},
      startsAt: this.now,
      endsAt: this.now + DAY,
      generatorURL: '',
      updatedAt: this.now,
      timeout: false,
      ...more,
    };
  }

  async ingest(...alerts: Alert[]): Promise<void> {
    for (let i = 0; i < alerts.length; i += 1000) await this.#dispatcher.ingest(alerts.slice(i, i + 1000), this.now);
  }

  /** Flushes every group due now as the scheduler would, every delivery succeeding. */
  async flushDue(): Promise<number> {
    const claims = await this.store.claimDue(this.now, MINUTE, 100_000);
    for (const claim of claims) {
      const group = (await this.store.loadGroup(claim.groupId))!;
      const route = placeGroup(this.runtime, group).route!;
      const integrations = integrationsOf(this.runtime.receivers.get(route.receiver)!);
      const plan = planFlush(group, route, integrations, this.now);
      const outcome = settleFlush(group, route, integrations, plan, plan.sends.map(() => true));
      assert.ok(await this.store.commit(claim, outcome));
    }
    return claims.length;
  }

  async get(url: string): Promise<{ status: number; body: any; text: string }> {
    const response = await this.app.inject({ method: 'GET', url });
    const text = response.body;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body, text };
  }

  async groupIds(): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.store.scanGroups(after, 1000);
      ids.push(...page.groups.map((g) => g.id));
      after = page.next;
    } while (after !== undefined);
    return ids;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const q = (params: Record<string, string | string[]>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [value].flat()) search.append(name, v);
  }
  return search.toString();
};

for (const kind of ['memory', 'redis'] as const) {
  describe(`query API (${kind} store)`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = await Harness.open(kind);
    });
    afterEach(() => h.close());

    describe('GET /api/v1/groups', () => {
      it('lists groups with their counts, times and notification state', async () => {
        const firing = h.alert({ alertname: 'Disk', instance: 'a' });
        const resolved = h.alert({ alertname: 'Disk', instance: 'b' }, { endsAt: T0 - SECOND });
        await h.ingest(firing, resolved);
        let { status, body } = await h.get('/api/v1/groups');
        assert.equal(status, 200);
        assert.equal(body.groups.length, 1);
        const [group] = body.groups;
        assert.match(group.id, /^[0-9a-f]{32}$/);
        assert.deepEqual(body, {
          groups: [
            {
              id: group.id,
              groupKey: '{}:{alertname="Disk"}',
              receiver: 'default',
              routeId: '{}',
              groupLabels: { alertname: 'Disk' },
              alertCounts: { firing: 1, resolved: 1 },
              createdAt: iso(T0),
              lastNotification: null,
              nextFlush: iso(T0 + 30 * SECOND),
            },
          ],
        });

        h.now = T0 + 30 * SECOND;
        assert.equal(await h.flushDue(), 1);
        ({ body } = await h.get('/api/v1/groups'));
        assert.equal(body.groups[0].lastNotification, iso(T0 + 30 * SECOND));
        assert.equal(body.groups[0].nextFlush, iso(T0 + 30 * SECOND + 60 * MINUTE), 'the repeat: nothing changes before');
        assert.deepEqual(body.groups[0].alertCounts, { firing: 1, resolved: 0 }, 'the sent resolved alert was removed');
      });

      it('filters by receiver, matchers and state', async () => {
        h.now = T0;
        await h.ingest(
          h.alert({ alertname: 'Disk', severity: 'critical' }),
          h.alert({ alertname: 'Disk', severity: 'warning' }),
          h.alert({ alertname: 'Cpu', severity: 'warning', env: 'prod' }),
          h.alert({ alertname: 'Mem', team: 'db', instance: 'db1' }, { endsAt: T0 - SECOND }),
        );
        const keys = async (params: Record<string, string | string[]>) => {
          const { status, body } = await h.get(`/api/v1/groups?${q(params)}`);
          assert.equal(status, 200, JSON.stringify(body));
          return body.groups.map((g: { groupKey: string }) => g.groupKey).sort();
        };
        assert.deepEqual(await keys({}), [
          '{}/{severity="critical"}:{alertname="Disk"}',
          '{}/{team="db"}:{alertname="Mem", instance="db1"}',
          '{}:{alertname="Cpu"}',
          '{}:{alertname="Disk"}',
        ]);
        assert.deepEqual(await keys({ receiver: 'pager' }), ['{}/{severity="critical"}:{alertname="Disk"}']);
        assert.deepEqual(await keys({ receiver: 'page' }), [], 'receiver is an exact name');
        assert.deepEqual(await keys({ filter: 'alertname="Disk"' }), [
          '{}/{severity="critical"}:{alertname="Disk"}',
          '{}:{alertname="Disk"}',
        ]);
        assert.deepEqual(await keys({ filter: 'env=~"pro.*"' }), ['{}:{alertname="Cpu"}'], 'a label outside the group labels');
        assert.deepEqual(await keys({ filter: ['severity!="critical"', 'alertname=~"Disk|Mem"'] }), [
          '{}/{team="db"}:{alertname="Mem", instance="db1"}',
          '{}:{alertname="Disk"}',
        ]);
        assert.deepEqual(await keys({ state: 'resolved' }), ['{}/{team="db"}:{alertname="Mem", instance="db1"}']);
        assert.deepEqual(await keys({ state: 'firing', filter: 'team="db"' }), []);
        assert.deepEqual(await keys({ state: 'firing', receiver: 'default', filter: 'severity="warning"' }), [
          '{}:{alertname="Cpu"}',
          '{}:{alertname="Disk"}',
        ]);
      });

      it('rejects an invalid matcher, state or limit with {code, message}', async () => {
        let { status, body } = await h.get(`/api/v1/groups?${q({ filter: ['a="1"', 'foo=~"("'] })}`);
        assert.equal(status, 400);
        assert.equal(body.code, 400);
        assert.match(body.message, /^invalid filter: cannot parse matchers "foo=~\\"\(\\"": /);
        ({ status, body } = await h.get('/api/v1/groups?state=pending'));
        assert.equal(status, 400);
        assert.equal(body.code, 400);
        assert.match(body.message, /state/);
        for (const limit of ['0', '1001', 'ten']) {
          ({ status, body } = await h.get(`/api/v1/groups?limit=${limit}`));
          assert.equal(status, 400, limit);
          assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
          assert.match(body.message, /limit/);
        }
      });

      it('pages 100 at a time by default, in ascending id order', async () => {
        await h.ingest(...Array.from({ length: 150 }, (_, i) => h.alert({ alertname: `A${i}` })));
        const first = await h.get('/api/v1/groups');
        assert.equal(first.body.groups.length, 100);
        assert.equal(typeof first.body.nextCursor, 'string');
        const second = await h.get(`/api/v1/groups?cursor=${encodeURIComponent(first.body.nextCursor)}`);
        assert.equal(second.body.groups.length, 50);
        assert.equal(second.body.nextCursor, undefined);
        const ids = [...first.body.groups, ...second.body.groups].map((g: { id: string }) => g.id);
        assert.deepEqual(ids, await h.groupIds());
        assert.deepEqual(ids, [...ids].sort());
      });

      it('answers 400 "invalid cursor" for a tampered cursor', async () => {
        await h.ingest(...Array.from({ length: 3 }, (_, i) => h.alert({ alertname: `A${i}` })));
        const { body } = await h.get('/api/v1/groups?limit=1');
        const cursor: string = body.nextCursor;
        const [payload, check] = cursor.split('.');
        const otherId = Buffer.from('0'.repeat(32)).toString('base64url');
        for (const tampered of [`${otherId}.${check}`, `${payload}.${check.slice(1)}`, payload, 'garbage', `.${check}`]) {
          const answer = await h.get(`/api/v1/groups?cursor=${encodeURIComponent(tampered)}`);
          assert.equal(answer.status, 400, tampered);
          assert.deepEqual(answer.body, { code: 400, message: 'invalid cursor' });
        }
        const timers = await h.get(`/api/v1/timers?cursor=${encodeURIComponent(`${otherId}.${check}`)}`);
        assert.deepEqual(timers.body, { code: 400, message: 'invalid cursor' });
      });

      it('pages through 10k groups with neither duplicates nor gaps while groups are added', async () => {
        await h.ingest(...Array.from({ length: 10_000 }, (_, i) => h.alert({ alertname: `A${i}`, shard: String(i % 1000) })));
        const original = await h.groupIds();
        assert.equal(original.length, 10_000);
        const seen: string[] = [];
        let cursor: string | undefined;
        let added = 0;
        do {
          const { status, body } = await h.get(`/api/v1/groups?limit=700${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          assert.equal(status, 200);
          seen.push(...body.groups.map((g: { id: string }) => g.id));
          cursor = body.nextCursor;
          await h.ingest(...Array.from({ length: 50 }, () => h.alert({ alertname: `B${added++}` })));
        } while (cursor !== undefined);
        assert.equal(new Set(seen).size, seen.length, 'no duplicates');
        assert.deepEqual(seen, [...seen].sort(), 'ascending');
        const listed = new Set(seen);
        assert.deepEqual(original.filter((id) => !listed.has(id)), [], 'no gaps');
        assert.ok(seen.length > 10_000, 'some groups created meanwhile were listed too');

        // A filter matching few groups: pages may come back short, but paging finds them all.
        const matching: string[] = [];
        let requests = 0;
        cursor = undefined;
        do {
          const params = q({ filter: 'shard="7"', limit: '4', ...(cursor && { cursor }) });
          const { body } = await h.get(`/api/v1/groups?${params}`);
          assert.ok(body.groups.length <= 4);
          matching.push(...body.groups.map((g: { groupKey: string }) => g.groupKey));
          cursor = body.nextCursor;
          requests++;
        } while (cursor !== undefined);
        assert.equal(matching.length, 10);
        assert.deepEqual(
          matching.sort(),
          Array.from({ length: 10 }, (_, k) => `{}:{alertname="A${k * 1000 + 7}"}`).sort(),
        );
        assert.ok(requests >= 3, `${requests} requests`);

        // One request examines SCAN_BUDGET groups at most, then hands back a cursor after the last.
        const all = await h.groupIds();
        const empty = await h.get(`/api/v1/groups?${q({ filter: 'alertname="none"' })}`);
        assert.deepEqual(empty.body.groups, []);
        assert.equal(decodeCursor(empty.body.nextCursor), all[SCAN_BUDGET - 1]);
        const rest = await h.get(`/api/v1/groups?${q({ filter: 'alertname="none"', cursor: empty.body.nextCursor })}`);
        assert.deepEqual(rest.body, { groups: [] });
      });

      it('fills filtered pages from several store batches without skipping any group', async () => {
        await h.ingest(...Array.from({ length: 400 }, (_, i) => h.alert({ alertname: `A${i}`, parity: String(i % 2) })));
        const expected = (await h.get(`/api/v1/groups?${q({ filter: 'parity="1"', limit: '1000' })}`)).body.groups;
        assert.equal(expected.length, 200);
        const paged: unknown[] = [];
        let cursor: string | undefined;
        do {
          const { body } = await h.get(`/api/v1/groups?${q({ filter: 'parity="1"', limit: '7', ...(cursor && { cursor }) })}`);
          assert.ok(body.groups.length === 7 || body.nextCursor === undefined, 'only the last page is short');
          paged.push(...body.groups);
          cursor = body.nextCursor;
        } while (cursor !== undefined);
        assert.deepEqual(paged, expected);
      });
    });

    describe('GET /api/v1/groups/:id', () => {
      it('shows the alerts in notification order and the notify log', async () => {
        const endsAt = T0 + 5 * MINUTE;
        const b = h.alert({ alertname: 'Disk', instance: 'b', job: 'node' }, { endsAt, annotations: { summary: 'full' }, generatorURL: 'http://prom/graph' });
        const a = h.alert({ alertname: 'Disk', instance: 'a', job: 'node' }, { endsAt });
        await h.ingest(b, a);
        h.now = T0 + 30 * SECOND;
        await h.flushDue();
        h.now = T0 + MINUTE;
        const [id] = await h.groupIds();
        const { status, body } = await h.get(`/api/v1/groups/${id}`);
        assert.equal(status, 200);
        assert.equal(body.id, id);
        assert.equal(body.lastNotification, iso(T0 + 30 * SECOND));
        assert.deepEqual(body.alerts, [
          {
            fingerprint: a.fingerprint,
            status: 'firing',
            labels: a.labels,
            annotations: {},
            startsAt: iso(T0),
            endsAt: iso(T0 + 5 * MINUTE),
            updatedAt: iso(T0),
            generatorURL: '',
          },
          {
            fingerprint: b.fingerprint,
            status: 'firing',
            labels: b.labels,
            annotations: { summary: 'full' },
            startsAt: iso(T0),
            endsAt: iso(T0 + 5 * MINUTE),
            updatedAt: iso(T0),
            generatorURL: 'http://prom/graph',
          },
        ]);
        assert.deepEqual(body.notifyLog, [
          {
            integration: 'default/webhook/0',
            notifiedAt: iso(T0 + 30 * SECOND),
            firing: [a.fingerprint, b.fingerprint],
            resolved: [],
          },
        ]);
        h.now = T0 + 6 * MINUTE;
        const later = await h.get(`/api/v1/groups/${id}`);
        assert.deepEqual(later.body.alerts.map((x: { status: string }) => x.status), ['resolved', 'resolved']);
        assert.deepEqual(later.body.alertCounts, { firing: 0, resolved: 2 });
      });

      it('answers 404 for an unknown id', async () => {
        const { status, body } = await h.get('/api/v1/groups/0123456789abcdef0123456789abcdef');
        assert.equal(status, 404);
        assert.deepEqual(body, { code: 404, message: 'group 0123456789abcdef0123456789abcdef not found' });
      });
    });

    describe('/api/v1/timers', () => {
      /** A flushed default group (repeat pending), a fresh one, a team-db group; at T0 + 2m. */
      async function scenario() {
        await h.ingest(h.alert({ alertname: 'Old' }));
        h.now = T0 + 30 * SECOND;
        await h.flushDue();
        h.now = T0 + MINUTE;
        await h.ingest(h.alert({ alertname: 'New' }), h.alert({ alertname: 'Db', team: 'db', instance: 'x' }));
        h.now = T0 + 2 * MINUTE;
        const ids = new Map<string, string>();
        for (const { body } of [await h.get('/api/v1/groups')]) {
          for (const g of body.groups) ids.set(g.groupLabels.alertname, g.id);
        }
        return ids;
      }

      it('lists each group with the timer it waits on', async () => {
        const ids = await scenario();
        const { status, body } = await h.get('/api/v1/timers');
        assert.equal(status, 200);
        const byName = new Map(body.timers.map((t: { groupId: string }) => [t.groupId, t]));
        assert.deepEqual(byName.get(ids.get('Old')), {
          groupId: ids.get('Old'),
          groupKey: '{}:{alertname="Old"}',
          receiver: 'default',
          type: 'repeat_interval',
          dueAt: iso(T0 + 30 * SECOND + 60 * MINUTE),
          duration: 60 * MINUTE,
        });
        assert.deepEqual(byName.get(ids.get('New')), {
          groupId: ids.get('New'),
          groupKey: '{}:{alertname="New"}',
          receiver: 'default',
          type: 'group_wait',
          dueAt: iso(T0 + MINUTE + 30 * SECOND),
          duration: 30 * SECOND,
        });
        assert.deepEqual(byName.get(ids.get('Db')), {
          groupId: ids.get('Db'),
          groupKey: '{}/{team="db"}:{alertname="Db", instance="x"}',
          receiver: 'team-db',
          type: 'group_wait',
          dueAt: iso(T0 + MINUTE + 10 * SECOND),
          duration: 10 * SECOND,
        });
        assert.deepEqual(body.timers.map((t: { groupId: string }) => t.groupId), [...ids.values()].sort());

        // A new alert in the flushed group wakes it at the next group_interval tick.
        await h.ingest(h.alert({ alertname: 'Old', instance: 'another' }));
        const woken = await h.get(`/api/v1/timers/${ids.get('Old')}`);
        assert.equal(woken.status, 200);
        assert.equal(woken.body.type, 'group_interval');
        assert.equal(woken.body.dueAt, iso(T0 + 30 * SECOND + 5 * MINUTE));
        assert.equal(woken.body.duration, 5 * MINUTE);
      });

      it('filters by type, receiver and dueWithin, and pages', async () => {
        const ids = await scenario();
        const listed = async (params: Record<string, string>) => {
          const { status, body } = await h.get(`/api/v1/timers?${q(params)}`);
          assert.equal(status, 200, JSON.stringify(body));
          return body.timers.map((t: { groupId: string }) => t.groupId).sort();
        };
        assert.deepEqual(await listed({ type: 'repeat_interval' }), [ids.get('Old')]);
        assert.deepEqual(await listed({ type: 'group_wait' }), [ids.get('Db'), ids.get('New')].sort());
        assert.deepEqual(await listed({ type: 'group_interval' }), []);
        assert.deepEqual(await listed({ receiver: 'team-db' }), [ids.get('Db')]);
        assert.deepEqual(await listed({ dueWithin: '0s' }), [ids.get('Db'), ids.get('New')].sort(), 'overdue ones');
        assert.deepEqual(await listed({ dueWithin: '58m' }), [ids.get('Db'), ids.get('New')].sort());
        assert.deepEqual(await listed({ dueWithin: '1h' }), [...ids.values()].sort());

        const first = await h.get('/api/v1/timers?limit=2');
        assert.equal(first.body.timers.length, 2);
        const rest = await h.get(`/api/v1/timers?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
        assert.equal(rest.body.timers.length, 1);
        assert.equal(rest.body.nextCursor, undefined);
        assert.deepEqual(
          [...first.body.timers, ...rest.body.timers].map((t: { groupId: string }) => t.groupId),
          [...ids.values()].sort(),
        );
      });

      it('rejects a bad dueWithin or type and answers 404 for an unknown group', async () => {
        let { status, body } = await h.get('/api/v1/timers?dueWithin=5 minutes');
        assert.equal(status, 400);
        assert.deepEqual(body, { code: 400, message: 'invalid dueWithin: not a valid duration "5 minutes"' });
        ({ status, body } = await h.get('/api/v1/timers?type=group_waiting'));
        assert.equal(status, 400);
        assert.match(body.message, /type/);
        ({ status, body } = await h.get('/api/v1/timers/ffffffffffffffffffffffffffffffff'));
        assert.equal(status, 404);
        assert.deepEqual(body, { code: 404, message: 'group ffffffffffffffffffffffffffffffff not found' });
      });

      it('has no timer for a group the configuration in force has no route for', async () => {
        await h.ingest(h.alert({ alertname: 'Db', team: 'db', instance: 'x' }));
        const [id] = await h.groupIds();
        await writeFile(h.configFile, CONFIG.replace("matchers: ['team=\"db\"']", "matchers: ['team=\"database\"']"));
        assert.equal((await h.app.inject({ method: 'POST', url: '/-/reload' })).statusCode, 200);
        const { status, body } = await h.get(`/api/v1/timers/${id}`);
        assert.equal(status, 404);
        assert.match(body.message, /has no timer: the configuration in force has no route for it/);
        assert.deepEqual((await h.get('/api/v1/timers')).body.timers, []);
        const stats = await h.get('/api/v1/timers/stats');
        assert.equal(stats.body.withoutRoute, 1);
        assert.equal(stats.body.timers, 0);
      });

      it('sums timers by type, overdue ones and flush lateness', async () => {
        await scenario();
        let { status, body } = await h.get('/api/v1/timers/stats');
        assert.equal(status, 200);
        assert.deepEqual(body, {
          timers: 3,
          byType: { group_wait: 2, group_interval: 0, repeat_interval: 1 },
          withoutRoute: 0,
          overdue: 2,
          maxOverdueMs: 2 * MINUTE - (MINUTE + 10 * SECOND),
          flushLateness: { flushes: 0, meanMs: null, p50Ms: null, p99Ms: null },
        });
        for (const seconds of [0.001, 0.002, 0.003, 0.004]) h.metrics.flush('sent', seconds);
        h.now = T0 + MINUTE + 30 * SECOND + 500;
        ({ body } = await h.get('/api/v1/timers/stats'));
        assert.equal(body.overdue, 1, 'due 0.5 s ago is not overdue yet');
        assert.equal(body.flushLateness.flushes, 4);
        assert.ok(Math.abs(body.flushLateness.meanMs - 2.5) < 1e-9);
        // Buckets 1 ms, 2.5 ms, 5 ms hold 1, 2 and 4 of them: the median is the 2.5 ms bucket's top.
        assert.ok(Math.abs(body.flushLateness.p50Ms - 2.5) < 1e-9, String(body.flushLateness.p50Ms));
        assert.ok(body.flushLateness.p99Ms > 2.5 && body.flushLateness.p99Ms <= 5);
      });
    });

    describe('Alertmanager API v2', () => {
      it('GET /api/v2/alerts lists unresolved alerts by fingerprint with their routing', async () => {
        const critical = h.alert(
          { alertname: 'Disk', severity: 'critical', team: 'db', instance: 'i' },
          { annotations: { summary: 'disk full' }, generatorURL: 'http://prom/graph?g0' },
        );
        const plain = h.alert({ alertname: 'Cpu' });
        const gone = h.alert({ alertname: 'Gone' }, { endsAt: T0 });
        await h.ingest(critical, plain, gone);
        const { status, body } = await h.get('/api/v2/alerts');
        assert.equal(status, 200);
        const expected = [
          {
            annotations: { summary: 'disk full' },
            endsAt: iso(T0 + DAY),
            fingerprint: critical.fingerprint,
            receivers: [{ name: 'pager' }, { name: 'team-db' }],
            startsAt: iso(T0),
            status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
            updatedAt: iso(T0),
            generatorURL: 'http://prom/graph?g0',
            labels: critical.labels,
          },
          {
            annotations: {},
            endsAt: iso(T0 + DAY),
            fingerprint: plain.fingerprint,
            receivers: [{ name: 'default' }],
            startsAt: iso(T0),
            status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
            updatedAt: iso(T0),
            labels: plain.labels,
          },
        ].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
        assert.deepEqual(body, expected);
      });

      it('GET /api/v2/alerts filters by matchers, receiver regex and flags', async () => {
        const critical = h.alert({ alertname: 'Disk', severity: 'critical', team: 'db', instance: 'i' });
        const plain = h.alert({ alertname: 'Cpu' });
        await h.ingest(critical, plain);
        const fingerprints = async (query: string) => {
          const { status, body } = await h.get(`/api/v2/alerts?${query}`);
          assert.equal(status, 200, JSON.stringify(body));
          return body.map((a: { fingerprint: string }) => a.fingerprint);
        };
        assert.deepEqual(await fingerprints(q({ filter: 'alertname="Cpu"' })), [plain.fingerprint]);
        assert.deepEqual(await fingerprints(q({ filter: ['alertname=~"Disk|Cpu"', 'severity!="critical"'] })), [plain.fingerprint]);
        assert.deepEqual(await fingerprints(q({ receiver: 'team-db' })), [critical.fingerprint], 'any of its receivers');
        assert.deepEqual(await fingerprints(q({ receiver: 'team' })), [], 'anchored');
        assert.deepEqual(await fingerprints(q({ receiver: 'default|pager' })), [critical.fingerprint, plain.fingerprint].sort());
        assert.deepEqual(await fingerprints('active=false'), []);
        assert.equal((await fingerprints('silenced=false&inhibited=false&unprocessed=false')).length, 2);
      });

      it('answers Alertmanager-style 400s: JSON strings for bad filters and receivers', async () => {
        let response = await h.app.inject({ method: 'GET', url: `/api/v2/alerts?${q({ filter: 'foo=~"("' })}` });
        assert.equal(response.statusCode, 400);
        assert.match(response.headers['content-type'] as string, /^application\/json/);
        assert.match(response.body, /^"invalid filter: cannot parse matchers .*"\n$/);
        response = await h.app.inject({ method: 'GET', url: `/api/v2/alerts/groups?${q({ receiver: 'a(' })}` });
        assert.equal(response.statusCode, 400);
        assert.match(JSON.parse(response.body), /^failed to parse receiver param: /);
        response = await h.app.inject({ method: 'GET', url: '/api/v2/alerts?active=maybe' });
        assert.equal(response.statusCode, 400);
        assert.equal(response.json().code, 400);
        assert.match(response.json().message, /active/);
      });

      it('GET /api/v2/alerts/groups sorts groups and alerts as Alertmanager does', async () => {
        const diskB = h.alert({ alertname: 'Disk', instance: 'b', severity: 'critical' });
        const diskA = h.alert({ alertname: 'Disk', instance: 'a', severity: 'critical', job: 'node' });
        const cpu = h.alert({ alertname: 'Cpu' });
        const db = h.alert({ alertname: 'Disk', team: 'db', instance: 'db1', severity: 'critical' });
        const resolvedOnly = h.alert({ alertname: 'Zzz' }, { endsAt: T0 - SECOND });
        await h.ingest(diskB, diskA, cpu, db, resolvedOnly);
        const { status, body } = await h.get('/api/v2/alerts/groups');
        assert.equal(status, 200);
        const summary = body.map((g: any) => ({
          labels: g.labels,
          receiver: g.receiver.name,
          alerts: g.alerts.map((a: any) => [a.labels.instance ?? '', a.receivers.map((r: { name: string }) => r.name)]),
        }));
        assert.deepEqual(summary, [
          { labels: { alertname: 'Cpu' }, receiver: 'default', alerts: [['', ['default']]] },
          {
            labels: { alertname: 'Disk' },
            receiver: 'pager',
            alerts: [['a', ['pager']], ['b', ['pager']], ['db1', ['pager', 'team-db']]],
          },
          { labels: { alertname: 'Disk', instance: 'db1' }, receiver: 'team-db', alerts: [['db1', ['pager', 'team-db']]] },
        ]);
        assert.deepEqual(body[0].alerts[0].status, { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] });

        const byReceiver = await h.get(`/api/v2/alerts/groups?${q({ receiver: 'team-.*' })}`);
        assert.deepEqual(
          byReceiver.body.map((g: any) => [g.receiver.name, g.alerts.map((a: any) => a.receivers.map((r: any) => r.name))]),
          [['team-db', [['team-db']]]],
          'receivers of the groups listed',
        );
        const filtered = await h.get(`/api/v2/alerts/groups?${q({ filter: 'instance=~"a|db1"' })}`);
        assert.deepEqual(
          filtered.body.map((g: any) => [g.receiver.name, g.alerts.length]),
          [['pager', 2], ['team-db', 1]],
        );
        assert.deepEqual((await h.get('/api/v2/alerts/groups?active=false')).body, []);
      });

      it('GET /api/v2/status describes this replica, its peers, the config and version', async () => {
        await h.replicas.start();
        const { status, body } = await h.get('/api/v2/status');
        assert.equal(status, 200);
        assert.deepEqual(body, {
          cluster: {
            name: h.replicas.self.name,
            status: 'ready',
            peers: [{ name: h.replicas.self.name, address: '10.0.0.1:9093' }],
          },
          config: { original: h.runtime.config.original },
          uptime: iso(STARTED),
          versionInfo: {
            branch: 'unknown',
            buildDate: 'unknown',
            buildUser: 'unknown',
            goVersion: `node${process.versions.node}`,
            revision: 'unknown',
            version,
          },
          storage: { store: 'memory', mode: 'memory', degraded: false },
        });
        assert.match(body.config.original, /receiver: default/);
        await h.replicas.stop();
      });

      it('GET /api/v2/status still answers, with this replica only, when the peers cannot be listed', async () => {
        Object.assign(h.replicas, { peers: () => Promise.reject(new Error('redis is down')) });
        const { status, body } = await h.get('/api/v2/status');
        assert.equal(status, 200);
        assert.deepEqual(body.cluster.peers, [{ name: h.replicas.self.name, address: '10.0.0.1:9093' }]);
      });

      it('GET /api/v2/receivers and /api/v2/silences; POST /api/v2/silences is rejected', async () => {
        assert.deepEqual((await h.get('/api/v2/receivers')).body, [{ name: 'default' }, { name: 'pager' }, { name: 'team-db' }]);
        assert.deepEqual((await h.get('/api/v2/silences')).body, []);
        assert.equal((await h.get(`/api/v2/silences?${q({ filter: 'a=~"("' })}`)).status, 400);
        const response = await h.app.inject({
          method: 'POST',
          url: '/api/v2/silences',
          payload: { matchers: [{ name: 'a', value: 'b', isRegex: false }], startsAt: iso(T0), endsAt: iso(T0 + MINUTE), createdBy: 'me', comment: 'x' },
        });
        assert.equal(response.statusCode, 400);
        assert.equal(response.body, '"silences are not supported by Grouper"\n');
      });
    });

    describe('POST /-/reload', () => {
      it('answers 200 with no body and puts the new config in force', async () => {
        await writeFile(h.configFile, CONFIG.replace('name: pager', 'name: oncall').replace('receiver: pager', 'receiver: oncall'));
        const response = await h.app.inject({ method: 'POST', url: '/-/reload' });
        assert.equal(response.statusCode, 200);
        assert.equal(response.body, '');
        assert.deepEqual((await h.get('/api/v2/receivers')).body, [{ name: 'default' }, { name: 'oncall' }, { name: 'team-db' }]);
      });

      it("answers 500 'failed to reload config: <reason>' and keeps the running config", async () => {
        await writeFile(h.configFile, 'route: [');
        const response = await h.app.inject({ method: 'POST', url: '/-/reload' });
        assert.equal(response.statusCode, 500);
        assert.match(response.headers['content-type'] as string, /^text\/plain/);
        assert.match(response.body, /^failed to reload config: .+\n$/);
        assert.equal((await h.get('/api/v2/receivers')).body.length, 3);
      });
    });
  });
}

describe('RedisReplicaRegistry', () => {
  const prefix = uniquePrefix();
  const clients: Redis[] = [];
  const registry = async (name: string, clock: () => number) => {
    const client = await connect();
    clients.push(client);
    return new RedisReplicaRegistry(client, {
      prefix,
      self: { name, address: `${name}:9093`, startedAt: T0 },
      clock,
      heartbeatMs: 1_000,
    });
  };
  after(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await deleteKeys(prefix);
  });

  it('lists the replicas that heartbeat, by name, and prunes those that stopped', async () => {
    let now = T0;
    const b = await registry('B', () => now);
    const a = await registry('A', () => now);
    const c = await registry('C', () => now);
    await b.heartbeat();
    await a.heartbeat();
    await c.heartbeat();
    assert.deepEqual((await a.peers()).map((r) => [r.name, r.address, r.lastSeen]), [
      ['A', 'A:9093', T0],
      ['B', 'B:9093', T0],
      ['C', 'C:9093', T0],
    ]);
    await c.stop();
    now = T0 + 2_000;
    await a.heartbeat();
    assert.deepEqual((await a.peers()).map((r) => r.name), ['A', 'B'], 'C left; B is late but not stale');
    now = T0 + 3_001;
    assert.deepEqual((await b.peers()).map((r) => r.name), ['A'], 'B missed three heartbeats');
    await a.heartbeat();
    assert.deepEqual(Object.keys(await admin.hgetall(`${prefix}:replicas`)), ['A'], 'pruned');
    assert.ok((await admin.pttl(`${prefix}:replicas`)) > 0, 'expires when every replica has gone');
  });

  it('starts and stops while Redis is unavailable, reporting each failure', async () => {
    const unreachable = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const failures: unknown[] = [];
    const registry = new RedisReplicaRegistry(unreachable, {
      prefix,
      self: { name: 'D', address: 'D:9093', startedAt: T0 },
      onError: (err) => failures.push(err),
    });
    await registry.start();
    await registry.stop();
    assert.equal(failures.length, 2, 'the first heartbeat and the withdrawal');
    await assert.rejects(registry.peers());
    unreachable.disconnect();
  });

  it('names replicas like ULIDs, sortable by start time', () => {
    const early = newReplicaName(T0);
    const late = newReplicaName(T0 + 1);
    assert.match(early, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.notEqual(newReplicaName(T0), early);
    assert.ok(early.slice(0, 10) < late.slice(0, 10));
  });
});
