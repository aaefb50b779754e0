import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Alert } from '../../src/core/alert.ts';
import type { FlushOutcome, GroupHeader, GroupIncarnation, GroupState } from '../../src/core/group.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import type { AlertWrite, Claim, Store } from '../../src/store/store.ts';

/** Any epoch: tests count milliseconds from here. */
const T = 1_700_000_000_000;
const LEASE = 60_000;

export function header(id: string): GroupHeader {
  return { id, key: `{}/{team="a"}:{group="${id}"}`, routeId: 'route-1', receiver: 'team-a', labels: { group: id } };
}

export function alert(fingerprint: string, updatedAt: number): Alert {
  return {
    fingerprint,
    labels: { alertname: 'Down', instance: fingerprint },
    annotations: { summary: 'it is down, "really"', empty: '' },
    startsAt: T - 60_000,
    endsAt: updatedAt + 300_000,
    generatorURL: 'http://prometheus.example/graph?g0.expr=up%3D%3D0',
    updatedAt,
    timeout: true,
  };
}

/** The write that creates group `id`, due at `origin`, with one alert. */
export function createWrite(id: string, fingerprint: string, origin: number, createdAt = T): AlertWrite {
  return { group: header(id), alert: alert(fingerprint, createdAt), expected: {}, create: { createdAt, origin } };
}

function outcome(tick: number, nextDue: number, more: Partial<FlushOutcome> = {}): FlushOutcome {
  return { tick, nextDue, log: {}, removeResolved: [], ...more };
}

function sorted(group: GroupState | undefined): GroupState | undefined {
  if (group === undefined) return undefined;
  return { ...group, alerts: [...group.alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)) };
}

async function createGroups(store: Store, writes: readonly AlertWrite[]): Promise<void> {
  for (let i = 0; i < writes.length; i += 500) {
    const applied = await store.writeAlerts(writes.slice(i, i + 500));
    assert.ok(applied.every(Boolean));
  }
}

/**
 * The behaviour every Store must have. `open` returns a new, empty store, which the suite
 * closes after each test.
 */
export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    it('knows no slot, group or due time when empty', async () => {
      assert.deepEqual(await store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }]), [{}]);
      assert.equal(await store.loadGroup('g1'), undefined);
      assert.equal(await store.nextDue(), undefined);
      assert.deepEqual(await store.claimDue(T, LEASE, 10), []);
    });

    it('creates a group with its first alert, due at its origin', async () => {
      const incarnation: GroupIncarnation = { createdAt: T, origin: T + 30_000 };
      const write = createWrite('g1', 'a1', incarnation.origin);
      assert.deepEqual(await store.writeAlerts([write]), [true]);

      assert.deepEqual(await store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }, { groupId: 'g1', fingerprint: 'a2' }]), [
        { alert: write.alert, group: incarnation },
        { alert: undefined, group: incarnation },
      ]);
      assert.deepEqual(await store.loadGroup('g1'), {
        ...header('g1'),
        ...incarnation,
        lastTick: 0,
        alerts: [write.alert],
        log: {},
      });
      assert.equal(await store.nextDue(), T + 30_000);
    });

    it('adds and replaces alerts of an existing group, keeping its header and incarnation', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 30_000)]);
      const other = { ...header('g1'), receiver: 'someone-else' };
      const newer = alert('a1', T + 5);
      assert.deepEqual(
        await store.writeAlerts([
          { group: other, alert: alert('a2', T + 1), expected: { groupCreatedAt: T } },
          { group: other, alert: newer, expected: { groupCreatedAt: T, alertUpdatedAt: T }, create: { createdAt: T + 9, origin: T + 9 } },
        ]),
        [true, true],
      );
      assert.deepEqual(sorted(await store.loadGroup('g1')), {
        ...header('g1'),
        createdAt: T,
        origin: T + 30_000,
        lastTick: 0,
        alerts: [newer, alert('a2', T + 1)],
        log: {},
      });
    });

    it('rejects a batch with a write that expects its group absent but cannot create it', async () => {
      const orphan: AlertWrite = { group: header('g2'), alert: alert('a1', T), expected: {} };
      await assert.rejects(
        store.writeAlerts([createWrite('g1', 'a1', T), orphan]),
        (err: unknown) => err instanceof StoreError && err.code === 'MISSING_CREATE',
      );
      assert.equal(await store.loadGroup('g1'), undefined);
    });

    it('refuses a write whose alert changed or appeared since it was read, changing nothing', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 30_000)]);
      const before = await store.loadGroup('g1');
      assert.deepEqual(
        await store.writeAlerts([
          { group: header('g1'), alert: alert('a1', T + 7), expected: { groupCreatedAt: T, alertUpdatedAt: T - 1 } },
          { group: header('g1'), alert: alert('a1', T + 7), expected: { groupCreatedAt: T }, wakeAt: T },
          { group: header('g1'), alert: alert('a2', T + 7), expected: { groupCreatedAt: T, alertUpdatedAt: T } },
        ]),
        [false, false, false],
      );
      assert.deepEqual(await store.loadGroup('g1'), before);
      assert.equal(await store.nextDue(), T + 30_000);
    });

    it('refuses a write computed for another incarnation of the group, or for one that is gone', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 30_000)]);
      const before = await store.loadGroup('g1');
      assert.deepEqual(
        await store.writeAlerts([
          { group: header('g1'), alert: alert('a2', T + 7), expected: { groupCreatedAt: T - 1 } },
          createWrite('g1', 'a2', T + 1),
          { ...createWrite('g2', 'a1', T), expected: { groupCreatedAt: T } },
        ]),
        [false, false, false],
      );
      assert.deepEqual(await store.loadGroup('g1'), before);
      assert.equal(await store.loadGroup('g2'), undefined);
      assert.deepEqual(await store.readSlots([{ groupId: 'g2', fingerprint: 'a1' }]), [{}]);
    });

    it('applies the writes of a batch in order, each on its own', async () => {
      assert.deepEqual(
        await store.writeAlerts([
          createWrite('g1', 'a1', T + 30_000),
          createWrite('g1', 'a2', T + 30_000),
          { group: header('g1'), alert: alert('a2', T + 1), expected: { groupCreatedAt: T } },
          { group: header('g1'), alert: alert('a2', T + 2), expected: { groupCreatedAt: T, alertUpdatedAt: T + 1 } },
          createWrite('g2', 'a1', T + 30_000),
        ]),
        [true, false, true, true, true],
      );
      const [slot] = await store.readSlots([{ groupId: 'g1', fingerprint: 'a2' }]);
      assert.equal(slot.alert?.updatedAt, T + 2);
    });

    it('moves the due time of an unleased group earlier on a wake, never later', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 30_000)]);
      const wake = async (fingerprint: string, wakeAt: number) =>
        store.writeAlerts([{ group: header('g1'), alert: alert(fingerprint, T), expected: { groupCreatedAt: T }, wakeAt }]);
      await wake('a2', T + 40_000);
      assert.equal(await store.nextDue(), T + 30_000);
      await wake('a3', T + 10_000);
      assert.equal(await store.nextDue(), T + 10_000);
      assert.deepEqual(await store.claimDue(T + 9_999, LEASE, 10), []);
      assert.equal((await store.claimDue(T + 10_000, LEASE, 10)).length, 1);
    });

    it('keeps wakes asked for during a lease until the commit, which honours the earliest', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T), createWrite('g2', 'a1', T)]);
      const claims = await store.claimDue(T, LEASE, 10);
      assert.equal(claims.length, 2);
      const wake = (groupId: string, fingerprint: string, wakeAt: number) =>
        ({ group: header(groupId), alert: alert(fingerprint, T + 1), expected: { groupCreatedAt: T }, wakeAt }) as AlertWrite;
      assert.deepEqual(
        await store.writeAlerts([wake('g1', 'a2', T + 5_000), wake('g1', 'a3', T + 3_000), wake('g1', 'a4', T + 8_000), wake('g2', 'a2', T + 5_000)]),
        [true, true, true, true],
      );
      assert.equal(await store.nextDue(), T + LEASE, 'a leased group stays due at the end of its lease');

      const byId = new Map(claims.map((claim) => [claim.groupId, claim]));
      assert.equal(await store.commit(byId.get('g1') as Claim, outcome(T, T + 100_000)), true);
      assert.equal(await store.commit(byId.get('g2') as Claim, outcome(T, T + 1_000)), true);
      assert.equal(await store.nextDue(), T + 1_000);
      assert.deepEqual(
        (await store.claimDue(T + 2_999, LEASE, 10)).map((claim) => claim.groupId),
        ['g2'],
      );
      assert.deepEqual(
        (await store.claimDue(T + 3_000, LEASE, 10)).map((claim) => claim.groupId),
        ['g1'],
      );
    });

    it('leases due groups only, due again when the lease ends', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T), createWrite('g2', 'a1', T + 10), createWrite('g3', 'a1', T + 100)]);
      const claims = await store.claimDue(T + 10, LEASE, 10);
      assert.deepEqual(claims.map((claim) => claim.groupId).sort(), ['g1', 'g2']);
      assert.equal(await store.nextDue(), T + 100);
      assert.deepEqual((await store.claimDue(T + 10, LEASE, 10)).map((claim) => claim.groupId), []);
      assert.deepEqual((await store.claimDue(T + 10 + LEASE - 1, LEASE, 10)).map((claim) => claim.groupId), ['g3']);
      assert.equal(await store.nextDue(), T + 10 + LEASE);
    });

    it('hands a group whose lease ran out to a new claim with a higher token and refuses the stale commit', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const [first] = await store.claimDue(T, LEASE, 10);
      const before = await store.loadGroup('g1');
      assert.deepEqual(await store.claimDue(T + LEASE - 1, LEASE, 10), []);
      const [second] = await store.claimDue(T + LEASE, LEASE, 10);
      assert.equal(second.groupId, 'g1');
      assert.ok(second.token > first.token, `token ${second.token} after ${first.token}`);

      const log = { 'team-a/webhook/0': { firing: ['a1'], resolved: [], tick: T } };
      assert.equal(await store.commit(first, outcome(T, T + 1_000, { log, removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), false);
      assert.deepEqual(await store.loadGroup('g1'), before);
      assert.equal(await store.nextDue(), T + 2 * LEASE);
      assert.equal(await store.commit(second, outcome(T + LEASE, T + LEASE + 1_000, { log })), true);
      assert.equal(await store.nextDue(), T + LEASE + 1_000);
    });

    it('records a flush on commit, ends the lease, and refuses a second commit of the same claim', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const [first] = await store.claimDue(T, LEASE, 10);
      const log1 = { 'team-a/webhook/0': { firing: ['a1'], resolved: [], tick: T } };
      assert.equal(await store.commit(first, outcome(T, T + 300_000, { log: log1 })), true);
      assert.equal(await store.commit(first, outcome(T, T + 1_000)), false);
      assert.equal(await store.nextDue(), T + 300_000);

      const [second] = await store.claimDue(T + 300_000, LEASE, 10);
      const log2 = { 'team-a/webhook/1': { firing: [], resolved: ['a1', 'a0'], tick: T + 300_000 } };
      assert.equal(await store.commit(second, outcome(T + 300_000, T + 600_000, { log: log2 })), true);
      const group = await store.loadGroup('g1');
      assert.equal(group?.lastTick, T + 300_000);
      assert.deepEqual(group?.log, { ...log1, ...log2 });
      assert.equal(await store.nextDue(), T + 600_000);
    });

    it('deletes on commit only the sent resolved alerts that did not change since', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await store.writeAlerts(
        ['a2', 'a3'].map((fingerprint) => ({ group: header('g1'), alert: alert(fingerprint, T), expected: { groupCreatedAt: T } })),
      );
      const [claim] = await store.claimDue(T, LEASE, 10);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a2', T + 50), expected: { groupCreatedAt: T, alertUpdatedAt: T } }]);
      const removeResolved = ['a1', 'a2', 'a9'].map((fingerprint) => ({ fingerprint, updatedAt: T }));
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { removeResolved })), true);
      assert.deepEqual(sorted(await store.loadGroup('g1'))?.alerts, [alert('a2', T + 50), alert('a3', T)]);
    });

    it('deletes a group emptied by a commit; a later write creates a new incarnation', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const [claim] = await store.claimDue(T, LEASE, 10);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a1', T), expected: { groupCreatedAt: T, alertUpdatedAt: T }, wakeAt: T + 5 }]);
      const log = { 'team-a/webhook/0': { firing: [], resolved: ['a1'], tick: T } };
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { log, removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), true);

      assert.equal(await store.loadGroup('g1'), undefined);
      assert.equal(await store.nextDue(), undefined);
      assert.deepEqual(await store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }]), [{}]);
      assert.deepEqual(await store.claimDue(T + 10 * LEASE, LEASE, 10), []);
      assert.deepEqual(
        await store.writeAlerts([{ group: header('g1'), alert: alert('a2', T + 1), expected: { groupCreatedAt: T } }]),
        [false],
      );

      assert.deepEqual(await store.writeAlerts([createWrite('g1', 'a2', T + 9_000, T + 2_000)]), [true]);
      assert.deepEqual(await store.loadGroup('g1'), {
        ...header('g1'),
        createdAt: T + 2_000,
        origin: T + 9_000,
        lastTick: 0,
        alerts: [alert('a2', T + 2_000)],
        log: {},
      });
      assert.equal(await store.commit(claim, outcome(T, T + 1_000)), false);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a3', T), expected: { groupCreatedAt: T + 2_000 }, wakeAt: T + 4_000 }]);
      assert.equal(await store.nextDue(), T + 4_000, 'the new incarnation is not leased');
    });

    it('forgets on a new claim the wakes asked for during the lease it replaces', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await store.claimDue(T, LEASE, 10);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a2', T), expected: { groupCreatedAt: T }, wakeAt: T + 500 }]);
      const [takeover] = await store.claimDue(T + LEASE, LEASE, 10);
      assert.equal(await store.commit(takeover, outcome(T + LEASE, T + 5 * LEASE)), true);
      assert.equal(await store.nextDue(), T + 5 * LEASE);
    });

    it('reports the earliest due time over all groups', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 300), createWrite('g2', 'a1', T + 100), createWrite('g3', 'a1', T + 200)]);
      assert.equal(await store.nextDue(), T + 100);
      await store.claimDue(T + 100, LEASE, 10);
      assert.equal(await store.nextDue(), T + 200);
    });

    it('hands out at most limit claims', async () => {
      await createGroups(store, Array.from({ length: 20 }, (_, i) => createWrite(`g${i}`, 'a1', T + i)));
      assert.deepEqual(await store.claimDue(T + 100, LEASE, 0), []);
      assert.equal((await store.claimDue(T + 100, LEASE, 7)).length, 7);
      assert.equal((await store.claimDue(T + 100, LEASE, 100)).length, 13);
    });

    it('claims each of 10k due groups once, most overdue first', async () => {
      const count = 10_000;
      await createGroups(store, Array.from({ length: count }, (_, i) => createWrite(`group-${i}`, 'a1', T + i)));
      const now = T + 8_000;
      const batches: number[][] = [];
      for (let claims = await store.claimDue(now, LEASE, 1_000); claims.length > 0; claims = await store.claimDue(now, LEASE, 1_000)) {
        batches.push(claims.map((claim) => Number(claim.groupId.slice('group-'.length))));
      }
      const claimed = batches.flat();
      assert.equal(new Set(claimed).size, claimed.length, 'no group twice');
      assert.deepEqual([...claimed].sort((a, b) => a - b), Array.from({ length: 8_001 }, (_, i) => i));
      assert.deepEqual(batches.map((batch) => batch.length), [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1]);
      assert.ok(batches[0].includes(0), 'the most overdue group is in the first claim');
      const means = batches.slice(0, 8).map((batch) => batch.reduce((sum, i) => sum + i, 0) / batch.length);
      for (let k = 1; k < means.length; k++) assert.ok(means[k] > means[k - 1], `claim ${k} is less overdue: ${means}`);
      assert.equal(await store.nextDue(), T + 8_001);
    });
  });
}
