import type { Cluster, Redis } from 'ioredis';
import { StoreError, toStoreError } from './store-errors.ts';

/** One command: its name (a Redis command or a defined script) and arguments. */
export type RedisCall = readonly [command: string, ...args: (string | number)[]];

/**
 * Sends the calls in one round trip and returns their replies in order. On one Redis, several
 * calls go as one pipeline, in one write (the 64 shards' counts of a claim, say). A lone call,
 * and every call on a Cluster (where a pipeline may only span one node), is written directly.
 * The client defers nothing (createRedisClient), so either way calls leave in the order issued,
 * those of concurrent batches included: a usage read cannot miss a write called before it.
 */
export async function execBatch(client: Redis | Cluster, calls: readonly RedisCall[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  try {
    if (calls.length === 1 || client.isCluster) {
      const commands = client as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
      return await Promise.all(calls.map(([command, ...args]) => commands[command](...args)));
    }
    return repliesOf(await client.pipeline(calls.map((call) => [...call])).exec());
  } catch (err) {
    throw toStoreError(err);
  }
}

function repliesOf(results: [error: Error | null, reply: unknown][] | null): unknown[] {
  if (results === null) throw new StoreError('UNAVAILABLE', 'Redis discarded the batch');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
