import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { isResolved, type Alert } from '../core/alert.ts';
import type { GroupState } from '../core/group.ts';
import { matchesLabels } from '../core/matcher.ts';
import { sortAlerts } from '../core/sort-alerts.ts';
import { formatApiTime } from '../core/timestamp.ts';
import type { StoredGroup } from '../store/store.ts';
import { collectPage } from './cursor.ts';
import {
  ErrorSchema,
  GroupDetailSchema,
  GroupParams,
  GroupsPageSchema,
  GroupsQuery,
  parseFilters,
  QueryError,
  useQueryErrors,
} from './query-schemas.ts';
import './query-instance.ts';

/** GET /api/v1/groups (filtered, cursor-paged) and GET /api/v1/groups/:id. */
export async function groupsRoutes(fastify: FastifyInstance): Promise<void> {
  useQueryErrors(fastify);
  const api = fastify.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/groups',
    {
      schema: {
        summary: 'List aggregation groups',
        tags: ['groups'],
        querystring: GroupsQuery,
        response: { 200: GroupsPageSchema, 400: ErrorSchema },
      },
    },
    async (request) => {
      const { receiver, state, limit, cursor } = request.query;
      const matchers = parseFilters(request.query.filter);
      const now = fastify.clock();
      const wanted = (alert: Alert): boolean =>
        (state === undefined || (state === 'resolved') === isResolved(alert, now)) &&
        matchesLabels(matchers, alert.labels);
      const filtered = matchers.length > 0 || state !== undefined;
      const page = await collectPage(fastify.store, cursor, limit, (group) => {
        if (receiver !== undefined && group.receiver !== receiver) return undefined;
        if (filtered && !group.alerts.some(wanted)) return undefined;
        return groupSummary(group, now);
      });
      return { groups: page.items, nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/api/v1/groups/:id',
    {
      schema: {
        summary: 'One aggregation group with its alerts and notify log',
        tags: ['groups'],
        params: GroupParams,
        response: { 200: GroupDetailSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const group = await fastify.store.loadGroup(id);
      if (group === undefined) throw new QueryError(404, `group ${id} not found`);
      const now = fastify.clock();
      return {
        ...groupSummary(group, now),
        alerts: sortAlerts(group.alerts).map((alert) => ({
          fingerprint: alert.fingerprint,
          status: isResolved(alert, now) ? ('resolved' as const) : ('firing' as const),
          labels: alert.labels,
          annotations: alert.annotations,
          startsAt: formatApiTime(alert.startsAt),
          endsAt: formatApiTime(alert.endsAt),
          updatedAt: formatApiTime(alert.updatedAt),
          generatorURL: alert.generatorURL,
        })),
        notifyLog: Object.entries(group.log)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([integration, { tick, firing, resolved }]) => ({
            integration,
            notifiedAt: formatApiTime(tick),
            firing: [...firing],
            resolved: [...resolved],
          })),
      };
    },
  );
}

export default groupsRoutes;

function groupSummary(group: StoredGroup, now: number) {
  let resolved = 0;
  for (const alert of group.alerts) if (isResolved(alert, now)) resolved++;
  const last = lastNotification(group);
  return {
    id: group.id,
    groupKey: group.key,
    receiver: group.receiver,
    routeId: group.routeId,
    groupLabels: group.labels,
    alertCounts: { firing: group.alerts.length - resolved, resolved },
    createdAt: formatApiTime(group.createdAt),
    lastNotification: last === undefined ? null : formatApiTime(last),
    nextFlush: formatApiTime(group.due),
  };
}

function lastNotification(group: GroupState): number | undefined {
  let latest: number | undefined;
  for (const entry of Object.values(group.log)) latest = Math.max(latest ?? entry.tick, entry.tick);
  return latest;
}
