import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DueQueue } from '../../src/store/due-queue.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { SortedIds } from '../../src/store/sorted-ids.ts';
import { alert, createWrite, storeContract } from './store-contract.ts';

storeContract('memory', async () => new MemoryStore());

describe('MemoryStore', () => {
  it('forgets a retired alert once a flush comes retiredTtlMs after its end', async () => {
    const TTL = 60_000;
    const store = new MemoryStore({ retiredTtlMs: TTL });
    const T = 1_700_000_000_000;
    const flush = async (groupId: string, fingerprint: string, at: number) => {
      const resolved = { ...alert(fingerprint, at), endsAt: at };
      await store.writeAlerts([{ ...createWrite(groupId, fingerprint, at, at), alert: resolved }]);
      const [claim] = await store.claimDue(at, 60_000, 1);
      await store.commit(claim, { tick: at, nextDue: at + 1_000, log: {}, removeResolved: [{ fingerprint, updatedAt: at }] });
    };
    const retired = async (groupId: string, fingerprint: string) => (await store.readSlots([{ groupId, fingerprint }]))[0].retired;

    await flush('g1', 'a1', T);
    await flush('g2', 'a2', T + 1_000);
    await flush('g3', 'a3', T + TTL - 1);
    assert.equal((await retired('g1', 'a1'))?.endsAt, T, 'kept up to its end + retiredTtlMs');
    await flush('g4', 'a4', T + TTL);
    assert.equal(await retired('g1', 'a1'), undefined);
    assert.equal((await retired('g2', 'a2'))?.endsAt, T + 1_000);
    await flush('g5', 'a5', T + TTL + 2_000);
    assert.equal(await retired('g2', 'a2'), undefined);
    assert.equal((await retired('g3', 'a3'))?.endsAt, T + TTL - 1);
  });
});

describe('DueQueue', () => {
  it('always knows the earliest due time, through any mix of inserts, moves and deletes', () => {
    const operation = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 60 }), due: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ delete: fc.integer({ min: 0, max: 60 }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400, size: 'max' }), (operations) => {
        const queue = new DueQueue();
        const model = new Map<string, number>();
        for (const op of operations) {
          if ('set' in op) {
            queue.set(`g${op.set}`, op.due);
            model.set(`g${op.set}`, op.due);
          } else {
            queue.delete(`g${op.delete}`);
            model.delete(`g${op.delete}`);
          }
          assert.equal(queue.peek()?.due, model.size === 0 ? undefined : Math.min(...model.values()));
        }
        for (const [id, due] of model) assert.equal(queue.get(id), due);
        const drained: number[] = [];
        for (let top = queue.peek(); top; top = queue.peek()) {
          assert.equal(top.due, model.get(top.id));
          drained.push(top.due);
          queue.delete(top.id);
        }
        assert.deepEqual(drained, [...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('SortedIds', () => {
  it('pages in ascending order from any id, through any mix of adds and deletes', () => {
    const id = fc.integer({ min: 0, max: 3_000 }).map((n) => `g${n}`);
    const operation = fc.oneof(
      { weight: 3, arbitrary: fc.record({ add: id }) },
      { weight: 1, arbitrary: fc.record({ delete: id }) },
      { weight: 1, arbitrary: fc.record({ after: fc.option(id, { nil: undefined }), count: fc.integer({ min: 0, max: 700 }) }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 2_000, maxLength: 4_000 }), (operations) => {
        const ids = new SortedIds();
        const model = new Set<string>();
        for (const op of operations) {
          if ('add' in op) {
            ids.add(op.add);
            model.add(op.add);
          } else if ('delete' in op) {
            ids.delete(op.delete);
            model.delete(op.delete);
          } else {
            const { after, count } = op;
            const expected = [...model].filter((each) => after === undefined || each > after).sort().slice(0, count);
            assert.deepEqual(ids.after(after, count), expected);
          }
        }
        assert.deepEqual(ids.after(undefined, Infinity), [...model].sort());
      }),
      { numRuns: 20 },
    );
  });
});
