import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

/** A redis-server of the test's own, for tests that flush scripts or stop and restart Redis. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops it (data is not persisted) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  // A directory of its own: redis-server loads any dump.rdb it finds in its working directory.
  const dir = await mkdtemp(join(tmpdir(), 'grouper-redis-'));
  let child = await launch(port, ['--dir', dir]);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await terminate(child);
      // Tests stop it to make an outage and restart it later: the directory may be gone.
      await mkdir(dir, { recursive: true });
      child = await launch(port, ['--dir', dir]);
    },
    async stop() {
      await terminate(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of its own: `size` primaries sharing the 16384 slots, no replicas. */
export interface RedisClusterServers {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  stop(): Promise<void>;
}

export async function startRedisCluster(size = 3): Promise<RedisClusterServers> {
  const dir = await mkdtemp(join(tmpdir(), 'grouper-redis-cluster-'));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const busPorts = await Promise.all(ports.map(() => freePort()));
  const children = await Promise.all(
    ports.map((port, i) =>
      launch(port, [
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPorts[i]),
        '--cluster-config-file', `nodes-${port}.conf`,
        '--dir', dir,
      ]),
    ),
  );
  const stop = async () => {
    await Promise.all(children.map(terminate));
    await rm(dir, { recursive: true, force: true });
  };
  const clients = ports.map((port) => new Redis({ host: '127.0.0.1', port }));
  try {
    const perNode = Math.ceil(16384 / size);
    await Promise.all(
      clients.map((client, i) =>
        client.call('CLUSTER', 'ADDSLOTSRANGE', i * perNode, Math.min(16383, (i + 1) * perNode - 1)),
      ),
    );
    await Promise.all(
      ports.slice(1).map((port, i) => clients[0].call('CLUSTER', 'MEET', '127.0.0.1', port, busPorts[i + 1])),
    );
    // The nodes learn of each other by gossip: poll until every one sees a complete cluster.
    for (;;) {
      const infos = await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO') as Promise<string>));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${size}`))) break;
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await Promise.all(clients.map((client) => client.quit()));
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}

async function launch(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    child.once('error', reject);
  });
  await ready;
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
