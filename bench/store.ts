/**
 * Store throughput, memory and Redis, without HTTP: ingest (100k alerts into 10k groups), group
 * creation (every alert in a new group, the path that also writes the id index), flush (claim,
 * load, commit) and a full storeStats scan. `npx tsx bench/store.ts [redis url]`.
 */
import { Redis } from 'ioredis';
import { MemoryStore } from '../src/store/memory-store.ts';
import { createRedisClient } from '../src/store/redis-client.ts';
import { RedisStore } from '../src/store/redis-store.ts';
import { storeStats } from '../src/store/store-stats.ts';
import type { AlertWrite, Store } from '../src/store/store.ts';
import { alert, header } from '../test/integration/store-contract.ts';

const REDIS_URL = process.argv[2] ?? 'redis://127.0.0.1:6379';
const ALERTS = 100_000;
const GROUPS = 10_000;
const NEW_GROUPS = 20_000;
const BATCH = 64;
const now = Date.now();

/** Sends `slots` in batches from `concurrency` senders, each batch read then written as the dispatcher does. */
async function ingest(store: Store, slots: readonly { groupId: string; fingerprint: string }[], concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const sender = async () => {
    for (let at = next; at < slots.length; at = next) {
      next += BATCH;
      const batch = slots.slice(at, at + BATCH);
      const states = await store.readSlots(batch);
      const writes = batch.map(
        (slot, i): AlertWrite => ({
          group: header(slot.groupId),
          alert: alert(slot.fingerprint, now + 1),
          expected: { alertUpdatedAt: states[i].alert?.updatedAt, groupCreatedAt: states[i].group?.createdAt },
          create: states[i].group ? undefined : { createdAt: now, origin: now },
          wakeAt: states[i].group ? now : undefined,
        }),
      );
      if (!(await store.writeAlerts(writes)).every(Boolean)) throw new Error('conflict in benchmark');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return slots.length / ((performance.now() - started) / 1000);
}

const intoGroups = Array.from({ length: ALERTS }, (_, k) => ({ groupId: `grp-${k % GROUPS}`, fingerprint: `fp-${Math.floor(k / GROUPS)}` }));
const intoNewGroups = (round: number) =>
  Array.from({ length: NEW_GROUPS }, (_, k) => ({ groupId: `new-${round}-${k}`, fingerprint: 'fp-0' }));

async function flushAll(store: Store, limit: number): Promise<number> {
  const started = performance.now();
  let flushed = 0;
  for (let claims = await store.claimDue(now, 60_000, limit); claims.length > 0; claims = await store.claimDue(now, 60_000, limit)) {
    await Promise.all(
      claims.map(async (claim) => {
        const group = await store.loadGroup(claim.groupId);
        const log = { 'team-a/webhook/0': { firing: group?.alerts.map((a) => a.fingerprint) ?? [], resolved: [], tick: now } };
        if (!(await store.commit(claim, { tick: now, nextDue: now + 300_000, log, removeResolved: [] }))) throw new Error('refused');
      }),
    );
    flushed += claims.length;
  }
  return flushed / ((performance.now() - started) / 1000);
}

async function statsMs(store: Store): Promise<number> {
  const started = performance.now();
  const stats = await storeStats(store, now);
  if (stats.groups !== GROUPS) throw new Error(`stats counted ${stats.groups} groups`);
  return performance.now() - started;
}

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL);
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) keys.push(...(batch as string[]));
  for (let i = 0; i < keys.length; i += 1000) await admin.unlink(...keys.slice(i, i + 1000));
  await admin.quit();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
for (const concurrency of [1, 8]) {
  const prefix = `grouper-bench-${process.pid}-${concurrency}`;
  const client = createRedisClient({ url: REDIS_URL, prefix });
  await client.connect();
  const stores: [name: string, store: Store][] = [
    ['redis', new RedisStore(client, { prefix })],
    ['memory', new MemoryStore()],
  ];
  console.log(`concurrency ${concurrency}, batches of ${BATCH}:`);
  for (const [name, store] of stores) {
    const ingested = await ingest(store, intoGroups, concurrency);
    const flushed = await flushAll(store, 256);
    const scanned = await statsMs(store);
    const created = await ingest(store, intoNewGroups(concurrency), concurrency);
    console.log(
      `  ${name.padEnd(6)} ingest ${fmt(ingested)} alerts/s (${ALERTS / GROUPS} per group)` +
        ` | new groups ${fmt(created)} alerts/s (1 per group)` +
        ` | claim+load+commit ${fmt(flushed)} groups/s | storeStats over ${fmt(GROUPS)} groups ${fmt(scanned)} ms`,
    );
    await store.close();
  }
  await deleteKeys(prefix);
}
