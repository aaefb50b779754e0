import type { FastifyInstance } from 'fastify';
import { alertmanagerV2Routes } from './api/alertmanager-v2-routes.ts';
import { alertsRoutes } from './api/alerts-routes.ts';
import { groupsRoutes } from './api/groups-routes.ts';
import { healthRoutes } from './api/health-routes.ts';
import { metricsRoutes, recordHttpMetrics } from './api/metrics-routes.ts';
import './api/query-instance.ts';
import { reloadRoutes } from './api/reload-routes.ts';
import { timersRoutes } from './api/timers-routes.ts';
import { webhookRoutes } from './api/webhook-routes.ts';
import type { Config } from './config/config.ts';
import { loadConfig } from './config/load-config.ts';
import type { Settings } from './config/settings.ts';
import { wireEngine } from './engine/engine.ts';
import type { Notifier } from './engine/notifier.ts';
import { ReceiverNotifier } from './engine/receiver-notifier.ts';
import { buildRuntime, type Runtime } from './engine/runtime.ts';
import type { SchedulerOptions } from './engine/scheduler.ts';
import { WebhookNotifier } from './notify/webhook-notifier.ts';
import { FailoverStore } from './store/failover-store.ts';
import { MeteredStore } from './store/metered-store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { createRedisClient } from './store/redis-client.ts';
import { RedisMerge } from './store/redis-merge.ts';
import { RedisStore } from './store/redis-store.ts';
import {
  MemoryReplicaRegistry,
  newReplicaName,
  RedisReplicaRegistry,
  type ReplicaIdentity,
  type ReplicaRegistry,
} from './store/replica-registry.ts';
import type { Store } from './store/store.ts';
import { storeStats } from './store/store-stats.ts';
import type { Logger } from './telemetry/logger.ts';
import { Metrics, type StoreKind } from './telemetry/metrics.ts';
import { version } from './version.ts';

export interface AppOptions {
  readonly settings: Settings;
  readonly config: Config;
  /** Tests inject these; otherwise they are built from the settings. */
  readonly store?: Store;
  readonly notifier?: Notifier;
  readonly clock?: () => number;
  readonly metrics?: Metrics;
  readonly scheduler?: Partial<SchedulerOptions>;
}

/** How long a group's keys outlive its due time in Redis (bounds garbage after a bug or a long stop). */
const REDIS_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined when ready, else what is missing. */
    readiness: () => Promise<string | undefined>;
    /** Re-reads the config file; on error keeps the running config and rethrows. */
    reloadConfig: () => Promise<void>;
  }
}

/** host:port under which other replicas and operators reach this one. */
function peerAddress(externalURL: string): string {
  const url = new URL(externalURL);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function storeKind(store: Store): StoreKind {
  if (store instanceof FailoverStore) return store.mode;
  return store instanceof RedisStore ? 'redis' : 'memory';
}

interface Backing {
  readonly store: Store;
  readonly replicas: ReplicaRegistry;
  /** Withdraws this replica from the registry and releases what the registry holds. */
  readonly leave: () => Promise<void>;
}

function memoryBacking(store: Store, self: ReplicaIdentity, clock: () => number): Backing {
  const replicas = new MemoryReplicaRegistry(self, clock);
  return { store, replicas, leave: () => replicas.stop() };
}

/** Redis behind the failover store when configured: a Redis outage degrades to memory. */
async function createBacking(
  settings: Settings,
  self: ReplicaIdentity,
  log: Logger,
  metrics: Metrics,
  clock: () => number,
): Promise<Backing> {
  const retiredTtlMs = settings.alertsGcIntervalMs;
  if (settings.redis === undefined) return memoryBacking(new MemoryStore({ retiredTtlMs }), self, clock);
  const { prefix } = settings.redis;
  const client = createRedisClient(settings.redis);
  // The store closes its client on close; the registry withdraws this replica with its own.
  const registryClient = client.duplicate();
  for (const c of [client, registryClient]) c.on('error', (err) => log.debug({ err }, 'redis connection error'));
  const store = new FailoverStore({
    // Counting groups and alerts costs every new alert a little: only when a limit needs it.
    redis: new RedisStore(client, {
      prefix,
      graceMs: REDIS_GRACE_MS,
      countUsage: settings.limits.groupsPerRoute > 0 || settings.limits.alerts > 0,
      retiredTtlMs,
    }),
    ping: () => client.ping(),
    createMemory: () => new MemoryStore({ retiredTtlMs }),
    merge: new RedisMerge(client, { prefix, graceMs: REDIS_GRACE_MS, retiredTtlMs }),
    logger: log,
    metrics,
    clock,
  });
  const replicas = new RedisReplicaRegistry(registryClient, {
    prefix,
    self,
    clock,
    onError: (err) => log.debug({ err }, 'replica heartbeat failed'),
  });
  // Starting while Redis is down is the outage case: serve from memory and merge back later.
  await Promise.all([client.connect(), registryClient.connect()]).catch((err) =>
    log.warn({ err }, 'redis unreachable at start; serving from memory until it answers'),
  );
  const leave = async (): Promise<void> => {
    await replicas.stop();
    registryClient.disconnect();
  };
  return { store, replicas, leave };
}

/** The whole service as a Fastify plugin: no listen, so tests and server.ts share it. */
export async function app(fastify: FastifyInstance, options: AppOptions): Promise<void> {
  const { settings } = options;
  const clock = options.clock ?? Date.now;
  // Counting alerts in Redis pages through every group: scrapes reuse the count for a while.
  const metrics = options.metrics ?? new Metrics({ version, statsCacheMs: settings.redis ? 30_000 : 5_000 });
  const startedAt = clock();
  const self = { name: newReplicaName(startedAt), address: peerAddress(settings.externalURL), startedAt };
  const { store: backing, replicas, leave } = options.store
    ? memoryBacking(options.store, self, clock)
    : await createBacking(settings, self, fastify.log, metrics, clock);
  const store = new MeteredStore(backing, metrics, () => storeKind(backing));
  metrics.setStoreStatsProvider(() => storeStats(backing, clock()));
  let runtime: Runtime = buildRuntime(options.config);
  metrics.configApplied(runtime.config.original, clock());
  let webhooks: WebhookNotifier | undefined;
  let notifier = options.notifier;
  if (notifier === undefined) {
    webhooks = new WebhookNotifier({ version, logger: fastify.log, metrics });
    notifier = new ReceiverNotifier({ webhooks, externalURL: settings.externalURL, logger: fastify.log });
  }
  const { scheduler, dispatcher } = wireEngine({
    store,
    notifier,
    runtime: () => runtime,
    clock,
    logger: fastify.log,
    metrics,
    scheduler: { leaseMs: settings.leaseMs, pollMs: settings.pollMs, ...options.scheduler },
    limits: { limits: settings.limits, usageMaxAgeMs: settings.redis ? 1_000 : 0, metrics },
    cachedSlots: settings.redis?.cachedSlots ?? 0,
    gcIntervalMs: settings.alertsGcIntervalMs,
  });

  fastify.decorate('metrics', metrics);
  fastify.decorate('store', store);
  fastify.decorate('runtime', () => runtime);
  fastify.decorate('replicas', replicas);
  fastify.decorate('startedAt', startedAt);
  fastify.decorate('storage', () => ({
    store: backing instanceof FailoverStore ? 'failover' : storeKind(backing),
    mode: storeKind(backing),
    degraded: backing instanceof FailoverStore && backing.mode === 'memory',
  }));
  fastify.decorate('clock', clock);
  fastify.decorate('ingest', dispatcher);
  fastify.decorate('currentConfig', () => runtime.config);
  let started = false;
  fastify.decorate('readiness', async () => (started ? undefined : 'starting'));
  fastify.decorate('reloadConfig', async () => {
    try {
      runtime = buildRuntime(await loadConfig(settings.configFile));
      metrics.configApplied(runtime.config.original, clock());
      fastify.log.info({ file: settings.configFile }, 'configuration reloaded');
    } catch (err) {
      metrics.configReloadFailed();
      fastify.log.error({ err, file: settings.configFile }, 'configuration reload failed; keeping the running one');
      throw err;
    }
  });

  recordHttpMetrics(fastify);
  await fastify.register(healthRoutes);
  await fastify.register(metricsRoutes);
  await fastify.register(alertsRoutes);
  await fastify.register(webhookRoutes);
  await fastify.register(reloadRoutes);
  await fastify.register(groupsRoutes);
  await fastify.register(timersRoutes);
  await fastify.register(alertmanagerV2Routes);

  fastify.addHook('onReady', async () => {
    scheduler.start();
    await replicas.start();
    started = true;
  });
  fastify.addHook('onClose', async () => {
    await scheduler.stop(settings.shutdownTimeoutMs);
    await leave();
    await webhooks?.close();
    await store.close();
  });
}

// Not encapsulated: server.ts reaches reloadConfig on the root instance (SIGHUP), as
// fastify-plugin would arrange.
Object.assign(app, { [Symbol.for('skip-override')]: true });
