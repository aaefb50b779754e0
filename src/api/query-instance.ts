import type { Runtime } from '../engine/runtime.ts';
import type { ReplicaRegistry } from '../store/replica-registry.ts';
import type { Store } from '../store/store.ts';
import './instance.ts';

/** What app.ts decorates the Fastify instance with for the query, status and reload routes. */
declare module 'fastify' {
  interface FastifyInstance {
    /** The store the engine writes to; the query routes only read it. */
    store: Store;
    /** The runtime (config, route tree) in force now: reload swaps it. */
    runtime: () => Runtime;
    /** This process and the other replicas sharing the store. */
    replicas: ReplicaRegistry;
    /** When this process started, epoch milliseconds (Alertmanager's `uptime`). */
    startedAt: number;
    /** Where state is kept now: a failover store serves from memory while Redis is away. */
    storage: () => { store: 'memory' | 'redis' | 'failover'; mode: 'memory' | 'redis'; degraded: boolean };
  }
}
