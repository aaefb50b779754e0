import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/config/load-config.ts';
import { isResolved, type Alert } from '../../src/core/alert.ts';
import { Dispatcher } from '../../src/engine/dispatcher.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import { SlotCache } from '../../src/engine/slot-cache.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import type { Store, StoredGroup } from '../../src/store/store.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { makeAlert } from '../helpers/core-fixtures.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const runtime = buildRuntime(
  parseConfig(
    `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  routes:
    - matchers: ['copy="yes"']
      receiver: copies
      continue: true
    - receiver: default
receivers:
  - name: default
  - name: copies
`,
    'slot-cache.yml',
  ),
);

const stores: Store[] = [];
const prefixes: string[] = [];
after(async () => {
  await Promise.all(stores.map((store) => store.close()));
  const admin = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      if ((keys as string[]).length > 0) await admin.unlink(...(keys as string[]));
    }
  }
  await admin.quit();
});

async function openStore(prefix: string): Promise<Store> {
  const client = createRedisClient({ url: REDIS_URL, prefix });
  await client.connect();
  const store = new RedisStore(client, { prefix });
  stores.push(store);
  return store;
}

function newPrefix(name: string): string {
  const prefix = `grouper-slot-cache-test-${process.pid}-${Date.now().toString(36)}-${name}`;
  prefixes.push(prefix);
  return prefix;
}

/** The store, counting the slots read and the writes refused. */
function counted(store: Store): { store: Store; slotsRead: () => number; refused: () => number } {
  let slots = 0;
  let refused = 0;
  const proxy = new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      if (typeof value !== 'function') return value;
      if (name === 'readSlots') {
        return (...args: unknown[]) => {
          slots += (args[0] as unknown[]).length;
          return value.apply(target, args);
        };
      }
      if (name === 'writeAlerts') {
        return async (...args: unknown[]) => {
          const applied = (await value.apply(target, args)) as boolean[];
          refused += applied.filter((ok) => !ok).length;
          return applied;
        };
      }
      return value.bind(target);
    },
  });
  return { store: proxy, slotsRead: () => slots, refused: () => refused };
}

function dispatcher(store: Store, cachedSlots: number): Dispatcher {
  const metrics = new Metrics({ version: 'test', collectDefault: false });
  return new Dispatcher({ store, runtime: () => runtime, onWake: () => {}, metrics, cachedSlots });
}

/** Every group as stored, without what depends on the order replicas claimed in. */
async function contents(store: Store): Promise<unknown[]> {
  const groups: StoredGroup[] = [];
  let after: string | undefined;
  do {
    const page = await store.scanGroups(after, 100);
    groups.push(...page.groups);
    after = page.next;
  } while (after !== undefined);
  return groups.map(({ id, createdAt, origin, lastTick, alerts }) => ({
    id,
    createdAt,
    origin,
    lastTick,
    alerts: [...alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
  }));
}

/** A flush of every due group that sends nothing but removes the resolved alerts, as a sent flush does. */
async function flushDue(store: Store, now: number): Promise<void> {
  for (const claim of await store.claimDue(now, 10_000, 1_000)) {
    const group = await store.loadGroup(claim.groupId);
    if (group === undefined) continue;
    const removeResolved = group.alerts.filter((alert) => isResolved(alert, now)).map(({ fingerprint, updatedAt }) => ({ fingerprint, updatedAt }));
    await store.commit(claim, { tick: now, log: {}, removeResolved, nextDue: now + 60_000 });
  }
}

/**
 * Posts, at t + 70 s, another sender's view of the episode that started at `t` and whose resolve
 * a flush sent at t + 60 s, and checks that it merged with the retired alert: it keeps `t`.
 */
async function assertMergesWithRetired(store: Store, replica: Dispatcher, labels: Record<string, string>, t: number): Promise<void> {
  const later = makeAlert(labels, { startsAt: t + 30_000, endsAt: t + 400_000, updatedAt: t + 70_000 });
  await replica.ingest([later], t + 70_000);
  const [group] = (await contents(store)) as { alerts: Alert[] }[];
  const stored = group.alerts.find((alert) => alert.fingerprint === later.fingerprint);
  assert.equal(stored?.startsAt, t, 'the post merged with the retired alert keeps its startsAt');
}

/** A small PRNG, so that a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function alertOf(n: number, now: number, resolved: boolean, copy: boolean): Alert {
  const labels = { alertname: `A${n % 3}`, instance: `i${n}`, ...(copy ? { copy: 'yes' } : {}) };
  return makeAlert(labels, { startsAt: now - 60_000, endsAt: resolved ? now : now + 240_000, updatedAt: now });
}

describe('SlotCache', () => {
  it('forgets the groups first written longest ago once it holds more alerts than its capacity', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: false });
    const alert = makeAlert({ alertname: 'A' });
    for (let i = 0; i < 10; i++) cache.set({ groupId: `g${i % 5}`, fingerprint: `f${i}` }, { createdAt: i % 5, origin: 0 }, alert);
    assert.deepEqual(cache.get({ groupId: 'g0', fingerprint: 'f5' }), { alert, group: { createdAt: 0, origin: 0 } });
    cache.set({ groupId: 'g5', fingerprint: 'f' }, { createdAt: 5, origin: 0 }, alert);
    // 11 alerts: g0 (2 alerts) goes, which leaves 9, a tenth of the capacity free.
    assert.equal(cache.get({ groupId: 'g0', fingerprint: 'f5' }), undefined);
    assert.deepEqual(cache.get({ groupId: 'g1', fingerprint: 'f6' }), { alert, group: { createdAt: 1, origin: 0 } });
    assert.deepEqual(cache.get({ groupId: 'g5', fingerprint: 'f' }), { alert, group: { createdAt: 5, origin: 0 } });
  });

  it('drops what it knew of a group when the group comes back as a new incarnation', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: false });
    const alert = makeAlert({ alertname: 'A' });
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    cache.set({ groupId: 'g', fingerprint: 'b' }, { createdAt: 2, origin: 2 }, alert);
    assert.equal(cache.get({ groupId: 'g', fingerprint: 'a' }), undefined);
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'b' }), { alert, group: { createdAt: 2, origin: 2 } });
  });

  it('sends a slot whose write was refused to the store from then on, until its group comes back anew', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: true });
    const alert = makeAlert({ alertname: 'A' });
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    cache.refused({ groupId: 'g', fingerprint: 'a' });
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    assert.equal(cache.get({ groupId: 'g', fingerprint: 'a' }), undefined);
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 2, origin: 2 }, alert);
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'a' }), { alert, group: { createdAt: 2, origin: 2 } });
  });

  it('sends every slot of a group to the store once a write to a slot it did not know there was refused and the retry found the group unchanged, in every incarnation', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: true });
    const alert = makeAlert({ alertname: 'A' });
    const group = { createdAt: 1, origin: 1 };
    cache.set({ groupId: 'g', fingerprint: 'a' }, group, alert);
    cache.set({ groupId: 'h', fingerprint: 'a' }, group, alert);
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'b' }), { group });
    cache.refused({ groupId: 'g', fingerprint: 'b' });
    assert.equal(cache.get({ groupId: 'g', fingerprint: 'b' }), undefined, 'the retry reads');
    cache.set({ groupId: 'g', fingerprint: 'b' }, group, alert);
    for (const fingerprint of ['a', 'b', 'c']) assert.equal(cache.get({ groupId: 'g', fingerprint }), undefined);
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 2, origin: 2 }, alert);
    assert.equal(cache.get({ groupId: 'g', fingerprint: 'a' }), undefined);
    assert.deepEqual(cache.get({ groupId: 'h', fingerprint: 'a' }), { alert, group }, 'other groups are still served');
  });

  it('forgets which groups are shared once there are more than its capacity', () => {
    const cache = new SlotCache({ capacity: 2, guessEmpty: true });
    const alert = makeAlert({ alertname: 'A' });
    for (const groupId of ['g1', 'g2', 'g3']) {
      cache.set({ groupId, fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
      cache.refused({ groupId, fingerprint: 'b' });
      cache.set({ groupId, fingerprint: 'b' }, { createdAt: 1, origin: 1 }, alert);
    }
    cache.set({ groupId: 'g1', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    assert.deepEqual(cache.get({ groupId: 'g1', fingerprint: 'a' }), { alert, group: { createdAt: 1, origin: 1 } });
    cache.set({ groupId: 'g3', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    assert.equal(cache.get({ groupId: 'g3', fingerprint: 'a' }), undefined);
  });

  it('keeps guessing the unknown slots of a group empty when the retry of a refused guess found the group created anew', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: true });
    const alert = makeAlert({ alertname: 'A' });
    cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 1, origin: 1 }, alert);
    cache.refused({ groupId: 'g', fingerprint: 'b' });
    cache.set({ groupId: 'g', fingerprint: 'b' }, { createdAt: 2, origin: 2 }, alert);
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'c' }), { group: { createdAt: 2, origin: 2 } });
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'b' }), { alert, group: { createdAt: 2, origin: 2 } });
  });

  it('keeps guessing the unknown slots of a group empty after a refused write to a slot it knew', () => {
    const cache = new SlotCache({ capacity: 10, guessEmpty: true });
    const group = { createdAt: 1, origin: 1 };
    cache.set({ groupId: 'g', fingerprint: 'a' }, group, makeAlert({ alertname: 'A' }));
    cache.refused({ groupId: 'g', fingerprint: 'a' });
    assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'b' }), { group });
  });

  it('guesses an unknown slot of a known group empty only when told to', () => {
    for (const guessEmpty of [true, false]) {
      const cache = new SlotCache({ capacity: 10, guessEmpty });
      cache.set({ groupId: 'g', fingerprint: 'a' }, { createdAt: 1, origin: 2 }, makeAlert({ alertname: 'A' }));
      assert.deepEqual(cache.get({ groupId: 'g', fingerprint: 'b' }), guessEmpty ? { group: { createdAt: 1, origin: 2 } } : undefined);
      assert.equal(cache.get({ groupId: 'other', fingerprint: 'a' }), undefined);
    }
  });
});

describe('Dispatcher with a slot cache, Redis store', () => {
  it('re-posts read nothing from the store, and new alerts of a group it created read nothing either', async () => {
    const { store, slotsRead } = counted(await openStore(newPrefix('reads')));
    const ingest = dispatcher(store, 1_000);
    const now = Date.now();
    const batch = Array.from({ length: 12 }, (_, n) => alertOf(n, now, false, n % 4 === 0));
    await ingest.ingest(batch.slice(0, 3), now);
    // One slot per alert, plus one more for each alert copied into the `copies` group.
    assert.equal(slotsRead(), 4);
    await ingest.ingest(batch, now + 1_000);
    assert.equal(slotsRead(), 4 + 2, 'only alerts 4 and 8 were read: their copies groups were not known yet');
    await ingest.ingest(batch.map((alert) => ({ ...alert, updatedAt: now + 2_000 })), now + 2_000);
    assert.equal(slotsRead(), 6);
  });

  it('a replica adding alerts another replica created meets one refusal per group, then reads the group\'s slots', async () => {
    const { store, refused } = counted(await openStore(newPrefix('shared')));
    const [first, second] = [dispatcher(store, 1_000), dispatcher(store, 1_000)];
    const now = Date.now();
    const alerts = Array.from({ length: 30 }, (_, n) => alertOf(n, now, false, false));
    await first.ingest(alerts, now);
    // One alert of each of the three groups (A0, A1, A2), then the others one post at a time,
    // as a load balancer spreads posts: the second replica knows each group, not the slots.
    await second.ingest(alerts.slice(0, 3), now + 1_000);
    for (const alert of alerts.slice(3)) await second.ingest([{ ...alert, updatedAt: now + 1_000 }], now + 1_000);
    assert.equal(refused(), 3);
  });

  it('a lone replica keeps guessing the new alerts of a group it emptied and created again', async () => {
    const { store, slotsRead, refused } = counted(await openStore(newPrefix('lone')));
    const replica = dispatcher(store, 1_000);
    const t = Date.now();
    await replica.ingest([makeAlert({ alertname: 'A0', instance: 'x' }, { startsAt: t, endsAt: t + 60_000, updatedAt: t })], t);
    await flushDue(store, t + 60_000);
    assert.deepEqual(await contents(store), []);
    await replica.ingest([makeAlert({ alertname: 'A0', instance: 'y' }, { startsAt: t + 70_000, endsAt: t + 600_000, updatedAt: t + 70_000 })], t + 70_000);
    assert.equal(refused(), 1, 'the guess expected the group as it was');
    const reads = slotsRead();
    await replica.ingest([makeAlert({ alertname: 'A0', instance: 'z' }, { startsAt: t + 80_000, endsAt: t + 600_000, updatedAt: t + 80_000 })], t + 80_000);
    assert.equal(slotsRead(), reads, 'a new alert of the new incarnation is guessed, not read');
  });

  it('two replicas posting the same alerts in turn meet one refusal per slot and replica, then read first', async () => {
    const { store, refused } = counted(await openStore(newPrefix('contended')));
    const replicas = [dispatcher(store, 1_000), dispatcher(store, 1_000)];
    const now = Date.now();
    for (let round = 0; round < 8; round++) {
      const alerts = Array.from({ length: 10 }, (_, n) => ({ ...alertOf(n, now, false, false), updatedAt: now + round * 1_000 }));
      await replicas[round % 2].ingest(alerts, now + round * 1_000);
    }
    assert.ok(refused() <= 2 * 10, `${refused()} refused writes`);
  });

  it("merges a new alert with its slot's retired alert, in a group the replica knows but never wrote the alert to", async () => {
    const store = await openStore(newPrefix('retired'));
    const [a, b] = [dispatcher(store, 1_000), dispatcher(store, 1_000)];
    const t = Date.now();
    const labels = { alertname: 'A0', instance: 'x' };
    await a.ingest([makeAlert({ alertname: 'A0', instance: 'y' }, { startsAt: t, endsAt: t + 600_000, updatedAt: t })], t);
    await b.ingest([makeAlert(labels, { startsAt: t, endsAt: t + 600_000, updatedAt: t })], t);
    await b.ingest([makeAlert(labels, { startsAt: t, endsAt: t + 60_000, updatedAt: t + 60_000 })], t + 60_000);
    await flushDue(store, t + 60_000);
    // Another sender's view of the same episode, at a replica whose cache guesses the slot empty.
    await assertMergesWithRetired(store, a, labels, t);
  });

  it("merges a new alert with its slot's retired alert, in a group emptied and created again since it retired the alert", async () => {
    const store = await openStore(newPrefix('recreated'));
    const [a, b] = [dispatcher(store, 1_000), dispatcher(store, 1_000)];
    const t = Date.now();
    const labels = { alertname: 'A0', instance: 'x' };
    await b.ingest([makeAlert(labels, { startsAt: t, endsAt: t + 600_000, updatedAt: t })], t);
    await b.ingest([makeAlert(labels, { startsAt: t, endsAt: t + 60_000, updatedAt: t + 60_000 })], t + 60_000);
    await flushDue(store, t + 60_000);
    assert.deepEqual(await contents(store), [], 'the flush that retired its one alert deleted the group');
    // Replica a creates the group again, and so knows it, but not the retired alert's slot.
    await a.ingest([makeAlert({ alertname: 'A0', instance: 'y' }, { startsAt: t + 65_000, endsAt: t + 600_000, updatedAt: t + 65_000 })], t + 65_000);
    await assertMergesWithRetired(store, a, labels, t);
  });

  it('stores what an uncached dispatcher stores, while two replicas, flushes and resolves make its entries stale', async () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const cachedStore = await openStore(newPrefix(`cached-${seed}`));
      const plainStore = await openStore(newPrefix(`plain-${seed}`));
      const cachedReads = counted(cachedStore);
      const plainReads = counted(plainStore);
      // Two replicas per world on one Redis prefix; only the first one's reads are counted.
      const worlds = [
        { store: cachedStore, replicas: [dispatcher(cachedReads.store, 1_000), dispatcher(cachedStore, 1_000)] },
        { store: plainStore, replicas: [dispatcher(plainReads.store, 0), dispatcher(plainStore, 0)] },
      ];
      let now = Date.now();
      for (let step = 0; step < 150; step++) {
        now += Math.floor(next() * 20_000);
        const roll = next();
        if (roll < 0.15) {
          for (const world of worlds) await flushDue(world.store, now);
          continue;
        }
        const replica = next() < 0.5 ? 0 : 1;
        const alerts = Array.from({ length: 1 + Math.floor(next() * 6) }, () => alertOf(Math.floor(next() * 12), now, next() < 0.3, next() < 0.2));
        for (const world of worlds) await world.replicas[replica].ingest(alerts, now);
      }
      assert.deepEqual(await contents(worlds[0].store), await contents(worlds[1].store), `seed ${seed}`);
      assert.ok(cachedReads.slotsRead() < plainReads.slotsRead(), `seed ${seed}: the cache saved no read`);
    }
  });
});
