import { Redis } from 'ioredis';
import { startAlertmanager } from '../../test/helpers/alertmanager-process.ts';
import { startGrouper } from '../../test/helpers/grouper-process.ts';
import type { ServiceProcess } from '../../test/helpers/service-process.ts';
import { OptionsError } from './options.ts';

/** A system under test: how to start it fresh with an alertmanager.yml, and what to clean up after it. */
export interface BenchSystem {
  readonly name: string;
  start(config: string): Promise<ServiceProcess>;
  /** Ports of servers the system uses (Redis), whose CPU counts as the system's. */
  readonly helperPorts: readonly number[];
  /** Removes state the run left outside the process. */
  cleanup(): Promise<void>;
}

const REDIS_DEFAULT_PORT = 6379;
const noCleanup = async (): Promise<void> => {};

/** The system the ratios compare the others to. */
export const BASELINE = 'alertmanager';

/** Every system the bench can run; grouper-redis keeps its keys under a prefix of its own and deletes them afterwards. */
export function knownSystems(redisUrl: string): readonly BenchSystem[] {
  const redisPrefix = `grouper-bench-${process.pid}-${Date.now()}`;
  return [
    { name: 'grouper', start: (config) => startGrouper({ config }), helperPorts: [], cleanup: noCleanup },
    { name: BASELINE, start: (config) => startAlertmanager({ config }), helperPorts: [], cleanup: noCleanup },
    {
      name: 'grouper-redis',
      start: (config) => startGrouper({ config, args: [`--storage.redis.url=${redisUrl}`, `--storage.redis.prefix=${redisPrefix}`] }),
      helperPorts: [Number(new URL(redisUrl).port || REDIS_DEFAULT_PORT)],
      cleanup: () => deleteKeys(redisUrl, `${redisPrefix}:*`),
    },
  ];
}

/** The systems named, in the order named; an unknown name is an error listing the known ones. */
export function selectSystems(names: readonly string[], known: readonly BenchSystem[]): BenchSystem[] {
  return names.map((name) => {
    const system = known.find((candidate) => candidate.name === name);
    if (!system) throw new OptionsError(`unknown system ${JSON.stringify(name)}; known: ${known.map((s) => s.name).join(', ')}`);
    return system;
  });
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: pattern, count: 1_000 })) {
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}
