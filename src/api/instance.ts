import type { Config } from '../config/config.ts';
import type { AlertIngest } from '../engine/dispatcher.ts';

/** What app.ts decorates the Fastify instance with for the API routes. */
declare module 'fastify' {
  interface FastifyInstance {
    /** The ingest path: normalized alerts into their groups. */
    ingest: AlertIngest;
    /** Wall clock, epoch milliseconds. */
    clock: () => number;
    /** The config in force now (reload swaps it). */
    currentConfig: () => Config;
  }
}
