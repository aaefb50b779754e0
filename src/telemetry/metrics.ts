import { createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LIMIT_NAMES, type LimitName } from '../core/limits.ts';
import { SumCountSummary } from './sum-count-summary.ts';

export const STORE_KINDS = ['memory', 'redis'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const STORE_OPERATIONS = [
  'read_slots',
  'write_alerts',
  'claim_due',
  'extend_lease',
  'scan_groups',
  'load_group',
  'commit',
  'next_due',
  'usage',
  'stats',
] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

export const INTEGRATIONS = ['webhook'] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** Alertmanager's reasons for a failed notification (`alertmanager_notifications_failed_total`). */
export const NOTIFICATION_FAILURE_REASONS = [
  'other',
  'clientError',
  'serverError',
  'contextCanceled',
  'contextDeadlineExceeded',
] as const;
export type NotificationFailureReason = (typeof NOTIFICATION_FAILURE_REASONS)[number];
export type NotificationOutcome = 'ok' | NotificationFailureReason;

export const FLUSH_RESULTS = ['sent', 'quiet', 'failed'] as const;
/** sent: every notification the flush decided on was delivered; quiet: nothing to send; failed: a delivery failed. */
export type FlushResult = (typeof FLUSH_RESULTS)[number];

/** What only the store knows; read at scrape time. */
export interface StoreStats {
  /** Alerts not resolved, each fingerprint once even when it sits in several groups. */
  readonly alertsFiring: number;
  /** Resolved alerts still held in groups until their resolution is notified. */
  readonly alertsResolved: number;
  readonly groups: number;
}

export type StoreStatsProvider = () => Promise<StoreStats>;

/** What the API layer records. */
export interface ApiMetrics {
  alertsReceived(firing: number, resolved: number): void;
  alertsInvalid(count: number): void;
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/** What the dispatcher (ingest path) records. */
export interface IngestMetrics {
  ingested(alerts: number, seconds: number): void;
  ingestConflicts(slots: number): void;
}

/** What the limits (--limits.*) record. */
export interface LimitMetrics {
  /** Per alert kept out of a group, by the limit that refused it. */
  alertsRefused(limit: LimitName, count: number): void;
}

/** What the scheduler records. */
export interface SchedulerMetrics {
  claims(groups: number): void;
  flush(result: FlushResult, latenessSeconds: number): void;
  leaseTakeover(): void;
  commitConflict(): void;
}

/** What the notifier records. */
export interface NotifyMetrics {
  notification(integration: Integration, outcome: NotificationOutcome): void;
  notificationRequest(integration: Integration, ok: boolean, seconds: number): void;
}

/** What the stores record. */
export interface StoreMetrics {
  timeStore<T>(store: StoreKind, operation: StoreOperation, fn: () => Promise<T>): Promise<T>;
  failoverSwitched(to: StoreKind): void;
}

/** What config loading records. */
export interface ConfigMetrics {
  configApplied(original: string, at: number): void;
  configReloadFailed(): void;
}

export interface MetricsOptions {
  /** Grouper's version, for grouper_build_info. */
  readonly version: string;
  /** Default: a registry of its own, so several apps can live in one process. */
  readonly registry?: Registry;
  /** Add Node process metrics (process_*, nodejs_*). Default true. */
  readonly collectDefault?: boolean;
  /** How long scrapes reuse the store's stats. Default 5 s. */
  readonly statsCacheMs?: number;
  /** Monotonic milliseconds, for durations and the stats cache. Default performance.now. */
  readonly now?: () => number;
}

const DEFAULT_STATS_CACHE_MS = 5_000;
const NO_STATS: StoreStats = { alertsFiring: 0, alertsResolved: 0, groups: 0 };

/** 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/**
 * Grouper's Prometheus metrics: Alertmanager's own names, labels and meanings where Alertmanager
 * has the metric, `grouper_*` for the rest. Callers record through the typed methods only.
 */
export class Metrics
  implements ApiMetrics, IngestMetrics, LimitMetrics, SchedulerMetrics, NotifyMetrics, StoreMetrics, ConfigMetrics
{
  readonly registry: Registry;
  readonly #now: () => number;
  readonly #statsCacheMs: number;
  #statsProvider: StoreStatsProvider | undefined;
  #statsCache: { readonly at: number; readonly stats: Promise<StoreStats> } | undefined;
  #lastStats: StoreStats = NO_STATS;

  readonly #alertsReceived: Counter<'status' | 'version'>;
  readonly #alertsInvalid: Counter<'version'>;
  readonly #dispatcherProcessing: SumCountSummary;
  readonly #notifications: Counter<'integration'>;
  readonly #notificationsFailed: Counter<'integration' | 'reason'>;
  readonly #notificationRequests: Counter<'integration'>;
  readonly #notificationRequestsFailed: Counter<'integration'>;
  readonly #notificationLatency: Histogram<'integration'>;
  readonly #configHash: Gauge;
  readonly #configSuccessful: Gauge;
  readonly #configSuccessTime: Gauge;
  readonly #storeDuration: Histogram<'store' | 'operation'>;
  readonly #storeErrors: Counter<'store' | 'operation'>;
  readonly #failoverActive: Gauge;
  readonly #failoverSwitches: Counter<'to'>;
  readonly #claims: Counter;
  readonly #flushes: Counter<'result'>;
  readonly #flushLateness: Histogram;
  readonly #leaseTakeovers: Counter;
  readonly #commitConflicts: Counter;
  readonly #ingestConflicts: Counter;
  readonly #ingestBatchSize: Histogram;
  readonly #alertsRefused: Counter<'limit'>;
  readonly #httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(options: MetricsOptions) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.#now = options.now ?? (() => performance.now());
    this.#statsCacheMs = options.statsCacheMs ?? DEFAULT_STATS_CACHE_MS;
    if (options.collectDefault ?? true) collectDefaultMetrics({ register: this.registry });

    const alertsByState: Gauge<'state'> = new Gauge({
      name: 'alertmanager_alerts',
      help: 'How many alerts by state.',
      labelNames: ['state'],
      registers,
      collect: async () => {
        const { alertsFiring } = await this.#storeStats();
        alertsByState.set({ state: 'active' }, alertsFiring);
        // Grouper has no silences or inhibitions and processes alerts as they arrive.
        alertsByState.set({ state: 'suppressed' }, 0);
        alertsByState.set({ state: 'unprocessed' }, 0);
      },
    });
    this.#alertsReceived = new Counter({
      name: 'alertmanager_alerts_received_total',
      help: 'The total number of received alerts.',
      labelNames: ['status', 'version'],
      registers,
    });
    this.#alertsInvalid = new Counter({
      name: 'alertmanager_alerts_invalid_total',
      help: 'The total number of received alerts that were invalid.',
      labelNames: ['version'],
      registers,
    });
    const aggregationGroups: Gauge = new Gauge({
      name: 'alertmanager_dispatcher_aggregation_groups',
      help: 'Number of active aggregation groups',
      registers,
      collect: async () => {
        aggregationGroups.set((await this.#storeStats()).groups);
      },
    });
    this.#dispatcherProcessing = new SumCountSummary({
      name: 'alertmanager_dispatcher_alert_processing_duration_seconds',
      help: 'Summary of latencies for the processing of alerts.',
      registers,
    });
    this.#notifications = new Counter({
      name: 'alertmanager_notifications_total',
      help: 'The total number of attempted notifications.',
      labelNames: ['integration'],
      registers,
    });
    this.#notificationsFailed = new Counter({
      name: 'alertmanager_notifications_failed_total',
      help: 'The total number of failed notifications.',
      labelNames: ['integration', 'reason'],
      registers,
    });
    this.#notificationRequests = new Counter({
      name: 'alertmanager_notification_requests_total',
      help: 'The total number of attempted notification requests.',
      labelNames: ['integration'],
      registers,
    });
    this.#notificationRequestsFailed = new Counter({
      name: 'alertmanager_notification_requests_failed_total',
      help: 'The total number of failed notification requests.',
      labelNames: ['integration'],
      registers,
    });
    this.#notificationLatency = new Histogram({
      name: 'alertmanager_notification_latency_seconds',
      help: 'The latency of notifications in seconds.',
      labelNames: ['integration'],
      buckets: [1, 5, 10, 15, 20],
      registers,
    });
    this.#configHash = new Gauge({
      name: 'alertmanager_config_hash',
      help: 'Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.',
      registers,
    });
    this.#configSuccessful = new Gauge({
      name: 'alertmanager_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers,
    });
    this.#configSuccessTime = new Gauge({
      name: 'alertmanager_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload.',
      registers,
    });
    new Gauge({
      name: 'grouper_build_info',
      help: "A metric with a constant '1' value labeled by the version Grouper was built from.",
      labelNames: ['version'],
      registers,
    }).set({ version: options.version }, 1);
    const alertsResolved: Gauge = new Gauge({
      name: 'grouper_alerts_resolved',
      help: 'Resolved alerts still held in groups until their resolution is notified.',
      registers,
      collect: async () => {
        alertsResolved.set((await this.#storeStats()).alertsResolved);
      },
    });
    this.#storeDuration = new Histogram({
      name: 'grouper_store_operation_duration_seconds',
      help: 'Duration of store operations, failed ones included.',
      labelNames: ['store', 'operation'],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.#storeErrors = new Counter({
      name: 'grouper_store_errors_total',
      help: 'Store operations that failed.',
      labelNames: ['store', 'operation'],
      registers,
    });
    this.#failoverActive = new Gauge({
      name: 'grouper_store_failover_active',
      help: 'Whether the failover store is serving from memory because Redis is unavailable (1) or not (0).',
      registers,
    });
    this.#failoverSwitches = new Counter({
      name: 'grouper_store_failover_switches_total',
      help: 'Switches of the failover store, by the store switched to.',
      labelNames: ['to'],
      registers,
    });
    this.#claims = new Counter({
      name: 'grouper_scheduler_claims_total',
      help: 'Due groups leased by this replica for flushing.',
      registers,
    });
    this.#flushes = new Counter({
      name: 'grouper_scheduler_flushes_total',
      help: 'Group flushes by result: sent (all deliveries succeeded), quiet (nothing to send), failed (a delivery failed).',
      labelNames: ['result'],
      registers,
    });
    this.#flushLateness = new Histogram({
      name: 'grouper_scheduler_flush_lateness_seconds',
      help: "How long after its tick a group's flush started.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#leaseTakeovers = new Counter({
      name: 'grouper_scheduler_lease_takeovers_total',
      help: 'Groups claimed after the lease of another claim expired uncommitted.',
      registers,
    });
    this.#commitConflicts = new Counter({
      name: 'grouper_scheduler_commit_conflicts_total',
      help: 'Flush commits refused because the lease had been taken over.',
      registers,
    });
    this.#ingestConflicts = new Counter({
      name: 'grouper_ingest_conflict_retries_total',
      help: 'Alert writes retried because a concurrent update changed the alert or its group.',
      registers,
    });
    this.#ingestBatchSize = new Histogram({
      name: 'grouper_ingest_batch_size',
      help: 'Valid alerts per ingested batch.',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.#alertsRefused = new Counter({
      name: 'grouper_alerts_refused_total',
      help: 'Alerts kept out of a group by a limit (--limits.*), one per alert and group, by limit.',
      labelNames: ['limit'],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'grouper_http_request_duration_seconds',
      help: 'Duration of HTTP requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#initializeSeries();
  }

  /** The store's stats for alertmanager_alerts and alertmanager_dispatcher_aggregation_groups. */
  setStoreStatsProvider(provider: StoreStatsProvider): void {
    this.#statsProvider = provider;
    this.#statsCache = undefined;
  }

  /** Per alert posted, valid or not, by whether it had ended when it arrived (Alertmanager counts before validating). */
  alertsReceived(firing: number, resolved: number): void {
    this.#alertsReceived.inc({ status: 'firing', version: 'v2' }, firing);
    this.#alertsReceived.inc({ status: 'resolved', version: 'v2' }, resolved);
  }

  alertsInvalid(count: number): void {
    this.#alertsInvalid.inc({ version: 'v2' }, count);
  }

  /** `route` is the route pattern, never the URL; "unmatched" when no route matched. */
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.#httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** A batch of valid alerts filed into their groups in `seconds`. */
  ingested(alerts: number, seconds: number): void {
    this.#ingestBatchSize.observe(alerts);
    // Alertmanager observes each alert: the batch's time is the sum over its alerts.
    this.#dispatcherProcessing.observeMany(seconds, alerts);
  }

  ingestConflicts(slots: number): void {
    this.#ingestConflicts.inc(slots);
  }

  alertsRefused(limit: LimitName, count: number): void {
    this.#alertsRefused.inc({ limit }, count);
  }

  claims(groups: number): void {
    this.#claims.inc(groups);
  }

  /** `latenessSeconds`: flush start minus the tick it flushes; an early start counts as 0. */
  flush(result: FlushResult, latenessSeconds: number): void {
    this.#flushes.inc({ result });
    this.#flushLateness.observe(Math.max(0, latenessSeconds));
  }

  leaseTakeover(): void {
    this.#leaseTakeovers.inc();
  }

  commitConflict(): void {
    this.#commitConflicts.inc();
  }

  /** Once per notification (one integration, one flush), after its last attempt, as Alertmanager counts. */
  notification(integration: Integration, outcome: NotificationOutcome): void {
    this.#notifications.inc({ integration });
    if (outcome !== 'ok') this.#notificationsFailed.inc({ integration, reason: outcome });
  }

  /** Once per HTTP attempt: Alertmanager's notification latency is per attempt too. */
  notificationRequest(integration: Integration, ok: boolean, seconds: number): void {
    this.#notificationRequests.inc({ integration });
    if (!ok) this.#notificationRequestsFailed.inc({ integration });
    this.#notificationLatency.observe({ integration }, seconds);
  }

  /** Times `fn` as one store operation and counts it as an error when it rejects. */
  async timeStore<T>(store: StoreKind, operation: StoreOperation, fn: () => Promise<T>): Promise<T> {
    const startedAt = this.#now();
    let ok = false;
    try {
      const result = await fn();
      ok = true;
      return result;
    } finally {
      this.storeOperation(store, operation, (this.#now() - startedAt) / 1000, ok);
    }
  }

  storeOperation(store: StoreKind, operation: StoreOperation, seconds: number, ok: boolean): void {
    this.#storeDuration.observe({ store, operation }, seconds);
    if (!ok) this.#storeErrors.inc({ store, operation });
  }

  failoverSwitched(to: StoreKind): void {
    this.#failoverSwitches.inc({ to });
    this.#failoverActive.set(to === 'memory' ? 1 : 0);
  }

  /** A config (its `original` text) is in force since `at` (epoch ms). */
  configApplied(original: string, at: number): void {
    this.#configSuccessful.set(1);
    this.#configSuccessTime.set(at / 1000);
    this.#configHash.set(configHash(original));
  }

  configReloadFailed(): void {
    this.#configSuccessful.set(0);
  }

  /** Every series with a fixed label set exists from the start, so rate() and absent() work. */
  #initializeSeries(): void {
    this.alertsReceived(0, 0);
    this.alertsInvalid(0);
    for (const integration of INTEGRATIONS) {
      this.#notifications.inc({ integration }, 0);
      this.#notificationRequests.inc({ integration }, 0);
      this.#notificationRequestsFailed.inc({ integration }, 0);
      this.#notificationLatency.zero({ integration });
      for (const reason of NOTIFICATION_FAILURE_REASONS) this.#notificationsFailed.inc({ integration, reason }, 0);
    }
    for (const store of STORE_KINDS) {
      this.#failoverSwitches.inc({ to: store }, 0);
      for (const operation of STORE_OPERATIONS) {
        this.#storeDuration.zero({ store, operation });
        this.#storeErrors.inc({ store, operation }, 0);
      }
    }
    for (const result of FLUSH_RESULTS) this.#flushes.inc({ result }, 0);
    for (const limit of LIMIT_NAMES) this.#alertsRefused.inc({ limit }, 0);
  }

  /**
   * The provider's stats, shared by every gauge of a scrape and reused for statsCacheMs. A
   * failed call keeps the last values and is not cached, so the next scrape asks again.
   */
  #storeStats(): Promise<StoreStats> {
    const provider = this.#statsProvider;
    if (provider === undefined) return Promise.resolve(NO_STATS);
    const now = this.#now();
    const cached = this.#statsCache;
    if (cached !== undefined && now - cached.at < this.#statsCacheMs) return cached.stats;
    const entry = {
      at: now,
      stats: provider().then(
        (stats) => (this.#lastStats = stats),
        () => {
          if (this.#statsCache === entry) this.#statsCache = undefined;
          return this.#lastStats;
        },
      ),
    };
    this.#statsCache = entry;
    return entry.stats;
  }
}

/** Alertmanager's config hash: the first 48 bits of the MD5, little-endian, exact in a float64. */
export function configHash(text: string): number {
  return createHash('md5').update(text).digest().readUIntLE(0, 6);
}
