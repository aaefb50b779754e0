import assert from 'node:assert/strict';
import { setImmediate } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Redis } from 'ioredis';
import type { Alert } from '../../src/core/alert.ts';
import type { FlushOutcome, NotifyLogEntry } from '../../src/core/group.ts';
import { Dispatcher } from '../../src/engine/dispatcher.ts';
import type { Runtime } from '../../src/engine/runtime.ts';
import { FailoverStore } from '../../src/store/failover-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { type GroupChanges, type GroupMerge, RedisMerge } from '../../src/store/redis-merge.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import type { AlertWrite, Claim, SlotState, StoredGroup } from '../../src/store/store.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import type { StoreKind, StoreMetrics } from '../../src/telemetry/metrics.ts';
import { makeAlert, makeRoute } from '../helpers/core-fixtures.ts';
import { CuttableProxy } from '../helpers/cuttable-proxy.ts';
import { freePort } from '../helpers/free-port.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { alert, createWrite, header, storeContract } from './store-contract.ts';

const T = 1_700_000_000_000;
const LEASE = 60_000;
const DAY = 24 * 60 * 60 * 1000;
const W0 = 'team-a/webhook/0';
const W1 = 'team-a/webhook/1';


class SwitchRecorder implements Pick<StoreMetrics, 'failoverSwitched'> {
  readonly switches: StoreKind[] = [];
  #waiting: { to: StoreKind; count: number; resolve: () => void }[] = [];

  failoverSwitched(to: StoreKind): void {
    this.switches.push(to);
    this.#waiting = this.#waiting.filter((waiter) => {
      if (this.#count(waiter.to) < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once the store has switched to `to` `count` times in all. */
  switchedTo(to: StoreKind, count = 1): Promise<void> {
    if (this.#count(to) >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ to, count, resolve }));
  }

  #count(to: StoreKind): number {
    return this.switches.filter((kind) => kind === to).length;
  }
}

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') } as unknown as Logger;
}

interface Replica {
  readonly store: FailoverStore;
  readonly client: Redis;
  readonly metrics: SwitchRecorder;
  readonly log: LogLine[];
}

async function openReplica(
  port: number,
  prefix: string,
  options: { healthCheckMs?: number; wrapMerge?: (merge: GroupMerge) => GroupMerge; memory?: () => MemoryStore } = {},
): Promise<Replica> {
  const client = createRedisClient({ url: `redis://127.0.0.1:${port}`, prefix }) as Redis;
  // Outages are the point here: the store reports them, the client's reconnect errors are noise.
  client.on('error', () => {});
  await client.connect();
  const metrics = new SwitchRecorder();
  const log: LogLine[] = [];
  const merge = new RedisMerge(client, { prefix, graceMs: DAY });
  const store = new FailoverStore({
    redis: new RedisStore(client, { prefix }),
    ping: () => client.ping(),
    createMemory: options.memory ?? (() => new MemoryStore()),
    merge: options.wrapMerge?.(merge) ?? merge,
    logger: recordingLogger(log),
    metrics,
    clock: Date.now,
    options: { healthCheckMs: options.healthCheckMs ?? 20 },
  });
  return { store, client, metrics, log };
}

/** Another replica, which reaches Redis directly. */
async function openRedisStore(port: number, prefix: string): Promise<RedisStore> {
  const client = createRedisClient({ url: `redis://127.0.0.1:${port}`, prefix });
  client.on('error', () => {});
  await client.connect();
  return new RedisStore(client, { prefix });
}

/** Cuts the replica's link and waits until its client has noticed. */
/**
 * A replica reaching its own Redis through a cuttable link, and a plain store on that Redis as
 * another replica sees it; all closed when the test ends.
 */
async function linkedReplica(
  t: TestContext,
  options: Parameters<typeof openReplica>[2] = {},
): Promise<{ link: CuttableProxy; replica: Replica; other: RedisStore }> {
  const server = await startRedisServer();
  t.after(() => server.stop());
  const link = await CuttableProxy.start(server.port);
  t.after(() => link.close());
  const replica = await openReplica(link.port, 'grouper', options);
  t.after(() => replica.store.close());
  const other = await openRedisStore(server.port, 'grouper');
  t.after(() => other.close());
  return { link, replica, other };
}

/**
 * Cuts the replica's link and waits until its client sees the connection close. Not with
 * events.once: the cut may first come as an 'error' (ECONNRESET, seen once in CI), which once()
 * rejects with; the client's own error handler takes that.
 */
async function cut(link: CuttableProxy, replica: Replica): Promise<void> {
  const closed = new Promise<void>((resolve) => replica.client.once('close', () => resolve()));
  link.cut();
  await closed;
}

/** Writes that create group `id` holding `alerts`. */
function newGroup(id: string, alerts: readonly Alert[], createdAt: number, origin: number): AlertWrite[] {
  return alerts.map((alert, i) =>
    i === 0
      ? { group: header(id), alert, expected: {}, create: { createdAt, origin } }
      : { group: header(id), alert, expected: { groupCreatedAt: createdAt } },
  );
}

function resolved(fingerprint: string, at: number): Alert {
  return { ...alert(fingerprint, at), endsAt: at };
}

function entry(tick: number, firing: string[], resolvedIds: string[] = []): NotifyLogEntry {
  return { tick, firing, resolved: resolvedIds };
}

function outcome(tick: number, nextDue: number, more: Partial<FlushOutcome> = {}): FlushOutcome {
  return { tick, nextDue, log: {}, removeResolved: [], ...more };
}

function sorted(group: StoredGroup | undefined): StoredGroup | undefined {
  if (group === undefined) return undefined;
  return { ...group, alerts: [...group.alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)) };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function byGroup(claims: readonly Claim[]): Map<string, Claim> {
  return new Map(claims.map((claim) => [claim.groupId, claim]));
}

let contractServer: RedisServer;
let contractPrefixes = 0;
before(async () => {
  contractServer = await startRedisServer();
});
after(() => contractServer.stop());

storeContract('failover, Redis serving', async () => {
  const replica = await openReplica(contractServer.port, `contract-${contractPrefixes++}`, { healthCheckMs: 1_000 });
  return replica.store;
});

storeContract('failover, Redis unreachable', async () => {
  const client = createRedisClient({ url: `redis://127.0.0.1:${await freePort()}`, prefix: 'unreachable' });
  client.on('error', () => {});
  return new FailoverStore({
    redis: new RedisStore(client, { prefix: 'unreachable' }),
    ping: () => client.ping(),
    createMemory: () => new MemoryStore(),
    merge: new RedisMerge(client, { prefix: 'unreachable', graceMs: DAY }),
    logger: recordingLogger([]),
    metrics: new SwitchRecorder(),
    clock: Date.now,
  });
});

describe('FailoverStore', () => {
  it('ingests without a failure while Redis is stopped, and after its restart Redis holds every alert accepted meanwhile', async (t) => {
    const server = await startRedisServer();
    t.after(() => server.stop());
    const replica = await openReplica(server.port, 'grouper');
    t.after(() => replica.store.close());
    const runtime = { root: makeRoute({ receiver: 'team-a', groupBy: ['alertname'] }) } as Runtime;
    const dispatcher = new Dispatcher({
      store: replica.store,
      runtime: () => runtime,
      onWake: () => {},
      metrics: { ingested() {}, ingestConflicts() {} },
    });
    const batch = (n: number) =>
      Array.from({ length: 5 }, (_, i) =>
        makeAlert({ alertname: `Alert${i % 3}`, instance: `host-${n}-${i}` }, { startsAt: Date.now(), endsAt: Date.now() + 300_000, updatedAt: Date.now() }),
      );
    await dispatcher.ingest(batch(0), Date.now());

    await server.stop();
    const accepted: Alert[] = [];
    for (let n = 1; n <= 20; n++) {
      const alerts = batch(n);
      await dispatcher.ingest(alerts, Date.now());
      accepted.push(...alerts);
    }
    assert.equal(replica.store.mode, 'memory');

    await server.restart();
    await replica.metrics.switchedTo('redis');
    assert.equal(replica.store.mode, 'redis');
    assert.deepEqual(replica.metrics.switches, ['memory', 'redis']);
    const other = await openRedisStore(server.port, 'grouper');
    t.after(() => other.close());
    const page = await other.scanGroups(undefined, 100);
    const inRedis = new Set(page.groups.flatMap((group) => group.alerts.map((a) => a.fingerprint)));
    const missing = accepted.filter((a) => !inRedis.has(a.fingerprint));
    assert.deepEqual(missing, []);
  });

  describe('merging back after an outage through which Redis kept its data', () => {
    let server: RedisServer;
    let link: CuttableProxy;
    let replica: Replica;
    let other: RedisStore;
    let redisClaimCommitted: boolean;
    let lateCommit: boolean;
    let takeover: Claim | undefined;
    const inRedis = new Map<string, StoredGroup | undefined>();
    let retiredInRedis: SlotState[];
    let guessedAdd: boolean[];

    before(async () => {
      server = await startRedisServer();
      link = await CuttableProxy.start(server.port);
      replica = await openReplica(link.port, 'grouper');
      other = await openRedisStore(server.port, 'grouper');
      const { store } = replica;

      // Before the outage, through Redis.
      await store.writeAlerts([
        ...newGroup('g1', [alert('a1', T), alert('a2', T), alert('a3', T)], T, T + 30_000),
        ...newGroup('g3', [alert('x1', T), alert('x2', T), alert('x3', T)], T, T + 60_000),
        ...newGroup('g5', [alert('z1', T)], T, T + 90_000),
      ]);
      const [g1] = await store.claimDue(T + 30_000, LEASE, 10);
      const g1log = entry(T + 30_000, ['a1', 'a2', 'a3']);
      assert.ok(await store.commit(g1, outcome(T + 30_000, T + 330_000, { log: { [W0]: g1log, [W1]: g1log } })));
      const redisClaims = byGroup(await store.claimDue(T + 90_000, 1_000_000, 10));
      assert.ok(await store.commit(redisClaims.get('g3') as Claim, outcome(T + 60_000, T + 360_000)));

      await cut(link, replica);

      // The outage, on memory: it knows none of Redis's groups.
      const U = T + 100_000;
      const written = await store.writeAlerts([
        ...newGroup('g1', [alert('a1', U), alert('a3', U), alert('a4', U)], U, U + 30_000),
        ...newGroup('g2', [alert('b1', U)], U, U + 30_000),
        ...newGroup('g3', [resolved('x1', U), resolved('x3', U), resolved('x4', U)], U, U + 30_000),
        ...newGroup('g4', [resolved('y1', U)], U, U + 30_000),
        ...newGroup('g6', [alert('c1', U)], U, U + 30_000),
      ]);
      assert.ok(written.every(Boolean));
      assert.equal(store.mode, 'memory');
      redisClaimCommitted = await store.commit(redisClaims.get('g5') as Claim, outcome(T + 90_000, T + 390_000));
      const memoryClaims = byGroup(await store.claimDue(U + 30_000, LEASE, 10));
      assert.deepEqual([...memoryClaims.keys()].sort(), ['g1', 'g2', 'g3', 'g4', 'g6']);
      const tick = U + 30_000;
      const g1memory = entry(tick, ['a1', 'a3', 'a4']);
      const commit = (id: string, result: FlushOutcome) => store.commit(memoryClaims.get(id) as Claim, result);
      const removeResolved = (fingerprints: string[]) => fingerprints.map((fingerprint) => ({ fingerprint, updatedAt: U }));
      assert.ok(await commit('g1', outcome(tick, U + 40_000, { log: { [W0]: g1memory, [W1]: g1memory } })));
      assert.ok(await commit('g2', outcome(tick, U + 330_000, { log: { [W0]: entry(tick, ['b1']) } })));
      assert.ok(await commit('g3', outcome(tick, U + 330_000, { removeResolved: removeResolved(['x1', 'x3', 'x4']) })));
      assert.ok(await commit('g4', outcome(tick, U + 330_000, { removeResolved: removeResolved(['y1']) })));
      assert.equal(await store.loadGroup('g3'), undefined, 'memory deleted the emptied group');

      // The outage, on a replica that still reaches Redis.
      const V = T + 200_000;
      assert.deepEqual(
        await other.writeAlerts([
          { group: header('g1'), alert: alert('a3', V), expected: { groupCreatedAt: T, alertUpdatedAt: T } },
          { group: header('g3'), alert: alert('x3', V), expected: { groupCreatedAt: T, alertUpdatedAt: T } },
        ]),
        [true, true],
      );
      const [g1again] = await other.claimDue(T + 330_000, LEASE, 10);
      assert.equal(g1again.groupId, 'g1');
      const g1redis = entry(T + 330_000, ['a1', 'a2', 'a3']);
      assert.ok(await other.commit(g1again, outcome(T + 330_000, T + 630_000, { log: { [W1]: g1redis } })));

      link.restore();
      await replica.metrics.switchedTo('redis');
      for (const id of ['g1', 'g2', 'g3', 'g4']) inRedis.set(id, sorted(await other.loadGroup(id)));
      inRedis.set('g5', await other.loadGroup('g5'));
      retiredInRedis = await other.readSlots(['g3/x4', 'g4/y1', 'g3/x1'].map((slot) => ({ groupId: slot.slice(0, 2), fingerprint: slot.slice(3) })));
      // A writer that guessed the slot empty, as a replica's SlotCache does.
      guessedAdd = await other.writeAlerts([{ group: header('g3'), alert: alert('x4', V), expected: { groupCreatedAt: T } }]);

      // After the switch back: a flush claimed on memory commits, and g5 is due again as its commit said.
      lateCommit = await commit('g6', outcome(tick, U + 50_000, { log: { [W0]: entry(tick, ['c1']) } }));
      inRedis.set('g6', await other.loadGroup('g6'));
      takeover = (await other.claimDue(T + 90_000 + 1_000_000, LEASE, 10)).find((claim) => claim.groupId === 'g5');
    });

    after(async () => {
      await replica.store.close();
      await other.close();
      await link.close();
      await server.stop();
    });

    it('switches to memory and back once each, logging why and what it merged', () => {
      assert.deepEqual(replica.metrics.switches, ['memory', 'redis']);
      assert.equal(replica.store.mode, 'redis');
      const [toMemory, toRedis] = replica.log.filter((line) => line.level === 'warn' || line.level === 'info');
      assert.equal(toMemory.level, 'warn');
      assert.ok(toMemory.fields.err instanceof Error);
      assert.equal(toRedis.level, 'info');
      assert.deepEqual(toRedis.fields, { groups: 5, created: 2 });
    });

    it("merges into a group Redis kept: alerts by latest update, log by later tick, lastTick by max, due by earliest, Redis's incarnation", () => {
      assert.deepEqual(inRedis.get('g1'), {
        ...header('g1'),
        createdAt: T,
        origin: T + 30_000,
        lastTick: T + 330_000,
        alerts: [alert('a1', T + 100_000), alert('a2', T), alert('a3', T + 200_000), alert('a4', T + 100_000)],
        log: { [W0]: entry(T + 130_000, ['a1', 'a3', 'a4']), [W1]: entry(T + 330_000, ['a1', 'a2', 'a3']) },
        due: T + 140_000,
      });
    });

    it('creates a group only memory had, as memory had it, notify log and due time included, and lists it', async () => {
      assert.deepEqual(inRedis.get('g2'), {
        ...header('g2'),
        createdAt: T + 100_000,
        origin: T + 130_000,
        lastTick: T + 130_000,
        alerts: [alert('b1', T + 100_000)],
        log: { [W0]: entry(T + 130_000, ['b1']) },
        due: T + 430_000,
      });
      const page = await other.scanGroups(undefined, 100);
      assert.ok(page.groups.some((group) => group.id === 'g2'));
    });

    it('carries resolutions memory notified and deleted over older copies, without losing a firing alert', () => {
      const g3 = inRedis.get('g3');
      assert.deepEqual(g3?.alerts, [resolved('x1', T + 100_000), alert('x2', T), alert('x3', T + 200_000)]);
      assert.equal(g3?.lastTick, T + 60_000);
      assert.equal(g3?.due, T + 360_000, "woken at the merge's now, which is later: Redis's due time stands");
      assert.equal(inRedis.get('g4'), undefined, 'a group notified and deleted on memory only is not brought back');
    });

    it('keeps an alert memory retired that Redis lacks as its slot\'s retired alert, in a group only memory had too', () => {
      assert.deepEqual(
        retiredInRedis.map(({ alert, retired }) => ({ alert, retired })),
        [
          { alert: undefined, retired: resolved('x4', T + 100_000) },
          { alert: undefined, retired: resolved('y1', T + 100_000) },
          { alert: resolved('x1', T + 100_000), retired: undefined },
        ],
      );
      assert.deepEqual(guessedAdd, [false], 'an add to the group expects the retired alert');
    });

    it('accepts the commit of a claim made on Redis before the outage and replays it when Redis answers, so the flush is not sent again', () => {
      assert.equal(redisClaimCommitted, true);
      const g5 = inRedis.get('g5');
      assert.equal(g5?.lastTick, T + 90_000);
      assert.equal(g5?.due, T + 390_000, 'due when the commit said, not at the end of the lease');
      assert.equal(takeover?.takenOver, false, 'the lease was ended by the replayed commit');
      assert.equal(replica.log.filter((line) => /taken over/.test(line.message)).length, 0);
    });

    it('commits a claim made on memory after the switch back, and merges its flush into Redis', () => {
      assert.equal(lateCommit, true);
      const g6 = inRedis.get('g6');
      assert.equal(g6?.lastTick, T + 130_000);
      assert.deepEqual(g6?.log, { [W0]: entry(T + 130_000, ['c1']) });
      assert.equal(g6?.due, T + 150_000);
    });
  });

  it('loses no write made while it merges: memory serves during the merge, and calls wait for the final one', async (t) => {
    const gates = [deferred(), deferred()];
    const entered = [deferred(), deferred()];
    t.after(() => gates.forEach((gate) => gate.resolve()));
    const merged: string[][] = [];
    const { link, replica, other } = await linkedReplica(t, {
      wrapMerge: (merge) => ({
        async merge(changes: readonly GroupChanges[], now: number) {
          const call = merged.push(changes.map((change) => change.groupId)) - 1;
          entered[call]?.resolve();
          await gates[call]?.promise;
          return merge.merge(changes, now);
        },
      }),
    });

    await cut(link, replica);
    assert.deepEqual(await replica.store.writeAlerts([createWrite('g1', 'a1', T)]), [true]);
    const [claim] = await replica.store.claimDue(T, LEASE, 10);
    link.restore();

    await entered[0].promise;
    assert.deepEqual(await replica.store.writeAlerts([createWrite('g2', 'a1', T)]), [true]);
    assert.ok(await replica.store.commit(claim, outcome(T, T + 300_000, { log: { [W0]: entry(T, ['a1']) } })));
    assert.equal(replica.store.mode, 'memory');
    gates[0].resolve();

    await entered[1].promise;
    let settled = false;
    const held = replica.store.writeAlerts([createWrite('g3', 'a1', T)]).finally(() => (settled = true));
    await setImmediate();
    assert.equal(settled, false, 'a write during the final merge waits for the switch');
    gates[1].resolve();
    assert.deepEqual(await held, [true]);
    assert.equal(replica.store.mode, 'redis');

    assert.deepEqual(merged, [['g1'], ['g2', 'g1']]);
    for (const id of ['g1', 'g2', 'g3']) assert.equal((await other.loadGroup(id))?.alerts.length, 1, id);
    assert.deepEqual((await other.loadGroup('g1'))?.log, { [W0]: entry(T, ['a1']) }, 'a flush committed during the merge');
  });

  it('keeps Redis from flushing a group whose flush, claimed on memory, still sends at the switch back', async (t) => {
    const { link, replica, other } = await linkedReplica(t);

    await cut(link, replica);
    assert.deepEqual(await replica.store.writeAlerts([createWrite('g1', 'a1', T)]), [true]);
    const [claim] = await replica.store.claimDue(T, LEASE, 10);
    link.restore();
    await replica.metrics.switchedTo('redis');

    assert.deepEqual(await other.claimDue(T + LEASE - 1, LEASE, 10), [], 'offered while the flush on memory still sends');
    assert.ok(await replica.store.commit(claim, outcome(T, T + 300_000, { log: { [W0]: entry(T, ['a1']) } })));
    const g1 = await other.loadGroup('g1');
    // Due times merge by earliest: Redis looks at the group once more at the lease's end, where
    // the merged log leaves nothing to send.
    assert.equal(g1?.due, T + LEASE);
    assert.deepEqual(g1?.log, { [W0]: entry(T, ['a1']) });
  });

  it('merges a call that was still in progress on memory when the final merge began', async (t) => {
    const server = await startRedisServer();
    t.after(() => server.stop());
    const link = await CuttableProxy.start(server.port);
    t.after(() => link.close());
    const firstMerged = deferred();
    const writing = deferred();
    t.after(() => writing.resolve());
    const merged: string[][] = [];
    /** A memory store whose writes take a while, as any Store's may. */
    class SlowMemory extends MemoryStore {
      slow = false;
      override async writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
        if (this.slow) await writing.promise;
        return super.writeAlerts(writes);
      }
    }
    const memory = new SlowMemory();
    const replica = await openReplica(link.port, 'grouper', {
      memory: () => memory,
      wrapMerge: (merge) => ({
        async merge(changes: readonly GroupChanges[], now: number) {
          merged.push(changes.map((change) => change.groupId));
          const created = await merge.merge(changes, now);
          firstMerged.resolve();
          return created;
        },
      }),
    });
    t.after(() => replica.store.close());
    const other = await openRedisStore(server.port, 'grouper');
    t.after(() => other.close());

    await cut(link, replica);
    await replica.store.writeAlerts([createWrite('g1', 'a1', T)]);
    memory.slow = true;
    const slowWrite = replica.store.writeAlerts([createWrite('g2', 'a1', T)]);
    link.restore();
    await firstMerged.promise;
    await setImmediate();
    writing.resolve();

    assert.deepEqual(await slowWrite, [true]);
    await replica.metrics.switchedTo('redis');
    assert.deepEqual(merged, [['g1'], ['g2']]);
    assert.equal((await other.loadGroup('g2'))?.alerts.length, 1);
  });

  it('notices an outage and its end by health checks alone, with no traffic', async (t) => {
    const server = await startRedisServer();
    t.after(() => server.stop());
    const link = await CuttableProxy.start(server.port);
    t.after(() => link.close());
    const replica = await openReplica(link.port, 'grouper');
    t.after(() => replica.store.close());

    await cut(link, replica);
    await replica.metrics.switchedTo('memory');
    assert.equal(replica.store.mode, 'memory');
    link.restore();
    await replica.metrics.switchedTo('redis');
    assert.deepEqual(replica.metrics.switches, ['memory', 'redis']);
  });

  it('stays on memory while merging fails, and switches back once it succeeds', async (t) => {
    const server = await startRedisServer();
    t.after(() => server.stop());
    const link = await CuttableProxy.start(server.port);
    t.after(() => link.close());
    let attempts = 0;
    const replica = await openReplica(link.port, 'grouper', {
      wrapMerge: (merge) => ({
        async merge(changes: readonly GroupChanges[], now: number) {
          if (++attempts === 1) throw new StoreError('UNAVAILABLE', 'Redis went away again');
          return merge.merge(changes, now);
        },
      }),
    });
    t.after(() => replica.store.close());
    const other = await openRedisStore(server.port, 'grouper');
    t.after(() => other.close());

    await cut(link, replica);
    await replica.store.writeAlerts([createWrite('g1', 'a1', T)]);
    link.restore();
    await replica.metrics.switchedTo('redis');

    assert.ok(attempts >= 2);
    assert.ok(replica.log.some((line) => line.level === 'warn' && /still serving from memory/.test(line.message)));
    assert.equal((await other.loadGroup('g1'))?.alerts.length, 1);
  });

  it('propagates an error that is not an outage and stays on Redis', async (t) => {
    const replica = await openReplica(contractServer.port, 'propagates');
    t.after(() => replica.store.close());
    const orphan: AlertWrite = { group: header('g1'), alert: alert('a1', T), expected: {} };
    await assert.rejects(replica.store.writeAlerts([orphan]), (err: unknown) => err instanceof StoreError && err.code === 'MISSING_CREATE');
    assert.equal(replica.store.mode, 'redis');
    assert.deepEqual(replica.metrics.switches, []);
  });
});
