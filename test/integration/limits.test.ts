import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import alertsRoutes from '../../src/api/alerts-routes.ts';
import webhookRoutes from '../../src/api/webhook-routes.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { parseSettings, type Settings } from '../../src/config/settings.ts';
import { isResolved } from '../../src/core/alert.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { NO_LIMITS, type LimitName, type Limits } from '../../src/core/limits.ts';
import { Dispatcher } from '../../src/engine/dispatcher.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { RedisKeys } from '../../src/store/redis-keys.ts';
import { RedisMerge } from '../../src/store/redis-merge.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import type { ReadOptions, Store, StoredGroup } from '../../src/store/store.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const DAY = 24 * 60 * 60 * 1000;

/**
 * `copy="yes"` alerts go to two groups: the copies route (continue) and the catch-all; `team="db"`
 * alerts to the db route only; everything else to the catch-all. Groups by alertname.
 */
const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['copy="yes"']
      receiver: copies
      continue: true
    - matchers: ['team="db"']
      receiver: db
    - receiver: default
receivers:
  - name: default
  - name: copies
  - name: db
`;
const runtime = buildRuntime(parseConfig(CONFIG, 'limits.yml'));
const CATCH_ALL = '{}/{}/2';

type Kind = 'memory' | 'redis';
const prefixes: string[] = [];

after(async () => {
  if (prefixes.length === 0) return;
  const admin = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    const keys: string[] = [];
    for await (const batch of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await admin.unlink(...keys);
  }
  await admin.quit();
});

function newPrefix(): string {
  const prefix = `grouper-limits-test-${process.pid}-${Date.now().toString(36)}-${prefixes.length}`;
  prefixes.push(prefix);
  return prefix;
}

async function openRedis(prefix: string, countUsage?: boolean): Promise<RedisStore> {
  const client = createRedisClient({ url: REDIS_URL, prefix });
  await client.connect();
  return new RedisStore(client, { prefix, countUsage });
}

async function openStore(kind: Kind): Promise<Store> {
  return kind === 'memory' ? new MemoryStore() : openRedis(newPrefix());
}

/** The store, recording the usage reads and read options the dispatcher asks for. */
function spied(store: Store): { store: Store; usageReads: () => number; readOptions: (ReadOptions | undefined)[] } {
  let usageReads = 0;
  const readOptions: (ReadOptions | undefined)[] = [];
  const proxy = new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'usage') usageReads++;
        if (name === 'readSlots') readOptions.push(args[1] as ReadOptions | undefined);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, usageReads: () => usageReads, readOptions };
}

/** The store, answering reads a turn of the event loop late: concurrent batches then all read before any writes. */
function slowReads(store: Store): Store {
  return new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      if (name !== 'readSlots') return value.bind(target);
      return async (...args: unknown[]) => {
        await setImmediate();
        return value.apply(target, args);
      };
    },
  });
}

interface Posted {
  readonly status: number;
  /** The lines of the JSON string body; [] for none. */
  readonly lines: string[];
}

class Replica {
  readonly metrics = new Metrics({ version: 'test', collectDefault: false });
  readonly app: FastifyInstance;
  /** What the app logged at warn and above, one JSON object per line. */
  readonly logs: Record<string, unknown>[] = [];
  now = Date.now();

  constructor(
    readonly store: Store,
    limits: Partial<Limits>,
    usageMaxAgeMs = 0,
  ) {
    const dispatcher = new Dispatcher({
      store,
      runtime: () => runtime,
      onWake: () => {},
      metrics: this.metrics,
      limits: { limits: { ...NO_LIMITS, ...limits }, usageMaxAgeMs, metrics: this.metrics },
    });
    const stream = { write: (line: string) => this.logs.push(JSON.parse(line) as Record<string, unknown>) };
    this.app = Fastify({ logger: { level: 'warn', stream } });
    this.app.decorate('ingest', dispatcher);
    this.app.decorate('clock', () => this.now);
    this.app.decorate('currentConfig', () => runtime.config);
    this.app.decorate('metrics', this.metrics);
    this.app.register(alertsRoutes);
    this.app.register(webhookRoutes);
  }

  async post(alerts: readonly unknown[]): Promise<Posted> {
    return answer(await this.app.inject({ method: 'POST', url: '/api/v2/alerts', payload: alerts as object[] }));
  }

  firing(labels: LabelSet, annotations: LabelSet = {}): object {
    return { labels, annotations, endsAt: new Date(this.now + DAY).toISOString() };
  }

  resolved(labels: LabelSet): object {
    return { labels, endsAt: new Date(this.now - 1_000).toISOString() };
  }

  async refused(limit: LimitName): Promise<number> {
    const metric = await this.metrics.registry.getSingleMetric('grouper_alerts_refused_total')?.get();
    return metric?.values.find((value) => value.labels.limit === limit)?.value ?? NaN;
  }

  async groups(): Promise<readonly StoredGroup[]> {
    return (await this.store.scanGroups(undefined, 1_000)).groups;
  }

  /** The instances of the alerts in the group of this route and alertname. */
  async instances(routeId: string, alertname: string): Promise<string[]> {
    const group = (await this.groups()).find((g) => g.routeId === routeId && g.labels.alertname === alertname);
    return (group?.alerts.map((a) => a.labels.instance ?? '') ?? []).sort();
  }

  /** Flushes every group as the scheduler does after a successful send: sent resolved alerts go, empty groups too. */
  async flush(): Promise<void> {
    for (const claim of await this.store.claimDue(this.now + 365 * DAY, 60_000, 1_000)) {
      const group = (await this.store.loadGroup(claim.groupId)) as StoredGroup;
      const removeResolved = group.alerts.filter((a) => isResolved(a, this.now)).map(({ fingerprint, updatedAt }) => ({ fingerprint, updatedAt }));
      assert.equal(await this.store.commit(claim, { tick: this.now, log: {}, removeResolved, nextDue: this.now + DAY }), true);
    }
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.store.close();
  }
}

function answer(response: { statusCode: number; body: string }): Posted {
  return { status: response.statusCode, lines: response.body === '' ? [] : (JSON.parse(response.body) as string).split('\n') };
}

async function replica(kind: Kind, limits: Partial<Limits>, usageMaxAgeMs = 0): Promise<Replica> {
  const r = new Replica(await openStore(kind), limits, usageMaxAgeMs);
  await r.app.ready();
  return r;
}

const perGroupLine = (alert: string, key: string, count: number) =>
  `${alert}: alert limit reached: group ${key} holds ${count} alerts (--limits.alerts-per-group)`;

for (const kind of ['memory', 'redis'] as const) {
  describe(`limits, ${kind} store`, () => {
    it('refuses exactly the new alerts beyond --limits.alerts-per-group, and lets the alerts held update and resolve', async (t) => {
      const r = await replica(kind, { alertsPerGroup: 3 });
      t.after(() => r.close());
      const disk = (instance: string) => ({ alertname: 'Disk', instance });
      const first = await r.post(['i1', 'i2', 'i3', 'i4', 'i5'].map((i) => r.firing(disk(i))));
      assert.deepEqual(first, {
        status: 429,
        lines: [
          perGroupLine('{alertname="Disk", instance="i4"}', '{}/{}:{alertname="Disk"}', 3),
          perGroupLine('{alertname="Disk", instance="i5"}', '{}/{}:{alertname="Disk"}', 3),
        ],
      });
      assert.deepEqual(await r.instances(CATCH_ALL, 'Disk'), ['i1', 'i2', 'i3']);
      assert.equal(await r.refused('alerts_per_group'), 2);
      assert.deepEqual(
        r.logs.map(({ msg, refused, first }) => ({ msg, refused, first })),
        [{ msg: 'alerts refused by limits', refused: { alerts_per_group: 2 }, first: first.lines[0] }],
        'one warning for the request, not one per alert',
      );

      r.now += 1_000;
      const second = await r.post([r.resolved(disk('i1')), r.firing(disk('i2'), { note: 'changed' }), r.firing(disk('i6'))]);
      assert.equal(second.status, 429);
      assert.deepEqual(second.lines, [perGroupLine('{alertname="Disk", instance="i6"}', '{}/{}:{alertname="Disk"}', 3)]);
      const [group] = await r.groups();
      const held = new Map(group.alerts.map((a) => [a.labels.instance, a]));
      assert.ok(isResolved(held.get('i1')!, r.now), 'a full group still resolves');
      assert.deepEqual(held.get('i2')?.annotations, { note: 'changed' });
      assert.deepEqual([...held.keys()].sort(), ['i1', 'i2', 'i3']);
      assert.equal(await r.refused('alerts_per_group'), 3);
      assert.deepEqual(await r.post([r.firing({ alertname: 'Cpu', instance: 'i1' })]), { status: 200, lines: [] }, 'other groups are not full');
    });

    it('drops a refused alert for the full group only, keeping its copy in another group', async (t) => {
      const r = await replica(kind, { alertsPerGroup: 1 });
      t.after(() => r.close());
      assert.equal((await r.post([r.firing({ alertname: 'Disk', instance: 'i0' })])).status, 200);
      const posted = await r.post([r.firing({ alertname: 'Disk', instance: 'i1', copy: 'yes' })]);
      assert.deepEqual(posted.lines, [perGroupLine('{alertname="Disk", copy="yes", instance="i1"}', '{}/{}:{alertname="Disk"}', 1)]);
      assert.deepEqual(await r.instances('{}/{copy="yes"}/0', 'Disk'), ['i1']);
      assert.deepEqual(await r.instances(CATCH_ALL, 'Disk'), ['i0']);
    });

    it('refuses a new group beyond --limits.groups-per-route, route by route, and still adds alerts to the groups held', async (t) => {
      const r = await replica(kind, { groupsPerRoute: 2 });
      t.after(() => r.close());
      const posted = await r.post(
        ['A', 'B', 'C', 'D'].map((alertname) => r.firing({ alertname, instance: 'i1' })).concat(r.firing({ alertname: 'E', team: 'db' })),
      );
      assert.equal(posted.status, 429);
      const line = (alertname: string) =>
        `{alertname="${alertname}", instance="i1"}: group limit reached: route ${CATCH_ALL} has 2 groups, so group {}/{}:{alertname="${alertname}"} is not created (--limits.groups-per-route)`;
      assert.deepEqual(posted.lines, [line('C'), line('D')]);
      assert.deepEqual((await r.groups()).map((g) => g.key).sort(), ['{}/{team="db"}:{alertname="E"}', '{}/{}:{alertname="A"}', '{}/{}:{alertname="B"}']);
      assert.equal(await r.refused('groups_per_route'), 2);
      assert.deepEqual(await r.post([r.firing({ alertname: 'A', instance: 'i2' })]), { status: 200, lines: [] });
      assert.deepEqual(await r.instances(CATCH_ALL, 'A'), ['i1', 'i2']);
    });

    it('refuses new alerts beyond --limits.alerts, counting an alert once per group holding it', async (t) => {
      const r = await replica(kind, { alerts: 3 });
      t.after(() => r.close());
      const posted = await r.post([r.firing({ alertname: 'X', copy: 'yes' }), r.firing({ alertname: 'Y', copy: 'yes' })]);
      assert.deepEqual(posted, {
        status: 429,
        lines: ['{alertname="Y", copy="yes"}: alert limit reached: the store holds 3 alerts (--limits.alerts)'],
      });
      assert.deepEqual((await r.groups()).map((g) => `${g.key} ${g.alerts.length}`).sort(), [
        '{}/{copy="yes"}:{alertname="X"} 1',
        '{}/{copy="yes"}:{alertname="Y"} 1',
        '{}/{}:{alertname="X"} 1',
      ]);
      assert.equal(await r.refused('alerts'), 1);
      r.now += 1_000;
      assert.deepEqual(await r.post([r.resolved({ alertname: 'X', copy: 'yes' })]), { status: 200, lines: [] }, 'a full store still resolves');
    });

    it('frees room when a flush deletes sent resolved alerts and empty groups', async (t) => {
      const r = await replica(kind, { alerts: 2, groupsPerRoute: 1 });
      t.after(() => r.close());
      const a = (instance: string) => ({ alertname: 'A', instance });
      assert.equal((await r.post([r.firing(a('i1')), r.firing(a('i2'))])).status, 200);
      const full = await r.post([r.firing(a('i3')), r.firing({ alertname: 'B' })]);
      assert.deepEqual(
        full.lines.map((line) => line.match(/\((--limits\.[a-z-]+)\)$/)?.[1]),
        ['--limits.alerts', '--limits.groups-per-route'],
      );

      r.now += 1_000;
      assert.equal((await r.post([r.resolved(a('i1'))])).status, 200);
      assert.equal((await r.post([r.firing(a('i3'))])).status, 429, 'a resolved alert counts until its flush');
      await r.flush();
      assert.deepEqual(await r.post([r.firing(a('i3'))]), { status: 200, lines: [] });
      assert.deepEqual(await r.instances(CATCH_ALL, 'A'), ['i2', 'i3']);

      r.now += 1_000;
      assert.equal((await r.post([r.resolved(a('i2')), r.resolved(a('i3'))])).status, 200);
      assert.equal((await r.post([r.firing({ alertname: 'B' })])).status, 429);
      await r.flush();
      assert.deepEqual(await r.groups(), [], 'the emptied group is deleted');
      assert.deepEqual(await r.post([r.firing({ alertname: 'B' }), r.firing({ alertname: 'B', instance: 'i2' })]), { status: 200, lines: [] });
      assert.equal((await r.post([r.firing({ alertname: 'B', instance: 'i3' })])).status, 429, 'and counted again');
    });

    it('answers 429 with the invalid alerts first, then the refused ones, on both ingest routes', async (t) => {
      const r = await replica(kind, { alertsPerGroup: 1 });
      t.after(() => r.close());
      const invalid = { labels: {} };
      const alone = await r.post([invalid]);
      assert.equal(alone.status, 400);
      const mixed = await r.post([r.firing({ alertname: 'A', instance: 'i1' }), invalid, r.firing({ alertname: 'A', instance: 'i2' })]);
      assert.deepEqual(mixed, {
        status: 429,
        lines: [...alone.lines, perGroupLine('{alertname="A", instance="i2"}', '{}/{}:{alertname="A"}', 1)],
      });

      const message = { version: '4', status: 'firing', receiver: 'upstream', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', groupKey: '{}:{}', truncatedAlerts: 0,
        alerts: [{ status: 'firing', labels: { alertname: 'A', instance: 'i3' }, annotations: {}, startsAt: new Date(r.now).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: '' }] };
      const webhook = answer(await r.app.inject({ method: 'POST', url: '/webhook', payload: message }));
      assert.deepEqual(webhook, { status: 429, lines: [perGroupLine('{alertname="A", instance="i3"}', '{}/{}:{alertname="A"}', 1)] });
    });

    it('lets concurrent requests together add no more than each limit', async (t) => {
      // With Redis, as configured in production: one usage read serves a second.
      const r = new Replica(slowReads(await openStore(kind)), { groupsPerRoute: 5, alertsPerGroup: 4 }, kind === 'redis' ? 1_000 : 0);
      t.after(() => r.close());
      const posts = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => r.post([r.firing({ alertname: `G${i}` })])),
        ...Array.from({ length: 20 }, (_, i) => r.post([r.firing({ alertname: 'Shared', team: 'db', instance: `i${i}` })])),
      ]);
      assert.equal(posts.filter((p) => p.status === 200).length, 5 + 4);
      assert.deepEqual(posts.filter((p) => p.status === 429).map((p) => p.lines.length), Array(31).fill(1));
      const groups = await r.groups();
      assert.equal(groups.filter((g) => g.routeId === CATCH_ALL).length, 5);
      assert.equal(groups.find((g) => g.routeId === '{}/{team="db"}/1')?.alerts.length, 4);
      assert.equal((await r.refused('groups_per_route')) + (await r.refused('alerts_per_group')), 31);
    });

    it('has no limit by default, and then reads neither usage nor group sizes', async (t) => {
      const settings = parseSettings([], {}) as Settings;
      assert.deepEqual(settings.limits, { alertsPerGroup: 0, groupsPerRoute: 0, alerts: 0 });
      const spy = spied(await openStore(kind));
      const r = new Replica(spy.store, settings.limits);
      t.after(() => r.close());
      const posted = await r.post([
        ...Array.from({ length: 300 }, (_, i) => r.firing({ alertname: 'Big', instance: `i${i}` })),
        ...Array.from({ length: 300 }, (_, i) => r.firing({ alertname: `G${i}` })),
      ]);
      assert.deepEqual(posted, { status: 200, lines: [] });
      assert.equal((await r.groups()).length, 301);
      assert.equal(spy.usageReads(), 0);
      assert.ok(spy.readOptions.length > 0 && spy.readOptions.every((options) => options === undefined));
    });
  });
}

describe('limits, Redis store shared by replicas', () => {
  it('counts every replica’s additions, each at its next usage read: soft by how long a read serves', async (t) => {
    const prefix = newPrefix();
    const first = new Replica(await openRedis(prefix), { groupsPerRoute: 4 });
    const fresh = new Replica(await openRedis(prefix), { groupsPerRoute: 4 });
    const cached = new Replica(await openRedis(prefix), { groupsPerRoute: 4 }, 60 * 60_000);
    t.after(() => Promise.all([first.close(), fresh.close(), cached.close()]));
    assert.equal((await cached.post([cached.firing({ alertname: 'C0' })])).status, 200, 'its one read: 0 groups');
    assert.equal((await first.post([first.firing({ alertname: 'A0' }), first.firing({ alertname: 'A1' })])).status, 200);

    const second = await fresh.post([fresh.firing({ alertname: 'F0' }), fresh.firing({ alertname: 'F1' })]);
    assert.equal(second.status, 429, '3 groups seen: room for one');
    assert.equal(second.lines.length, 1);
    const stale = await cached.post([1, 2, 3, 4].map((i) => cached.firing({ alertname: `C${i}` })));
    assert.equal(stale.status, 429);
    assert.deepEqual(stale.lines.map((line) => line.split(':')[0]), ['{alertname="C4"}'], 'it counts its own group, not the 3 added since its read');
    assert.equal((await first.groups()).length, 4 + 3, 'beyond the limit by what the others added since that read');
  });

  it('counts at each group’s commit what writes added, when writes do not count (countUsage: false)', async (t) => {
    const r = new Replica(await openRedis(newPrefix(), false), {});
    t.after(() => r.close());
    const usage = async () => {
      const { alerts, groupsByRoute } = await r.store.usage([CATCH_ALL]);
      return [alerts, groupsByRoute.get(CATCH_ALL)];
    };
    await r.post([r.firing({ alertname: 'A', instance: 'i1' }), r.firing({ alertname: 'A', instance: 'i2' }), r.firing({ alertname: 'B' })]);
    assert.deepEqual(await usage(), [0, 0]);
    await r.flush();
    assert.deepEqual(await usage(), [3, 2]);
    r.now += 1_000;
    await r.post([r.resolved({ alertname: 'A', instance: 'i1' }), r.resolved({ alertname: 'B' }), r.firing({ alertname: 'A', instance: 'i3' })]);
    assert.deepEqual(await usage(), [3, 2]);
    await r.flush();
    assert.deepEqual(await usage(), [2, 1], 'A: i1 deleted, i3 added; B deleted');
  });

  it('counts a group merged in after an outage from its next commit, and uncounts an expired group when its due entry goes', async (t) => {
    const prefix = newPrefix();
    const r = new Replica(await openRedis(prefix), {});
    const admin = new Redis(REDIS_URL);
    t.after(async () => {
      await r.close();
      await admin.quit();
    });
    const usage = async () => {
      const { alerts, groupsByRoute } = await r.store.usage([CATCH_ALL]);
      return [alerts, groupsByRoute.get(CATCH_ALL)];
    };
    await r.post([r.firing({ alertname: 'Kept', instance: 'i1' }), r.firing({ alertname: 'Expired' })]);
    assert.deepEqual(await usage(), [2, 2]);

    const memory = new Replica(new MemoryStore(), {});
    memory.now = r.now;
    await memory.post([memory.firing({ alertname: 'Merged' }), memory.firing({ alertname: 'Kept', instance: 'i2' })]);
    const changes = (await memory.groups()).map((group) => ({ groupId: group.id, group, removed: [] }));
    const merge = new RedisMerge(admin, { prefix, graceMs: DAY });
    assert.equal(await merge.merge(changes, r.now), 1);
    await memory.close();
    assert.deepEqual(await usage(), [2, 2], 'merged without being counted');
    assert.equal((await r.groups()).length, 3);

    const expired = (await r.groups()).find((g) => g.labels.alertname === 'Expired') as StoredGroup;
    const keys = new RedisKeys(prefix).group(expired.id);
    await admin.del(keys.meta, keys.alerts, keys.log);
    await r.flush();
    assert.deepEqual(await usage(), [3, 2], 'Merged and Kept’s new alert counted by their commits; Expired dropped');
  });
});
