import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnBatch } from '../../src/store/turn-batch.ts';

test('items added in one turn are sent together, those of the next turn apart, each settled by its own result', async () => {
  const sent: number[][] = [];
  const batch = new TurnBatch<number, number>((items) => {
    sent.push([...items]);
    return items.map((item) => (item < 0 ? Promise.reject(new Error(`bad ${item}`)) : Promise.resolve(item * 10)));
  });
  const first = [batch.add(1), batch.add(-2), batch.add(3)];
  const settled = await Promise.allSettled(first);
  const second = await batch.add(4);
  assert.deepEqual(sent, [[1, -2, 3], [4]]);
  assert.deepEqual(
    settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message)),
    [10, 'bad -2', 30],
  );
  assert.equal(second, 40);
});

test('a send that throws rejects every item of its batch', async () => {
  const batch = new TurnBatch<number, number>(() => {
    throw new Error('send failed');
  });
  const results = await Promise.allSettled([batch.add(1), batch.add(2)]);
  assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected']);
});
