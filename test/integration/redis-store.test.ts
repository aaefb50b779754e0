import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { scripts } from '../../src/store/lua-scripts.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { SHARDS, shardOf } from '../../src/store/redis-keys.ts';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis-store.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import type { Claim, Store } from '../../src/store/store.ts';
import { type RedisClusterServers, startRedisCluster, startRedisServer } from '../helpers/redis-server.ts';
import { alert, createWrite, header, storeContract } from './store-contract.ts';

const SHARED_REDIS = 'redis://127.0.0.1:6379';
const DAY = 24 * 60 * 60 * 1000;
const LEASE = 60_000;

const prefixes: string[] = [];
let admin: Redis;
let cluster: RedisClusterServers;

before(async () => {
  admin = new Redis(SHARED_REDIS);
  cluster = await startRedisCluster();
});

after(async () => {
  for (const prefix of prefixes) {
    const keys = await scanKeys(prefix);
    if (keys.length > 0) await admin.unlink(...keys);
  }
  await admin.quit();
  await cluster.stop();
});

function uniquePrefix(): string {
  const prefix = `grouper-test-${process.pid}-${Date.now().toString(36)}-${prefixes.length}`;
  prefixes.push(prefix);
  return prefix;
}

async function connect(url = SHARED_REDIS): Promise<Redis> {
  const client = createRedisClient({ url, prefix: 'unused' }) as Redis;
  await client.connect();
  return client;
}

async function openStore(options: Partial<RedisStoreOptions> = {}, url = SHARED_REDIS): Promise<RedisStore> {
  return new RedisStore(await connect(url), { prefix: uniquePrefix(), ...options });
}

async function scanKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
  return keys;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

const isCode = (code: string) => (err: unknown) => err instanceof StoreError && err.code === code;

storeContract('redis', () => openStore());

storeContract('redis cluster', async () => {
  const client = createRedisClient({ clusterNodes: cluster.nodes, prefix: 'unused' });
  await client.connect();
  return new RedisStore(client, { prefix: uniquePrefix() });
});

describe('RedisStore', () => {
  it('recovers when Redis has forgotten its scripts (NOSCRIPT)', async () => {
    const server = await startRedisServer();
    const redis = new Redis(server.url);
    const store = await openStore({}, server.url);
    try {
      const { readSlots, writeAlerts, claimDue, loadGroup, extendLease, commit } = scripts;
      const shas = [readSlots, writeAlerts, claimDue, loadGroup, extendLease, commit].map((script) => sha1(script.lua));
      const T = Date.now();
      const flushAll = async (store: Store, groupId: string) => {
        assert.deepEqual(await store.readSlots([{ groupId, fingerprint: 'a1' }]), [{}]);
        assert.deepEqual(await store.writeAlerts([createWrite(groupId, 'a1', T, T)]), [true]);
        const claims = await store.claimDue(T, LEASE, 10);
        assert.deepEqual(claims.map((claim) => claim.groupId), [groupId]);
        assert.equal((await store.loadGroup(groupId))?.id, groupId);
        assert.equal(await store.extendLease(claims[0], T, 2 * LEASE), true);
        assert.equal(await store.commit(claims[0], { tick: T, nextDue: T + LEASE, log: {}, removeResolved: [] }), true);
      };
      await flushAll(store, 'g1');
      await redis.script('FLUSH');
      assert.deepEqual(await redis.script('EXISTS', ...shas), shas.map(() => 0));
      await flushAll(store, 'g2');
      assert.deepEqual(await redis.script('EXISTS', ...shas), shas.map(() => 1));
    } finally {
      await store.close();
      await redis.quit();
      await server.stop();
    }
  });

  it('fails fast with UNAVAILABLE while Redis is down, and works again once it is back', async () => {
    const server = await startRedisServer();
    const client = await connect(server.url);
    const store = new RedisStore(client, { prefix: uniquePrefix() });
    try {
      const T = Date.now();
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await server.stop();
      const started = performance.now();
      await assert.rejects(store.writeAlerts([createWrite('g2', 'a1', T)]), isCode('UNAVAILABLE'));
      await assert.rejects(store.nextDue(), isCode('UNAVAILABLE'));
      assert.ok(performance.now() - started < 1_000, 'no waiting for a Redis that is down');

      await server.restart();
      if (client.status !== 'ready') await once(client, 'ready');
      assert.equal(await store.loadGroup('g1'), undefined, 'the restarted Redis kept nothing');
      assert.deepEqual(await store.writeAlerts([createWrite('g1', 'a1', T)]), [true]);
      assert.equal((await store.loadGroup('g1'))?.alerts.length, 1);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it("sets a group's keys to expire a grace period after its due time", async () => {
    const grace = DAY;
    const store = await openStore({ graceMs: grace });
    try {
      const now = Date.now();
      const hour = 3_600_000;
      await store.writeAlerts([createWrite('soon', 'a1', now + hour), createWrite('past', 'a1', now - 10 * DAY)]);
      const ttls = async (groupId: string, kinds = ['g', 'a']) => {
        const keys = (await scanKeys(prefixes.at(-1) as string)).filter((key) => key.endsWith(`:${groupId}`));
        assert.equal(keys.length, kinds.length, `keys of ${groupId}: ${keys}`);
        return Promise.all(keys.map((key) => admin.pttl(key)));
      };
      const near = (ttl: number, expected: number) =>
        assert.ok(ttl <= expected && ttl > expected - 10_000, `ttl ${ttl} is not about ${expected}`);

      for (const ttl of await ttls('soon')) near(ttl, hour + grace);
      for (const ttl of await ttls('past')) near(ttl, grace);

      const claim = (await store.claimDue(now + hour, LEASE, 10)).find((c) => c.groupId === 'soon') as Claim;
      for (const ttl of await ttls('soon')) near(ttl, hour + LEASE + grace);
      assert.equal(await store.extendLease(claim, now + hour, 3 * LEASE), true);
      for (const ttl of await ttls('soon')) near(ttl, hour + 3 * LEASE + grace);
      const log = { 'team-a/webhook/0': { firing: ['a1'], resolved: [], tick: now + hour } };
      assert.equal(await store.commit(claim, { tick: now + hour, nextDue: now + 5 * hour, log, removeResolved: [] }), true);
      for (const ttl of await ttls('soon', ['g', 'a', 'n'])) near(ttl, 5 * hour + grace);
    } finally {
      await store.close();
    }
  });

  it('keeps each retired alert, and until when the deleted group may have one, in keys that expire retiredTtlMs after the retirement', async () => {
    const ttlMs = 600_000;
    const store = await openStore({ retiredTtlMs: ttlMs });
    try {
      const now = Date.now();
      await store.writeAlerts([createWrite('g1', 'a1', now, now)]);
      const [claim] = await store.claimDue(now, LEASE, 10);
      assert.equal(await store.commit(claim, { tick: now, nextDue: now + 1_000, log: {}, removeResolved: [{ fingerprint: 'a1', updatedAt: now }] }), true);
      const keys = (await scanKeys(prefixes.at(-1) as string)).filter((key) => key.includes(':g1'));
      const kinds = keys.map((key) => key.slice(key.indexOf('}:') + 2)).sort();
      assert.deepEqual(kinds, ['r:g1:a1', 'rg:g1'], `the group's keys left: ${keys}`);
      for (const key of keys) {
        const ttl = await admin.pttl(key);
        assert.ok(ttl <= ttlMs && ttl > ttlMs - 10_000, `ttl of ${key}: ${ttl}`);
      }
      assert.deepEqual(await store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }]), [{ retired: alert('a1', now) }]);
    } finally {
      await store.close();
    }
  });

  it("keeps every key of a group in its shard's hash slot", async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      const ids = Array.from({ length: 50 }, (_, i) => `group-${i}`);
      await store.writeAlerts(ids.map((id) => createWrite(id, 'a1', T)));
      for (const claim of await store.claimDue(T, LEASE, 100)) {
        const log = { 'team-a/webhook/0': { firing: ['a1'], resolved: [], tick: T } };
        await store.commit(claim, { tick: T, nextDue: T + 1_000, log, removeResolved: [] });
      }
      const prefix = prefixes.at(-1) as string;
      const keys = await scanKeys(prefix);
      const groupKeys = new Map<string, number>();
      for (const key of keys) {
        const match = /^[^{}]+:\{(\d+)\}:(?:due|ids|token|counts|[gan]:(.+))$/.exec(key);
        assert.ok(match && key.startsWith(`${prefix}:{`), `key ${key} has no shard hash tag`);
        const [, shard, groupId] = match;
        assert.ok(Number(shard) < SHARDS);
        if (groupId !== undefined) {
          assert.equal(Number(shard), shardOf(groupId), `key ${key} is outside its group's shard`);
          groupKeys.set(groupId, (groupKeys.get(groupId) ?? 0) + 1);
        }
      }
      assert.deepEqual([...groupKeys.keys()].sort(), [...ids].sort());
      assert.ok([...groupKeys.values()].every((count) => count === 3), 'meta, alerts and log of every group');
    } finally {
      await store.close();
    }
  });

  it('skips a group whose keys expired when scanning, and drops its due and index entries instead of claiming it', async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      await store.writeAlerts([createWrite('gone', 'a1', T), createWrite('kept', 'a1', T + LEASE)]);
      const prefix = prefixes.at(-1) as string;
      const groupKeys = (await scanKeys(prefix)).filter((key) => key.endsWith(':gone'));
      await admin.del(...groupKeys);
      const index = `${prefix}:{${shardOf('gone')}}:ids`;
      assert.equal(await admin.zscore(index, 'gone'), '0');
      assert.deepEqual((await store.scanGroups(undefined, 10)).groups.map((group) => group.id), ['kept']);
      assert.equal(await store.nextDue(), T);
      assert.deepEqual(await store.claimDue(T, LEASE, 10), []);
      assert.equal(await store.nextDue(), T + LEASE);
      assert.equal(await admin.zscore(index, 'gone'), null);
    } finally {
      await store.close();
    }
  });

  it("lists a group in its shard's id index from its creation until a commit deletes it", async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      await store.writeAlerts([createWrite('g1', 'a1', T, T), createWrite('g2', 'a1', T + LEASE, T)]);
      const prefix = prefixes.at(-1) as string;
      const listed = (id: string) => admin.zscore(`${prefix}:{${shardOf(id)}}:ids`, id);
      assert.deepEqual([await listed('g1'), await listed('g2')], ['0', '0']);
      const [claim] = await store.claimDue(T, LEASE, 10);
      const removeResolved = [{ fingerprint: 'a1', updatedAt: T }];
      assert.equal(await store.commit(claim, { tick: T, nextDue: T + 1, log: {}, removeResolved }), true);
      assert.deepEqual([await listed('g1'), await listed('g2')], [null, '0']);
    } finally {
      await store.close();
    }
  });

  it('reports stored data it cannot decode as CORRUPT', async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      await store.writeAlerts([createWrite('g1', 'a1', T, T)]);
      const [alertsKey] = (await scanKeys(prefixes.at(-1) as string)).filter((key) => key.includes(':a:g1'));
      await admin.hset(alertsKey, 'a1', 'not an alert');
      await assert.rejects(store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }]), isCode('CORRUPT'));
      const write = { group: header('g1'), alert: alert('a1', T + 1), expected: { groupCreatedAt: T, alertUpdatedAt: T } };
      await assert.rejects(store.writeAlerts([write]), isCode('CORRUPT'));
    } finally {
      await store.close();
    }
  });

  it('scans groups crowded into one shard exactly once each, in pages cut short where that shard was', async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      const ids = Array.from({ length: 4_000 }, (_, i) => `group-${i}`).filter((id) => shardOf(id) === 0);
      assert.ok(ids.length > 40, `${ids.length} groups in shard 0`);
      await store.writeAlerts(ids.map((id) => createWrite(id, 'a1', T)));
      const scanned: string[] = [];
      let pages = 0;
      let after: string | undefined;
      do {
        const page = await store.scanGroups(after, 100);
        assert.ok(page.groups.length > 0 && page.groups.length <= 100);
        scanned.push(...page.groups.map((group) => group.id));
        pages++;
        after = page.next;
      } while (after !== undefined);
      assert.deepEqual(scanned, [...ids].sort());
      assert.ok(pages > 1, 'one shard alone cannot fill a page of 100');
    } finally {
      await store.close();
    }
  });

  it('rejects a key prefix that would break the shard hash tag', async () => {
    const client = await connect();
    try {
      assert.throws(() => new RedisStore(client, { prefix: 'grouper{x}' }), isCode('BAD_SETTINGS'));
    } finally {
      await client.quit();
    }
  });

  it('never hands one group to two replicas claiming at the same time', async () => {
    const first = await openStore();
    const second = new RedisStore(await connect(), { prefix: prefixes.at(-1) as string });
    try {
      const T = Date.now();
      const count = 3_000;
      const writes = Array.from({ length: count }, (_, i) => createWrite(`group-${i}`, 'a1', T + (i % 100)));
      for (let i = 0; i < count; i += 500) await first.writeAlerts(writes.slice(i, i + 500));
      const claimAll = async (store: Store) => {
        const claims: Claim[] = [];
        for (let batch = await store.claimDue(T + 100, LEASE, 37); batch.length > 0; batch = await store.claimDue(T + 100, LEASE, 37)) {
          claims.push(...batch);
        }
        return claims;
      };
      const [mine, theirs] = await Promise.all([claimAll(first), claimAll(second)]);
      assert.ok(mine.length > 0 && theirs.length > 0, `both replicas claimed: ${mine.length}, ${theirs.length}`);
      const ids = [...mine, ...theirs].map((claim) => claim.groupId);
      assert.equal(new Set(ids).size, count, 'every group claimed exactly once');
      assert.equal(ids.length, count);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('gives every shard its share of a limited claim, and rotates the remainder over the shards', async () => {
    const store = await openStore();
    try {
      const T = Date.now();
      const perShard = new Map<number, number>();
      const ids: string[] = [];
      for (let i = 0; perShard.size < SHARDS || [...perShard.values()].some((n) => n < 3); i++) {
        const id = `group-${i}`;
        const shard = shardOf(id);
        if ((perShard.get(shard) ?? 0) >= 3) continue;
        perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
        ids.push(id);
      }
      await store.writeAlerts(ids.map((id) => createWrite(id, 'a1', T)));
      const shardsOf = (claims: readonly Claim[]) => new Set(claims.map((claim) => shardOf(claim.groupId)));

      const even = await store.claimDue(T, LEASE, SHARDS);
      assert.equal(even.length, SHARDS);
      assert.equal(shardsOf(even).size, SHARDS, 'one claim in every shard');

      const rotated: Claim[] = [];
      for (let round = 0; round < 7; round++) rotated.push(...(await store.claimDue(T, LEASE, 10)));
      assert.equal(rotated.length, 70);
      assert.equal(shardsOf(rotated).size, SHARDS, 'seven small claims reached every shard');
    } finally {
      await store.close();
    }
  });
});
