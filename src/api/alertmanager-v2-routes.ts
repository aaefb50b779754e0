import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { isResolved, type Alert } from '../core/alert.ts';
import { compareBytes, compareLabelSets, type LabelSet } from '../core/label-set.ts';
import { matchesLabels, type Matcher } from '../core/matcher.ts';
import { compileRegex, RegexSyntaxError, type RegexTest } from '../core/regex.ts';
import { matchRoutes } from '../core/route.ts';
import { compareAlerts } from '../core/sort-alerts.ts';
import { formatApiTime } from '../core/timestamp.ts';
import { version } from '../version.ts';
import { allGroups } from './cursor.ts';
import {
  AlertGroupsQuery,
  AlertGroupsSchema,
  AlertmanagerErrorSchema,
  AlertsQuery,
  GettableAlertsSchema,
  parseFilters,
  QueryError,
  ReceiversSchema,
  SilencesQuery,
  SilencesSchema,
  StatusSchema,
  useQueryErrors,
  type GettableAlert,
} from './query-schemas.ts';
import './query-instance.ts';

const NOT_SET = 'unknown';
const SILENCES_UNSUPPORTED = 'silences are not supported by Grouper';

/**
 * Alertmanager's API v2 reads, in its shapes, so that amtool and Grafana work unchanged. Grouper
 * has no silences, inhibition or time intervals: every listed alert is `active`, the flags that
 * would show suppressed alerts change nothing, and `active=false` shows nothing.
 */
export async function alertmanagerV2Routes(fastify: FastifyInstance): Promise<void> {
  useQueryErrors(fastify, { asString: true });
  const api = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const badRequest = { 400: AlertmanagerErrorSchema };
  // Every alert at once runs to tens of megabytes, which JSON.stringify writes several times
  // faster than the serializer compiled from the schema; the handlers build exactly its shape.
  const bulk = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };

  api.get(
    '/api/v2/alerts',
    {
      schema: {
        summary: 'Alerts that are not resolved (Alertmanager getAlerts)',
        tags: ['alertmanager'],
        querystring: AlertsQuery,
        response: { 200: GettableAlertsSchema, ...badRequest },
      },
      ...bulk,
    },
    async (request) => {
      const { active, receiver } = request.query;
      const matchers = parseFilters(request.query.filter);
      const receiverTest = receiverRegex(receiver);
      const now = fastify.clock();
      const { root } = fastify.runtime();
      const latest = new Map<string, Alert>();
      for await (const group of allGroups(fastify.store)) {
        for (const alert of group.alerts) {
          // The newest copy speaks for the alert: a group that has not yet filed away a copy
          // that a reload routes elsewhere must not show it firing after a resolve.
          const seen = latest.get(alert.fingerprint);
          if (seen === undefined || seen.updatedAt < alert.updatedAt) latest.set(alert.fingerprint, alert);
        }
      }
      const time = memoizedTimes();
      const alerts: GettableAlert[] = [];
      for (const alert of latest.values()) {
        if (!isShown(alert, active, matchers, now)) continue;
        const receivers = matchRoutes(root, alert.labels).map((route) => route.receiver);
        if (receiverTest !== undefined && !receivers.some(receiverTest)) continue;
        alerts.push(gettableAlert(alert, receivers, time));
      }
      // Fingerprints are hex digits, whose UTF-16 order is their byte order.
      return alerts.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
    },
  );

  api.get(
    '/api/v2/alerts/groups',
    {
      schema: {
        summary: 'Aggregation groups and their alerts that are not resolved (Alertmanager getAlertGroups)',
        tags: ['alertmanager'],
        querystring: AlertGroupsQuery,
        response: { 200: AlertGroupsSchema, ...badRequest },
      },
      ...bulk,
    },
    async (request) => {
      const { active, receiver } = request.query;
      const matchers = parseFilters(request.query.filter);
      const receiverTest = receiverRegex(receiver);
      const now = fastify.clock();
      const groups: { labels: LabelSet; receiver: string; alerts: Alert[] }[] = [];
      const receiversOf = new Map<string, string[]>();
      for await (const group of allGroups(fastify.store)) {
        if (receiverTest !== undefined && !receiverTest(group.receiver)) continue;
        const alerts = group.alerts.filter((alert) => isShown(alert, active, matchers, now));
        if (alerts.length === 0) continue;
        for (const alert of alerts) {
          const receivers = receiversOf.get(alert.fingerprint);
          if (receivers === undefined) receiversOf.set(alert.fingerprint, [group.receiver]);
          else receivers.push(group.receiver);
        }
        groups.push({ labels: group.labels, receiver: group.receiver, alerts });
      }
      for (const receivers of receiversOf.values()) receivers.sort(compareBytes);
      groups.sort((a, b) => compareLabelSets(a.labels, b.labels) || compareBytes(a.receiver, b.receiver));
      const time = memoizedTimes();
      return groups.map((group) => ({
        alerts: group.alerts
          .sort(compareAlerts)
          .map((alert) => gettableAlert(alert, receiversOf.get(alert.fingerprint) ?? [], time)),
        labels: group.labels,
        receiver: { name: group.receiver },
      }));
    },
  );

  api.get(
    '/api/v2/status',
    {
      schema: {
        summary: 'Status of this replica and its peers (Alertmanager getStatus)',
        tags: ['alertmanager'],
        response: { 200: StatusSchema },
      },
    },
    async (request) => {
      const { replicas } = fastify;
      const peers = await replicas.peers().catch((err: unknown) => {
        request.log.warn({ err }, 'cannot list replicas; showing this one only');
        return [replicas.self];
      });
      return {
        cluster: {
          name: replicas.self.name,
          status: 'ready' as const,
          peers: peers.map(({ name, address }) => ({ name, address })),
        },
        config: { original: fastify.runtime().config.original },
        storage: fastify.storage(),
        uptime: formatApiTime(fastify.startedAt),
        versionInfo: {
          branch: NOT_SET,
          buildDate: NOT_SET,
          buildUser: NOT_SET,
          goVersion: `node${process.versions.node}`,
          revision: NOT_SET,
          version,
        },
      };
    },
  );

  api.get(
    '/api/v2/receivers',
    {
      schema: {
        summary: 'The configured receivers (Alertmanager getReceivers)',
        tags: ['alertmanager'],
        response: { 200: ReceiversSchema },
      },
    },
    async () => fastify.runtime().config.receivers.map(({ name }) => ({ name })),
  );

  api.get(
    '/api/v2/silences',
    {
      schema: {
        summary: 'Silences: always none (Alertmanager getSilences)',
        tags: ['alertmanager'],
        querystring: SilencesQuery,
        response: { 200: SilencesSchema, ...badRequest },
      },
    },
    async (request) => {
      parseFilters(request.query.filter);
      return [];
    },
  );

  // 400 rather than 501: Alertmanager's API answers a rejected silence with 400 and a message,
  // which its clients show (amtool: "postSilencesBadRequest <message>"); other statuses they
  // report as unexpected, without the message.
  api.post(
    '/api/v2/silences',
    {
      schema: {
        summary: 'Rejected: Grouper has no silences (Alertmanager postSilences)',
        tags: ['alertmanager'],
        response: badRequest,
      },
    },
    async () => {
      throw new QueryError(400, SILENCES_UNSUPPORTED);
    },
  );
}

export default alertmanagerV2Routes;

/** The `receiver` parameter, anchored as Alertmanager anchors it. */
function receiverRegex(pattern: string | undefined): RegexTest | undefined {
  if (pattern === undefined) return undefined;
  try {
    return compileRegex(pattern);
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new QueryError(400, `failed to parse receiver param: ${err.reason}`);
    throw err;
  }
}

/** Alertmanager's alert filter: not resolved, matching every filter, and not suppressed (none is). */
function isShown(alert: Alert, active: boolean, matchers: readonly Matcher[], now: number): boolean {
  return active && !isResolved(alert, now) && matchesLabels(matchers, alert.labels);
}

/** formatApiTime for one answer: alerts received together share their times, each formatted once. */
function memoizedTimes(): (ms: number) => string {
  const formatted = new Map<number, string>();
  return (ms) => {
    let text = formatted.get(ms);
    if (text === undefined) formatted.set(ms, (text = formatApiTime(ms)));
    return text;
  };
}

function gettableAlert(alert: Alert, receivers: readonly string[], time: (ms: number) => string): GettableAlert {
  return {
    annotations: alert.annotations,
    endsAt: time(alert.endsAt),
    fingerprint: alert.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    startsAt: time(alert.startsAt),
    status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
    updatedAt: time(alert.updatedAt),
    ...(alert.generatorURL !== '' && { generatorURL: alert.generatorURL }),
    labels: alert.labels,
  };
}
