import type { Cluster, Redis } from 'ioredis';
import { toStoreError } from './store-errors.ts';

/** One command: its name (a Redis command or a defined script) and arguments. */
export type RedisCall = readonly [command: string, ...args: (string | number)[]];

/**
 * Sends the calls and returns their replies in order. Each is issued directly: the client
 * pipelines automatically (createRedisClient), so calls issued in the same tick leave in one
 * write, in the order issued, and so do the lone calls of concurrent batches (e.g. the loads and
 * commits of many flushes at once). An explicit pipeline would leave at once, ahead of commands
 * issued before it and still queued: a usage read could then miss a write called before it.
 */
export async function execBatch(client: Redis | Cluster, calls: readonly RedisCall[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const commands = client as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  try {
    return await Promise.all(calls.map(([command, ...args]) => commands[command](...args)));
  } catch (err) {
    throw toStoreError(err);
  }
}
