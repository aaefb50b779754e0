import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Matcher } from '../core/matcher.ts';
import { MatcherParseError, parseMatcher } from '../core/parse-matchers.ts';
import { sendJsonString } from './alerts-routes.ts';
import { TIMER_TYPES } from '../core/pending-timer.ts';

/*
 * Request and response schemas of the query, status and reload routes, and the error and
 * `filter` handling they share. Fastify validates requests with the schemas (coercing query
 * strings) and serializes responses with them; scripts/openapi.ts documents the API from them.
 */

function stringEnum<const T extends readonly string[]>(values: T, description?: string): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description && { description }) });
}

const time = (description: string) => Type.String({ format: 'date-time', description });

const LabelSet = Type.Record(Type.String(), Type.String());

/** Grouper's error body. */
export const ErrorSchema = Type.Object(
  { code: Type.Integer({ description: 'The HTTP status.' }), message: Type.String() },
  { description: 'The request failed.' },
);

/** A failure the routes answer deliberately, with its HTTP status. */
export class QueryError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/**
 * Errors of these routes as `{code, message}` (go-swagger's shape for Alertmanager's request
 * errors too); with `asString`, the handlers' own errors (QueryError, 5xx) are a JSON string,
 * as Alertmanager's handlers answer.
 */
export function useQueryErrors(fastify: FastifyInstance, options: { asString?: boolean } = {}): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'query failed');
    const fromHandler = error instanceof QueryError || status >= 500;
    if (options.asString && fromHandler) return sendJsonString(reply, status, error.message);
    return reply.code(status).send({ code: status, message: error.message });
  });
}


/** API `filter` values as matchers; a QueryError 400 naming the first that does not parse. */
export function parseFilters(filters: readonly string[] | undefined): Matcher[] {
  return (filters ?? []).map((filter) => {
    try {
      return parseMatcher(filter);
    } catch (err) {
      if (err instanceof MatcherParseError) throw new QueryError(400, `invalid filter: ${err.message}`);
      throw err;
    }
  });
}

// ---- paging ----------------------------------------------------------------------------------

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const paging = {
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    description: `Items per page, at most ${MAX_LIMIT}.`,
  }),
  cursor: Type.Optional(
    Type.String({
      description:
        'The `nextCursor` of the previous page. Items come in ascending group id order; a group that exists for the whole of a paging run is listed exactly once.',
    }),
  ),
};

const nextCursor = Type.Optional(
  Type.String({
    description:
      'Present when there may be more: pass it as `cursor`. With filters, a page may hold fewer than `limit` items (even none) when the groups examined for one request matched few.',
  }),
);

// ---- /api/v1/groups -------------------------------------------------------------------------

export const GroupsQuery = Type.Object({
  receiver: Type.Optional(Type.String({ description: "Only groups of this receiver (its exact name)." })),
  filter: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'An Alertmanager matcher such as `severity="critical"` or `env=~"prod|stage"`; repeatable, all must hold. A group matches when one of its alerts (firing or resolved) matches every filter; its group labels are labels of each of its alerts, so a matcher on a group label selects by group labels.',
    }),
  ),
  state: Type.Optional(
    stringEnum(['firing', 'resolved'] as const, 'Only groups having an alert in this state now; combined with `filter`, that alert must also match.'),
  ),
  ...paging,
});

const AlertCounts = Type.Object(
  { firing: Type.Integer(), resolved: Type.Integer() },
  { description: 'Alerts of the group by their state now.' },
);

export const GroupSummarySchema = Type.Object({
  id: Type.String({ description: 'The id used in URLs: a hash of receiver and group key.' }),
  groupKey: Type.String({ description: "Alertmanager's group key: route key and group labels." }),
  receiver: Type.String(),
  routeId: Type.String(),
  groupLabels: LabelSet,
  alertCounts: AlertCounts,
  createdAt: time('When this group was created.'),
  lastNotification: Type.Union([time('The tick of the latest notification.'), Type.Null()], {
    description: 'The tick of the latest notification, null before the first.',
  }),
  nextFlush: time('When the group is next looked at (while a flush is in progress: the end of its lease).'),
});

export const GroupsPageSchema = Type.Object(
  { groups: Type.Array(GroupSummarySchema), nextCursor },
  { description: 'A page of groups in ascending id order.' },
);

const GroupAlertSchema = Type.Object({
  fingerprint: Type.String(),
  status: stringEnum(['firing', 'resolved'] as const),
  labels: LabelSet,
  annotations: LabelSet,
  startsAt: time('When the alert started.'),
  endsAt: time('When it ends or ended: the sender\'s endsAt, or the resolve_timeout guess.'),
  updatedAt: time('When it was last received.'),
  generatorURL: Type.String(),
});

const NotifyLogSchema = Type.Object({
  integration: Type.String({ description: 'The notify log key `<receiver>/webhook/<index>`.' }),
  notifiedAt: time('The tick at which the notification was decided.'),
  firing: Type.Array(Type.String(), { description: 'Fingerprints notified as firing.' }),
  resolved: Type.Array(Type.String(), { description: 'Fingerprints notified as resolved.' }),
});

export const GroupDetailSchema = Type.Composite(
  [
    GroupSummarySchema,
    Type.Object({
      alerts: Type.Array(GroupAlertSchema, { description: "In Alertmanager's notification order." }),
      notifyLog: Type.Array(NotifyLogSchema, { description: 'The last successful notification of each integration.' }),
    }),
  ],
  { description: 'The group with its alerts and notify log.' },
);

export const GroupParams = Type.Object({ id: Type.String({ description: 'The group id.' }) });

// ---- /api/v1/timers -------------------------------------------------------------------------

const timerType = stringEnum(
  TIMER_TYPES,
  'group_wait: the first flush; repeat_interval: the flush that repeats a notification; group_interval: any other flush.',
);

export const TimersQuery = Type.Object({
  type: Type.Optional(timerType),
  receiver: Type.Optional(Type.String({ description: "Only timers of this receiver's groups (exact name)." })),
  dueWithin: Type.Optional(
    Type.String({ description: 'A Prometheus duration such as `30s` or `1h30m`: only timers due by now plus that (overdue ones included).' }),
  ),
  ...paging,
});

export const TimerSchema = Type.Object(
  {
    groupId: Type.String(),
    groupKey: Type.String(),
    receiver: Type.String(),
    type: timerType,
    dueAt: time('When it fires.'),
    duration: Type.Integer({ description: "The route's interval of this type, in milliseconds." }),
  },
  { description: 'The timer a group waits on: its next wake-up.' },
);

export const TimersPageSchema = Type.Object(
  { timers: Type.Array(TimerSchema), nextCursor },
  { description: 'A page of timers in ascending group id order.' },
);

export const TimerParams = Type.Object({ groupId: Type.String({ description: 'The group id.' }) });

const optionalMs = (description: string) => Type.Union([Type.Number({ description }), Type.Null()], { description });

export const TimerStatsSchema = Type.Object(
  {
    timers: Type.Integer({ description: 'Groups with a pending timer.' }),
    byType: Type.Object({
      group_wait: Type.Integer(),
      group_interval: Type.Integer(),
      repeat_interval: Type.Integer(),
    }),
    withoutRoute: Type.Integer({
      description: 'Groups for which the configuration in force (after a reload) has no route: their alerts are filed elsewhere at their next wake-up.',
    }),
    overdue: Type.Integer({ description: 'Timers due more than 1 s ago and not yet claimed by a replica.' }),
    maxOverdueMs: Type.Integer({ description: 'How long ago the most overdue timer was due; 0 when none is.' }),
    flushLateness: Type.Object(
      {
        flushes: Type.Integer(),
        meanMs: optionalMs('Mean lateness; null before the first flush.'),
        p50Ms: optionalMs('Median, interpolated within histogram buckets; null before the first flush or beyond the largest bucket.'),
        p99Ms: optionalMs('99th percentile, interpolated within histogram buckets; null before the first flush or beyond the largest bucket.'),
      },
      {
        description:
          "How long after their tick this replica's flushes started, since it started: read from grouper_scheduler_flush_lateness_seconds.",
      },
    ),
  },
  { description: 'Timers of all groups, read from the store; flush lateness of this replica.' },
);

// ---- Alertmanager API v2 --------------------------------------------------------------------

const showFlag = (description: string) => Type.Boolean({ default: true, description });

const alertFilters = {
  active: showFlag('Show active alerts.'),
  silenced: showFlag('Show silenced alerts (Grouper has no silences).'),
  inhibited: showFlag('Show inhibited alerts (Grouper has no inhibition).'),
  filter: Type.Optional(
    Type.Array(Type.String(), { description: 'Matchers the alert labels must all satisfy, one per parameter.' }),
  ),
};

export const AlertsQuery = Type.Object({
  ...alertFilters,
  unprocessed: showFlag('Accepted and ignored, as by Alertmanager.'),
  receiver: Type.Optional(Type.String({ description: 'A regex (anchored) matching a receiver the alert routes to.' })),
});

export const AlertGroupsQuery = Type.Object({
  ...alertFilters,
  muted: showFlag('Show groups muted by time intervals (Grouper has none).'),
  receiver: Type.Optional(Type.String({ description: "A regex (anchored) matching the group's receiver." })),
});

export const SilencesQuery = Type.Object({
  filter: Type.Optional(Type.Array(Type.String(), { description: 'Matchers to filter silences by.' })),
});

const ReceiverSchema = Type.Object({ name: Type.String() });

export const GettableAlertSchema = Type.Object({
  annotations: LabelSet,
  endsAt: time('The stored endsAt (the resolve_timeout guess when the sender gave none).'),
  fingerprint: Type.String(),
  receivers: Type.Array(ReceiverSchema),
  startsAt: time('When the alert started.'),
  status: Type.Object({
    state: stringEnum(['unprocessed', 'active', 'suppressed'] as const),
    silencedBy: Type.Array(Type.String()),
    inhibitedBy: Type.Array(Type.String()),
    mutedBy: Type.Array(Type.String()),
  }),
  updatedAt: time('When the alert was last received.'),
  generatorURL: Type.Optional(Type.String()),
  labels: LabelSet,
});

export const GettableAlertsSchema = Type.Array(GettableAlertSchema, { description: 'Sorted by fingerprint.' });

export const AlertGroupsSchema = Type.Array(
  Type.Object({ alerts: Type.Array(GettableAlertSchema), labels: LabelSet, receiver: ReceiverSchema }),
  { description: 'Sorted by group labels, then receiver; alerts in notification order.' },
);

export const StatusSchema = Type.Object(
  {
    cluster: Type.Object({
      name: Type.Optional(Type.String({ description: 'This replica.' })),
      status: stringEnum(['ready', 'settling', 'disabled'] as const),
      peers: Type.Array(Type.Object({ name: Type.String(), address: Type.String() }), {
        description: 'The replicas sharing the store, by name.',
      }),
    }),
    config: Type.Object({ original: Type.String({ description: 'The loaded alertmanager.yml, secrets hidden.' }) }),
    uptime: time('When this process started.'),
    versionInfo: Type.Object({
      branch: Type.String(),
      buildDate: Type.String(),
      buildUser: Type.String(),
      goVersion: Type.String({ description: "Grouper's runtime: the Node.js version." }),
      revision: Type.String(),
      version: Type.String(),
    }),
    storage: Type.Object(
      {
        store: stringEnum(['memory', 'redis', 'failover'] as const),
        mode: stringEnum(['memory', 'redis'] as const),
        degraded: Type.Boolean({ description: 'Redis is configured but unreachable: this replica serves from memory until it merges back.' }),
      },
      { description: "Grouper's addition (Alertmanager's clients ignore it): where this replica keeps state now." },
    ),
  },
  { description: "This replica's status in Alertmanager's shape." },
);

export const ReceiversSchema = Type.Array(ReceiverSchema, { description: 'In configuration order.' });

export const SilencesSchema = Type.Array(Type.Object({}), { maxItems: 0, description: 'Always empty: Grouper has no silences.' });

/** Alertmanager's errors: a JSON string from its handlers, `{code, message}` for malformed parameters. */
export const AlertmanagerErrorSchema = Type.Union([Type.String({ description: 'What went wrong.' }), ErrorSchema]);

/** A plain-text body, for `content`-typed responses. */
export function textBody(description: string): { description: string; content: { 'text/plain': { schema: TSchema } } } {
  return { description, content: { 'text/plain': { schema: Type.String() } } };
}

export type GettableAlert = Static<typeof GettableAlertSchema>;
