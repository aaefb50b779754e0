/**
 * Splits `limit` among shards that have `counts[i]` items waiting: each round every shard still
 * waiting gets an equal share (never more than it has), and what cannot be split evenly goes one
 * each to the waiting shards in order from `start`, so that no shard is always served last.
 */
export function fairShares(counts: readonly number[], limit: number, start: number): number[] {
  const shares = counts.map(() => 0);
  let left = limit;
  let waiting = counts.map((_, i) => (start + i) % counts.length).filter((shard) => counts[shard] > 0);
  while (left > 0 && waiting.length > 0) {
    const each = Math.floor(left / waiting.length);
    if (each === 0) {
      for (const shard of waiting.slice(0, left)) shares[shard]++;
      break;
    }
    for (const shard of waiting) {
      const take = Math.min(each, counts[shard] - shares[shard]);
      shares[shard] += take;
      left -= take;
    }
    waiting = waiting.filter((shard) => shares[shard] < counts[shard]);
  }
  return shares;
}
