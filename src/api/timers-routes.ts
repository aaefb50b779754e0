import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { DurationError, parseDuration } from '../config/duration.ts';
import { pendingTimer, TIMER_TYPES, type PendingTimer, type TimerType } from '../core/pending-timer.ts';
import { formatApiTime } from '../core/timestamp.ts';
import { placeGroup, type Runtime } from '../engine/runtime.ts';
import type { StoredGroup } from '../store/store.ts';
import { allGroups, collectPage } from './cursor.ts';
import {
  ErrorSchema,
  QueryError,
  TimerParams,
  TimerSchema,
  TimersPageSchema,
  TimersQuery,
  TimerStatsSchema,
  useQueryErrors,
} from './query-schemas.ts';
import './query-instance.ts';
import type {} from './metrics-routes.ts';

/** A timer this late and still unclaimed counts as overdue. */
const OVERDUE_AFTER_MS = 1_000;
const LATENESS_METRIC = 'grouper_scheduler_flush_lateness_seconds';

/** GET /api/v1/timers (filtered, cursor-paged), /api/v1/timers/stats and /api/v1/timers/:groupId. */
export async function timersRoutes(fastify: FastifyInstance): Promise<void> {
  useQueryErrors(fastify);
  const api = fastify.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/timers',
    {
      schema: {
        summary: "List the groups' pending timers",
        tags: ['timers'],
        querystring: TimersQuery,
        response: { 200: TimersPageSchema, 400: ErrorSchema },
      },
    },
    async (request) => {
      const { type, receiver, dueWithin, limit, cursor } = request.query;
      const dueBy = dueWithin === undefined ? Infinity : fastify.clock() + parseDueWithin(dueWithin);
      const runtime = fastify.runtime();
      const page = await collectPage(fastify.store, cursor, limit, (group) => {
        if (receiver !== undefined && group.receiver !== receiver) return undefined;
        const timer = timerOf(group, runtime);
        if (timer === undefined || (type !== undefined && timer.type !== type) || timer.dueAt > dueBy) return undefined;
        return timerItem(group, timer);
      });
      return { timers: page.items, nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/api/v1/timers/stats',
    {
      schema: {
        summary: 'Pending timers by type, overdue timers and flush lateness',
        tags: ['timers'],
        response: { 200: TimerStatsSchema },
      },
    },
    async () => {
      const now = fastify.clock();
      const runtime = fastify.runtime();
      const byType = Object.fromEntries(TIMER_TYPES.map((type) => [type, 0])) as Record<TimerType, number>;
      let timers = 0;
      let withoutRoute = 0;
      let overdue = 0;
      let maxOverdueMs = 0;
      for await (const group of allGroups(fastify.store)) {
        const timer = timerOf(group, runtime);
        if (timer === undefined) {
          withoutRoute++;
          continue;
        }
        timers++;
        byType[timer.type]++;
        if (now - timer.dueAt > OVERDUE_AFTER_MS) {
          overdue++;
          maxOverdueMs = Math.max(maxOverdueMs, now - timer.dueAt);
        }
      }
      const flushLateness = await latenessSummary(fastify.metrics.registry);
      return { timers, byType, withoutRoute, overdue, maxOverdueMs, flushLateness };
    },
  );

  api.get(
    '/api/v1/timers/:groupId',
    {
      schema: {
        summary: "One group's pending timer",
        tags: ['timers'],
        params: TimerParams,
        response: { 200: TimerSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { groupId } = request.params;
      const group = await fastify.store.loadGroup(groupId);
      if (group === undefined) throw new QueryError(404, `group ${groupId} not found`);
      const timer = timerOf(group, fastify.runtime());
      if (timer === undefined) {
        throw new QueryError(404, `group ${groupId} has no timer: the configuration in force has no route for it`);
      }
      return timerItem(group, timer);
    },
  );
}

export default timersRoutes;

/**
 * Timed by the route the scheduler flushes the group with; undefined when the configuration in
 * force has none for it (its alerts are filed elsewhere at its next wake-up).
 */
function timerOf(group: StoredGroup, runtime: Runtime): PendingTimer | undefined {
  const { route } = placeGroup(runtime, group);
  return route && pendingTimer(group, group.due, route);
}

function timerItem(group: StoredGroup, timer: PendingTimer) {
  return {
    groupId: group.id,
    groupKey: group.key,
    receiver: group.receiver,
    type: timer.type,
    dueAt: formatApiTime(timer.dueAt),
    duration: timer.duration,
  };
}

function parseDueWithin(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof DurationError) throw new QueryError(400, `invalid dueWithin: ${err.message}`);
    throw err;
  }
}

interface LatenessSummary {
  readonly flushes: number;
  readonly meanMs: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** This replica's flush lateness histogram, summarised. */
async function latenessSummary(registry: Registry): Promise<LatenessSummary> {
  const metric = registry.getSingleMetric(LATENESS_METRIC);
  const values = metric instanceof Histogram ? (await metric.get()).values : [];
  const buckets: { le: number; count: number }[] = [];
  let count = 0;
  let sum = 0;
  for (const { metricName, labels, value } of values) {
    if (metricName === `${LATENESS_METRIC}_bucket`) buckets.push({ le: Number(labels.le), count: value });
    else if (metricName === `${LATENESS_METRIC}_count`) count = value;
    else if (metricName === `${LATENESS_METRIC}_sum`) sum = value;
  }
  if (count === 0) return { flushes: 0, meanMs: null, p50Ms: null, p99Ms: null };
  buckets.sort((a, b) => a.le - b.le);
  return {
    flushes: count,
    meanMs: (sum / count) * 1000,
    p50Ms: bucketQuantile(0.5, buckets, count),
    p99Ms: bucketQuantile(0.99, buckets, count),
  };
}

/**
 * Prometheus's histogram_quantile: linear interpolation within the bucket holding the rank,
 * in milliseconds; null when that is the +Inf bucket.
 */
function bucketQuantile(q: number, buckets: readonly { le: number; count: number }[], count: number): number | null {
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const { le, count: cumulative } of buckets) {
    if (cumulative >= rank) {
      if (le === Infinity) return null;
      const inBucket = cumulative - below;
      return (lower + ((le - lower) * (rank - below)) / inBucket) * 1000;
    }
    lower = le;
    below = cumulative;
  }
  return null;
}
