import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Alert } from '../../src/core/alert.ts';
import type { FlushOutcome, GroupHeader, GroupIncarnation } from '../../src/core/group.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { storeStats } from '../../src/store/store-stats.ts';
import type { AlertWrite, Claim, GroupPage, Store, StoredGroup } from '../../src/store/store.ts';

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

function sorted(group: StoredGroup | undefined): StoredGroup | undefined {
  if (group === undefined) return undefined;
  return { ...group, alerts: [...group.alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)) };
}

/** A group id spread over the id order like real ones (hex hashes), from a readable name. */
function hexId(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 32);
}

/** The write of one more alert into an existing group created at T. */
function addWrite(groupId: string, added: Alert): AlertWrite {
  return { group: header(groupId), alert: added, expected: { groupCreatedAt: T } };
}

/** Every page of a scan from the start, checking each against `limit`; `during` runs alongside each page. */
async function scanAll(store: Store, limit: number, during: () => Promise<void> = async () => {}): Promise<GroupPage[]> {
  const pages: GroupPage[] = [];
  let after: string | undefined;
  do {
    const [page] = await Promise.all([store.scanGroups(after, limit), during()]);
    assert.ok(page.groups.length <= limit, `page of ${page.groups.length} over limit ${limit}`);
    if (page.next !== undefined) assert.ok(after === undefined || page.next > after, 'each page moves the scan on');
    pages.push(page);
    after = page.next;
  } while (after !== undefined);
  return pages;
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
        due: T + 30_000,
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
        due: T + 30_000,
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
      assert.deepEqual(await store.claimDue(T + LEASE - 1, LEASE, 10), []);
      const [second] = await store.claimDue(T + LEASE, LEASE, 10);
      assert.equal(second.groupId, 'g1');
      assert.ok(second.token > first.token, `token ${second.token} after ${first.token}`);
      const before = await store.loadGroup('g1');

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

    it("keeps each alert a commit deletes as its slot's retired alert, read while the slot holds no alert", async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await store.writeAlerts([addWrite('g1', alert('a2', T))]);
      const [claim] = await store.claimDue(T, LEASE, 10);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a2', T + 50), expected: { groupCreatedAt: T, alertUpdatedAt: T } }]);
      const removed = (updatedAt: number, ...fingerprints: string[]) => fingerprints.map((fingerprint) => ({ fingerprint, updatedAt }));
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { removeResolved: removed(T, 'a1', 'a2') })), true);
      const slots = ['a1', 'a2', 'a9'].map((fingerprint) => ({ groupId: 'g1', fingerprint }));
      const group = { createdAt: T, origin: T };
      assert.deepEqual(await store.readSlots(slots), [
        { alert: undefined, group, retired: alert('a1', T) },
        { alert: alert('a2', T + 50), group },
        { alert: undefined, group },
      ]);

      // A new version in the slot hides the retired one, until it is retired in its turn.
      const readd = { group: header('g1'), alert: alert('a1', T + 100), expected: { groupCreatedAt: T, retiredUpdatedAt: T } };
      assert.deepEqual(await store.writeAlerts([readd]), [true]);
      assert.deepEqual(await store.readSlots([slots[0]]), [{ alert: alert('a1', T + 100), group }]);
      const [second] = await store.claimDue(T + 1_000, LEASE, 10);
      assert.equal(await store.commit(second, outcome(T + 1_000, T + 2_000, { removeResolved: [...removed(T + 100, 'a1'), ...removed(T + 50, 'a2')] })), true);
      assert.equal(await store.loadGroup('g1'), undefined);
      assert.deepEqual(await store.readSlots(slots), [{ retired: alert('a1', T + 100) }, { retired: alert('a2', T + 50) }, {}]);
    });

    it("refuses to add an alert to a group unless the write expects the slot's retired alert as it is", async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await store.writeAlerts([addWrite('g1', alert('a2', T))]);
      const [claim] = await store.claimDue(T, LEASE, 10);
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), true);
      const readd = (retiredUpdatedAt?: number): AlertWrite => ({
        group: header('g1'),
        alert: alert('a1', T + 100),
        expected: { groupCreatedAt: T, retiredUpdatedAt },
      });
      assert.deepEqual(await store.writeAlerts([readd(), readd(T - 1)]), [false, false]);
      assert.deepEqual(await store.writeAlerts([readd(T)]), [true]);
      // Only the slot that has a retired alert expects one.
      assert.deepEqual(await store.writeAlerts([{ ...addWrite('g1', alert('a3', T)), expected: { groupCreatedAt: T, retiredUpdatedAt: T } }]), [false]);
      assert.deepEqual(await store.writeAlerts([addWrite('g1', alert('a3', T))]), [true]);
    });

    it("holds an add to the slot's retired alert in a group emptied and created again since it retired it", async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      await store.writeAlerts([addWrite('g1', alert('a2', T))]);
      const [claim] = await store.claimDue(T, LEASE, 10);
      const removeResolved = ['a1', 'a2'].map((fingerprint) => ({ fingerprint, updatedAt: T }));
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { removeResolved })), true);
      assert.equal(await store.loadGroup('g1'), undefined);
      // The next incarnation, created by a write that read its own slot.
      assert.deepEqual(await store.writeAlerts([createWrite('g1', 'a3', T + 9_000, T + 2_000)]), [true]);
      const readd = (retiredUpdatedAt?: number): AlertWrite => ({
        group: header('g1'),
        alert: alert('a2', T + 100),
        expected: { groupCreatedAt: T + 2_000, retiredUpdatedAt },
      });
      assert.deepEqual(await store.writeAlerts([readd()]), [false], 'a writer that guessed the slot empty reads it first');
      assert.deepEqual(await store.writeAlerts([readd(T)]), [true]);
    });

    it('deletes a group emptied by a commit; a later write creates a new incarnation', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const [claim] = await store.claimDue(T, LEASE, 10);
      await store.writeAlerts([{ group: header('g1'), alert: alert('a1', T), expected: { groupCreatedAt: T, alertUpdatedAt: T }, wakeAt: T + 5 }]);
      const log = { 'team-a/webhook/0': { firing: [], resolved: ['a1'], tick: T } };
      assert.equal(await store.commit(claim, outcome(T, T + 1_000, { log, removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), true);

      assert.equal(await store.loadGroup('g1'), undefined);
      assert.equal(await store.nextDue(), undefined);
      assert.deepEqual(await store.readSlots([{ groupId: 'g1', fingerprint: 'a1' }]), [{ retired: alert('a1', T) }]);
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
        due: T + 9_000,
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

    it('marks a claim that takes over a lease run out uncommitted, and no other', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const [first] = await store.claimDue(T, LEASE, 10);
      assert.equal(first.takenOver, false, 'a first claim');
      const [takeover] = await store.claimDue(T + LEASE, LEASE, 10);
      assert.equal(takeover.takenOver, true, 'the first lease ran out uncommitted');
      assert.equal(await store.commit(takeover, outcome(T + LEASE, T + 2 * LEASE)), true);
      const [after] = await store.claimDue(T + 2 * LEASE, LEASE, 10);
      assert.equal(after.groupId, 'g1');
      assert.equal(after.takenOver, false, 'the previous lease was committed');
    });

    it("extends a claim's lease, never shortening it, so that no other claim takes the group meanwhile", async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T), createWrite('g2', 'a1', T)]);
      const claim = (await store.claimDue(T, LEASE, 10)).find((c) => c.groupId === 'g1') as Claim;
      assert.equal(await store.extendLease(claim, T + LEASE / 2, LEASE), true);
      assert.equal((await store.loadGroup('g1'))?.due, T + LEASE / 2 + LEASE);
      assert.equal((await store.loadGroup('g2'))?.due, T + LEASE, 'other leases are untouched');
      assert.deepEqual((await store.claimDue(T + LEASE, LEASE, 10)).map((c) => c.groupId), ['g2']);

      assert.equal(await store.extendLease(claim, T + 1_000, 1_000), true);
      assert.equal((await store.loadGroup('g1'))?.due, T + LEASE / 2 + LEASE, 'a shorter lease changes nothing');
      assert.equal(await store.commit(claim, outcome(T, T + 10 * LEASE)), true, 'the extended claim still commits');
      assert.equal((await store.loadGroup('g1'))?.due, T + 10 * LEASE);
    });

    it('refuses to extend a lease that was taken over or committed, or whose group is gone', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T), createWrite('g2', 'a1', T)]);
      const claims = await store.claimDue(T, LEASE, 10);
      const [first, gone] = ['g1', 'g2'].map((id) => claims.find((claim) => claim.groupId === id) as Claim);
      const [takeover] = await store.claimDue(T + LEASE, LEASE, 1);
      assert.equal(takeover.groupId, 'g1');
      assert.equal(await store.extendLease(first, T + LEASE, 5 * LEASE), false, 'taken over');
      assert.equal((await store.loadGroup('g1'))?.due, T + 2 * LEASE, 'the new lease is untouched');

      assert.equal(await store.commit(takeover, outcome(T + LEASE, T + 3 * LEASE)), true);
      assert.equal(await store.extendLease(takeover, T + LEASE, 5 * LEASE), false, 'committed');
      assert.equal((await store.loadGroup('g1'))?.due, T + 3 * LEASE);

      assert.equal(await store.commit(gone, outcome(T, T + 1, { removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), true);
      assert.equal(await store.loadGroup('g2'), undefined);
      assert.equal(await store.extendLease(gone, T, 5 * LEASE), false, 'group deleted');
      assert.equal(await store.loadGroup('g2'), undefined);
    });

    it("loads a group with its due time: origin, wake, lease end, the commit's next due", async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T + 30_000)]);
      assert.equal((await store.loadGroup('g1'))?.due, T + 30_000);
      await store.writeAlerts([{ ...addWrite('g1', alert('a2', T)), wakeAt: T + 10_000 }]);
      assert.equal((await store.loadGroup('g1'))?.due, T + 10_000);
      const [claim] = await store.claimDue(T + 10_000, LEASE, 10);
      assert.equal((await store.loadGroup('g1'))?.due, T + 10_000 + LEASE);
      await store.commit(claim, outcome(T + 10_000, T + 500_000));
      assert.equal((await store.loadGroup('g1'))?.due, T + 500_000);
    });

    it('scans whole groups in ascending id order, from any id, without next on the last page', async () => {
      assert.deepEqual(await store.scanGroups(undefined, 10), { groups: [] });
      await store.writeAlerts([
        createWrite('g2', 'a1', T + 20),
        createWrite('g10', 'a1', T + 10),
        createWrite('g1', 'a1', T),
        addWrite('g1', alert('a2', T + 1)),
      ]);
      const [claim] = await store.claimDue(T, LEASE, 1);
      const log = { 'team-a/webhook/0': { firing: ['a1', 'a2'], resolved: [], tick: T } };
      assert.equal(await store.commit(claim, outcome(T, T + 500, { log })), true);

      const page = await store.scanGroups(undefined, 10);
      assert.deepEqual(page.groups.map((group) => group.id), ['g1', 'g10', 'g2']);
      assert.equal(page.next, undefined);
      assert.deepEqual(sorted(page.groups[0]), {
        ...header('g1'),
        createdAt: T,
        origin: T,
        lastTick: T,
        alerts: [alert('a1', T), alert('a2', T + 1)],
        log,
        due: T + 500,
      });
      assert.deepEqual(page.groups.slice(1), [await store.loadGroup('g10'), await store.loadGroup('g2')]);

      const ids = async (after: string | undefined, limit: number) => {
        const { groups, next } = await store.scanGroups(after, limit);
        return { ids: groups.map((group) => group.id), next };
      };
      assert.deepEqual(await ids(undefined, 3), { ids: ['g1', 'g10', 'g2'], next: undefined });
      assert.deepEqual(await ids(undefined, 2), { ids: ['g1', 'g10'], next: 'g10' });
      assert.deepEqual(await ids('g10', 2), { ids: ['g2'], next: undefined });
      assert.deepEqual(await ids('g1', 10), { ids: ['g10', 'g2'], next: undefined });
      assert.deepEqual(await ids('g15', 10), { ids: ['g2'], next: undefined }, 'after an id that is not stored');
      assert.deepEqual(await ids('g2', 10), { ids: [], next: undefined });
    });

    it('scans every group that exists throughout exactly once while others are created and deleted', async () => {
      const never = T + 1e9;
      const stable = Array.from({ length: 2_000 }, (_, i) => hexId(`stable-${i}`));
      await createGroups(store, stable.map((id) => createWrite(id, 'a1', never)));
      const churned: string[] = [];
      const deleted = new Set<string>();
      const churn = async (count: number) => {
        for (const claim of await store.claimDue(T, LEASE, count)) {
          assert.equal(await store.commit(claim, outcome(T, T + 1, { removeResolved: [{ fingerprint: 'a1', updatedAt: T }] })), true);
          deleted.add(claim.groupId);
        }
        const created = Array.from({ length: count }, (_, i) => createWrite(hexId(`churn-${churned.length + i}`), 'a1', T));
        churned.push(...created.map((write) => write.group.id));
        assert.ok((await store.writeAlerts(created)).every(Boolean));
      };
      await churn(300);
      await churn(100);
      const deletedBefore = new Set(deleted);
      assert.equal(deletedBefore.size, 100);

      const pages = await scanAll(store, 100, () => churn(10));
      const groups = pages.flatMap((page) => page.groups);
      const ids = groups.map((group) => group.id);
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `ids ascend, each once: ${ids[i - 1]}, ${ids[i]}`);
      const returned = new Set(ids);
      assert.deepEqual(stable.filter((id) => !returned.has(id)), [], 'every stable group is returned');
      assert.deepEqual(ids.filter((id) => deletedBefore.has(id)), [], 'no group deleted before the scan');
      const known = new Set([...stable, ...churned]);
      assert.deepEqual(ids.filter((id) => !known.has(id)), []);
      assert.ok(pages.length >= 20, `${pages.length} pages`);
      assert.ok(deleted.size >= deletedBefore.size + 10 * (pages.length - 1), `groups deleted during the scan: ${deleted.size}`);
      assert.deepEqual(
        groups.find((group) => group.id === stable[0]),
        { ...header(stable[0]), createdAt: T, origin: never, lastTick: 0, alerts: [alert('a1', T)], log: {}, due: never },
      );
    });

    it('counts groups and distinct alerts firing or resolved at a time, each fingerprint once', async () => {
      const now = T + 1_000_000;
      assert.deepEqual(await storeStats(store, now), { alertsFiring: 0, alertsResolved: 0, groups: 0 });
      const until = (fingerprint: string, endsAt: number): Alert => ({ ...alert(fingerprint, T), endsAt });
      const create = (groupId: string, first: Alert): AlertWrite => ({
        group: header(groupId),
        alert: first,
        expected: {},
        create: { createdAt: T, origin: T },
      });
      await store.writeAlerts([
        create('g1', until('a1', now + 1)),
        addWrite('g1', until('a2', now)),
        create('g2', until('a1', now - 5)),
        addWrite('g2', until('a3', now - 5)),
        create('g3', until('a3', now - 1)),
        addWrite('g3', until('a4', now + 100)),
      ]);
      assert.deepEqual(await storeStats(store, now), { alertsFiring: 2, alertsResolved: 2, groups: 3 }, 'a1 and a4 fire');
      assert.deepEqual(await storeStats(store, now + 100), { alertsFiring: 0, alertsResolved: 4, groups: 3 });
      assert.deepEqual(await storeStats(store, T), { alertsFiring: 4, alertsResolved: 0, groups: 3 });
    });

    it('counts stats over many pages of groups', async () => {
      const count = 1_234;
      const ids = Array.from({ length: count }, (_, i) => hexId(`group-${i}`));
      await createGroups(store, ids.map((id) => createWrite(id, 'shared', T)));
      await createGroups(store, ids.map((id, i) => addWrite(id, { ...alert(`own-${i}`, T), endsAt: T })));
      assert.deepEqual(await storeStats(store, T), { alertsFiring: 1, alertsResolved: count, groups: count });
    });

    it('reads the size of each group when asked for it, and only then', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T), addWrite('g1', alert('a2', T)), createWrite('g2', 'a1', T)]);
      const slots = [
        { groupId: 'g1', fingerprint: 'a1' },
        { groupId: 'g1', fingerprint: 'a9' },
        { groupId: 'g2', fingerprint: 'a9' },
        { groupId: 'g3', fingerprint: 'a1' },
      ];
      const incarnation = { createdAt: T, origin: T };
      assert.deepEqual(await store.readSlots(slots, { groupSizes: true }), [
        { alert: alert('a1', T), group: incarnation, groupSize: 2 },
        { alert: undefined, group: incarnation, groupSize: 2 },
        { alert: undefined, group: incarnation, groupSize: 1 },
        {},
      ]);
      const plain = await store.readSlots(slots);
      assert.ok(plain.every((slot) => !('groupSize' in slot)), 'no size unless asked for');
    });

    it('adds an alert to a group only while it holds fewer than maxGroupAlerts, and always updates', async () => {
      const max = (write: AlertWrite): AlertWrite => ({ ...write, maxGroupAlerts: 2 });
      assert.deepEqual(
        await store.writeAlerts([
          max(createWrite('g1', 'a1', T)),
          max(addWrite('g1', alert('a2', T))),
          max(addWrite('g1', alert('a3', T))),
          max({ group: header('g1'), alert: alert('a1', T + 5), expected: { groupCreatedAt: T, alertUpdatedAt: T } }),
          { ...createWrite('g2', 'a1', T), maxGroupAlerts: 1 },
        ]),
        [true, true, false, true, true],
      );
      assert.deepEqual(sorted(await store.loadGroup('g1'))?.alerts, [alert('a1', T + 5), alert('a2', T)]);
      assert.deepEqual((await store.loadGroup('g2'))?.alerts, [alert('a1', T)]);
    });

    it('counts alert copies and groups per route through writes, commits and deletions', async () => {
      const onRoute2 = (write: AlertWrite): AlertWrite => ({ ...write, group: { ...write.group, routeId: 'route-2' } });
      const usage = async () => {
        const { alerts, groupsByRoute } = await store.usage(['route-1', 'route-2', 'route-3']);
        return { alerts, groups: Object.fromEntries(groupsByRoute) };
      };
      assert.deepEqual(await usage(), { alerts: 0, groups: { 'route-1': 0, 'route-2': 0, 'route-3': 0 } });
      assert.deepEqual(
        await store.writeAlerts([
          createWrite('g1', 'a1', T),
          addWrite('g1', alert('a2', T)),
          createWrite('g2', 'a1', T + 1),
          onRoute2(createWrite('g3', 'a3', T + 2)),
          { group: header('g1'), alert: alert('a1', T + 5), expected: { groupCreatedAt: T, alertUpdatedAt: T } },
          addWrite('g1', alert('a1', T + 6)),
          createWrite('g1', 'a4', T),
        ]),
        [true, true, true, true, true, false, false],
      );
      assert.deepEqual(await usage(), { alerts: 4, groups: { 'route-1': 2, 'route-2': 1, 'route-3': 0 } }, 'updates and refused writes add nothing');
      assert.deepEqual((await store.usage([])).groupsByRoute, new Map(), 'only the routes asked for');

      const claims = new Map((await store.claimDue(T + 2, LEASE, 10)).map((claim) => [claim.groupId, claim]));
      const removeResolved = (...fingerprints: string[]) => fingerprints.map((fingerprint) => ({ fingerprint, updatedAt: T }));
      assert.equal(await store.commit(claims.get('g1') as Claim, outcome(T, T + 1_000, { removeResolved: removeResolved('a1', 'a2') })), true);
      assert.deepEqual(await usage(), { alerts: 3, groups: { 'route-1': 2, 'route-2': 1, 'route-3': 0 } }, 'a1 changed since: kept');
      assert.equal(await store.commit(claims.get('g3') as Claim, outcome(T, T + 1_000, { removeResolved: removeResolved('a3') })), true);
      assert.equal(await store.commit(claims.get('g2') as Claim, outcome(T, T + 1_000, { removeResolved: removeResolved('a9') })), true);
      assert.deepEqual(await usage(), { alerts: 2, groups: { 'route-1': 2, 'route-2': 0, 'route-3': 0 } }, 'g3 deleted');
      assert.equal(await store.commit(claims.get('g1') as Claim, outcome(T, T + 1_000)), false, 'a stale commit changes nothing');

      assert.deepEqual(await store.writeAlerts([onRoute2(createWrite('g3', 'a3', T + 9, T + 9))]), [true]);
      assert.deepEqual(await usage(), { alerts: 3, groups: { 'route-1': 2, 'route-2': 1, 'route-3': 0 } }, 'g3 again');
    });

    it('counts in its usage every write called before it, answered or not', async () => {
      await store.writeAlerts([createWrite('g1', 'a1', T)]);
      const writing = store.writeAlerts([addWrite('g1', alert('a2', T)), createWrite('g2', 'a1', T)]);
      const usage = store.usage(['route-1']);
      assert.deepEqual(await writing, [true, true]);
      assert.deepEqual(await usage, { alerts: 3, groupsByRoute: new Map([['route-1', 2]]) });
    });

    it('keeps its usage equal to what its groups hold through random writes, conflicts and commits', async () => {
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 48_271) % 2_147_483_647;
        return seed % n;
      };
      const routes = ['route-1', 'route-2'];
      const groupHeader = (groupId: string) => ({ ...header(groupId), routeId: routes[Number(groupId.slice(1)) % 2] });
      for (let round = 1; round <= 25; round++) {
        const slots = Array.from({ length: 20 }, () => ({ groupId: `g${random(8)}`, fingerprint: `a${random(6)}` }));
        const states = await store.readSlots(slots);
        await store.writeAlerts(
          slots.map((slot, i) => ({
            group: groupHeader(slot.groupId),
            alert: alert(slot.fingerprint, T + round),
            expected: { alertUpdatedAt: states[i].alert?.updatedAt, groupCreatedAt: states[i].group?.createdAt },
            create: states[i].group ? undefined : { createdAt: T + round, origin: T },
          })),
        );
        for (const claim of await store.claimDue(T + round * 2 * LEASE, LEASE, random(5))) {
          const group = (await store.loadGroup(claim.groupId)) as StoredGroup;
          const removeResolved = group.alerts.filter(() => random(3) > 0).map(({ fingerprint, updatedAt }) => ({ fingerprint, updatedAt }));
          assert.equal(await store.commit(claim, outcome(T, T, { removeResolved })), true);
        }
        const groups = (await scanAll(store, 100)).flatMap((page) => page.groups);
        const held = routes.map((route) => [route, groups.filter((group) => group.routeId === route).length]);
        const alerts = groups.reduce((sum, group) => sum + group.alerts.length, 0);
        assert.deepEqual(await store.usage(routes), { alerts, groupsByRoute: new Map(held as [string, number][]) }, `round ${round}`);
      }
    });
  });
}
