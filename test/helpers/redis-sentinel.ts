import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { HostPort } from '../../src/config/settings.ts';
import { freePort } from './free-port.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';

/** A Sentinel deployment of the test's own: one master, one replica, three sentinels. */
export interface RedisSentinelSet {
  readonly masterName: string;
  readonly sentinels: readonly HostPort[];
  /** The master as the sentinels name it now. */
  master(): Promise<HostPort>;
  /**
   * Forces a failover (SENTINEL FAILOVER) and resolves once every sentinel names the former
   * replica as master and it accepts writes.
   */
  failover(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'grouper-test';
const SENTINELS = 3;
const POLL_MS = 50;

export async function startRedisSentinel(): Promise<RedisSentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), 'grouper-sentinel-'));
  const servers: RedisServer[] = [];
  const sentinels: { process: ChildProcess; port: number }[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map(({ process }) => terminate(process)));
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    servers.push(await startRedisServer(), await startRedisServer());
    const [primary, replica] = servers;
    // A replica then loads the master's data straight from the socket instead of through a
    // dump.rdb in the servers' shared working directory, which every later redis-server would load.
    for (const server of servers) await withClient(server.port, (client) => client.config('SET', 'repl-diskless-load', 'swapdb'));
    await withClient(replica.port, async (client) => {
      await client.call('REPLICAOF', '127.0.0.1', String(primary.port));
      await until(async () => (await client.info('replication')).includes('master_link_status:up'), 10_000, 'the replica to sync');
    });
    for (let i = 0; i < SENTINELS; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(file, sentinelConfig(port, dir, primary.port, replica.port));
      sentinels.push({ process: await launchSentinel(file), port });
    }
    // SENTINEL FAILOVER needs a replica the sentinel has seen healthy.
    await withClient(sentinels[0].port, (client) =>
      until(async () => {
        const replicas = (await client.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
        return replicas.some((fields) => fieldOf(fields, 'flags') === 'slave' && fieldOf(fields, 'master-link-status') === 'ok');
      }, 15_000, 'the sentinel to see the replica'),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const addresses = sentinels.map(({ port }) => ({ host: '127.0.0.1', port }));
  const master = (sentinelPort: number): Promise<HostPort> =>
    withClient(sentinelPort, async (client) => {
      const [host, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
      return { host, port: Number(port) };
    });
  return {
    masterName: MASTER_NAME,
    sentinels: addresses,
    master: () => master(addresses[0].port),
    async failover(timeoutMs = 20_000) {
      const before = await master(addresses[0].port);
      await withClient(addresses[0].port, (client) => client.call('SENTINEL', 'FAILOVER', MASTER_NAME));
      await until(async () => {
        const named = await Promise.all(addresses.map(({ port }) => master(port)));
        if (named.some((address) => address.port === before.port)) return false;
        return withClient(named[0].port, async (client) => (await client.info('replication')).includes('role:master'));
      }, timeoutMs, 'the failover');
    },
    stop,
  };
}

function sentinelConfig(port: number, dir: string, masterPort: number, replicaPort: number): string {
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
    `sentinel known-replica ${MASTER_NAME} 127.0.0.1 ${replicaPort}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} 2000`,
    `sentinel failover-timeout ${MASTER_NAME} 10000`,
    '',
  ].join('\n');
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  const index = fields.indexOf(name);
  return index === -1 ? undefined : fields[index + 1];
}

async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Starts a sentinel on its config file (which it rewrites) and resolves once it monitors the master. */
async function launchSentinel(file: string): Promise<ChildProcess> {
  const child = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('+monitor master')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis sentinel exited with ${code}:\n${output}`)));
    child.once('error', reject);
  });
  child.stdout?.removeAllListeners('data');
  child.stdout?.resume();
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
