import type { Cluster, Redis } from 'ioredis';
import { toStoreError } from './store-errors.ts';

/** One command: its name (a Redis command or a defined script) and arguments. */
export type RedisCall = readonly [command: string, ...args: (string | number)[]];

/**
 * Sends the calls and returns their replies in order. Each is written to the connection as it is
 * issued (createRedisClient defers nothing), so calls leave in the order issued, those of
 * concurrent batches included: a usage read cannot miss a write called before it.
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
