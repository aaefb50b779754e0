import type { Alert } from './alert.ts';
import type { GroupHeader } from './group.ts';
import { formatLabelSet } from './label-set.ts';

/**
 * How much the store may hold (--limits.*); 0 = unlimited, the default, as Alertmanager has none.
 * Only new things are refused: an alert a group already holds is always updated, so a full group
 * still resolves. A refused alert is dropped for that group only, the way Alertmanager's
 * MaxNumberOfAggregationGroups drops an alert for one route and keeps it for the others.
 */
export interface Limits {
  /** A new alert is refused by a group that holds this many. */
  readonly alertsPerGroup: number;
  /** A new group is refused when its route has this many. */
  readonly groupsPerRoute: number;
  /** A new alert is refused when the store holds this many alert copies (one per group holding it). */
  readonly alerts: number;
}

export const NO_LIMITS: Limits = { alertsPerGroup: 0, groupsPerRoute: 0, alerts: 0 };

export const LIMIT_NAMES = ['alerts_per_group', 'groups_per_route', 'alerts'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

const FLAGS: Readonly<Record<LimitName, string>> = {
  alerts_per_group: '--limits.alerts-per-group',
  groups_per_route: '--limits.groups-per-route',
  alerts: '--limits.alerts',
};

export function hasLimits(limits: Limits): boolean {
  return limits.alertsPerGroup > 0 || limits.groupsPerRoute > 0 || limits.alerts > 0;
}

/** What the store holds, as far as the caller knows. */
export interface Usage {
  readonly alerts: number;
  groups(routeId: string): number;
}

/** A new alert bound for one group, with what the store held when it was read. */
export interface Candidate {
  readonly groupId: string;
  readonly routeId: string;
  /** The group does not exist: the first such alert creates it. */
  readonly newGroup: boolean;
  /**
   * How many alerts the group holds, when read (0 for a new group). Unread, the store checks
   * --limits.alerts-per-group as it writes, and a caller that reads the size on its retry gets
   * the refusal from here.
   */
  readonly groupSize?: number;
}

export type Verdict =
  | { readonly admitted: true; readonly createsGroup: boolean }
  | { readonly admitted: false; readonly limit: LimitName; readonly count: number };

/**
 * Admits new alerts in order, counting what the admitted ones add, so that each limit refuses
 * exactly the alerts and groups beyond it. Updates of alerts held are never candidates. A new
 * group is checked against its route first, then a new alert against its group, then against
 * the total.
 */
export function admit(limits: Limits, usage: Usage, candidates: readonly Candidate[]): Verdict[] {
  const addedToGroup = new Map<string, number>();
  const createdForRoute = new Map<string, number>();
  let added = 0;
  return candidates.map(({ groupId, routeId, newGroup, groupSize }): Verdict => {
    const inBatch = addedToGroup.get(groupId) ?? 0;
    const createsGroup = newGroup && inBatch === 0;
    if (createsGroup && limits.groupsPerRoute > 0) {
      const count = usage.groups(routeId) + (createdForRoute.get(routeId) ?? 0);
      if (count >= limits.groupsPerRoute) return { admitted: false, limit: 'groups_per_route', count };
    }
    const size = newGroup ? inBatch : groupSize === undefined ? undefined : groupSize + inBatch;
    if (limits.alertsPerGroup > 0 && size !== undefined && size >= limits.alertsPerGroup) {
      return { admitted: false, limit: 'alerts_per_group', count: size };
    }
    if (limits.alerts > 0 && usage.alerts + added >= limits.alerts) {
      return { admitted: false, limit: 'alerts', count: usage.alerts + added };
    }
    addedToGroup.set(groupId, inBatch + 1);
    if (createsGroup) createdForRoute.set(routeId, (createdForRoute.get(routeId) ?? 0) + 1);
    added++;
    return { admitted: true, createsGroup };
  });
}

/** An alert a limit kept out of one group. */
export interface Refusal {
  readonly alert: Alert;
  readonly group: GroupHeader;
  readonly limit: LimitName;
  /** What the limit counted when it refused: at least the limit. */
  readonly count: number;
}

export function countByLimit(refused: readonly Refusal[]): Partial<Record<LimitName, number>> {
  const counts: Partial<Record<LimitName, number>> = {};
  for (const { limit } of refused) counts[limit] = (counts[limit] ?? 0) + 1;
  return counts;
}

/** One line of the API's answer, naming the alert, what was full and the flag that set the limit. */
export function refusalMessage({ alert, group, limit, count }: Refusal): string {
  const what =
    limit === 'alerts_per_group'
      ? `group ${group.key} holds ${count} alerts`
      : limit === 'groups_per_route'
        ? `route ${group.routeId} has ${count} groups, so group ${group.key} is not created`
        : `the store holds ${count} alerts`;
  const kind = limit === 'groups_per_route' ? 'group' : 'alert';
  return `${formatLabelSet(alert.labels)}: ${kind} limit reached: ${what} (${FLAGS[limit]})`;
}
