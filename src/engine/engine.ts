import type { Store } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { IngestMetrics, SchedulerMetrics } from '../telemetry/metrics.ts';
import { Dispatcher, type LimitOptions } from './dispatcher.ts';
import type { Notifier } from './notifier.ts';
import type { Runtime } from './runtime.ts';
import { Scheduler, type SchedulerOptions } from './scheduler.ts';

/** The dispatcher that files alerts and the scheduler that flushes them, over one store. */
export interface Engine {
  readonly dispatcher: Dispatcher;
  readonly scheduler: Scheduler;
}

/**
 * Each half needs the other: a write that makes a group due sooner wakes the scheduler, and a
 * flush that finds alerts the config in force files elsewhere hands them to the dispatcher.
 */
export function wireEngine(deps: {
  store: Store;
  notifier: Notifier;
  runtime: () => Runtime;
  clock: () => number;
  logger: Logger;
  metrics: SchedulerMetrics & IngestMetrics;
  scheduler?: Partial<SchedulerOptions>;
  limits?: LimitOptions;
  /** See the Dispatcher's. */
  cachedSlots?: number;
  gcIntervalMs?: number;
}): Engine {
  const { store, runtime, metrics } = deps;
  const scheduler: Scheduler = new Scheduler({
    store,
    notifier: deps.notifier,
    runtime,
    clock: deps.clock,
    rehome: (alerts, now) => dispatcher.rehome(alerts, now),
    logger: deps.logger,
    metrics,
    options: deps.scheduler,
  });
  const dispatcher = new Dispatcher({
    store,
    runtime,
    onWake: (at) => scheduler.poke(at),
    metrics,
    limits: deps.limits,
    cachedSlots: deps.cachedSlots,
    gcIntervalMs: deps.gcIntervalMs,
  });
  return { dispatcher, scheduler };
}
