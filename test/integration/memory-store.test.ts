import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DueQueue } from '../../src/store/due-queue.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', async () => new MemoryStore());

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
