import type { Alert } from './alert.ts';
import { notifyReason, type NotifyReason } from './dedup.ts';
import type { FlushOutcome, GroupState, NotifyLogEntry } from './group.ts';
import { tickAfter, tickAtOrAfter, tickAtOrBefore } from './group-timing.ts';
import type { Route } from './route.ts';
import { sortAlerts } from './sort-alerts.ts';

/** One notifying integration of the group's receiver, as the dedup stage sees it. */
export interface Integration {
  /** `<receiver>/webhook/<index>`: the notify log key. */
  readonly key: string;
  readonly sendResolved: boolean;
}

export interface PlannedSend {
  readonly integration: number;
  readonly reason: NotifyReason;
  /** What to send, in notification order; empty when send_resolved hides everything (no request). */
  readonly alerts: readonly Alert[];
}

export interface FlushPlan {
  /** The tick this flush stands for; resolved-ness is judged at it. */
  readonly tick: number;
  /** False when the tick was already flushed: the group woke early and only reschedules. */
  readonly due: boolean;
  readonly firing: readonly Alert[];
  readonly resolved: readonly Alert[];
  readonly sends: readonly PlannedSend[];
}

/** What a flush at the latest tick not after `now` must send, integration by integration. */
export function planFlush(
  group: GroupState,
  route: Route,
  integrations: readonly Integration[],
  now: number,
): FlushPlan {
  const tick = tickAtOrBefore(group.origin, route.groupInterval, now);
  if (tick === undefined || tick <= group.lastTick) {
    return { tick: group.lastTick, due: false, firing: [], resolved: [], sends: [] };
  }
  const alerts = sortAlerts(group.alerts);
  const firing = alerts.filter((a) => a.endsAt > tick);
  const resolved = alerts.filter((a) => a.endsAt <= tick);
  const firingIds = firing.map((a) => a.fingerprint);
  const resolvedIds = resolved.map((a) => a.fingerprint);
  const sends: PlannedSend[] = [];
  integrations.forEach((integration, index) => {
    const reason = notifyReason(
      group.log[integration.key],
      firingIds,
      resolvedIds,
      integration.sendResolved,
      route.repeatInterval,
      tick,
    );
    if (reason !== undefined) {
      sends.push({ integration: index, reason, alerts: integration.sendResolved ? alerts : firing });
    }
  });
  return { tick, due: true, firing, resolved, sends };
}

/**
 * The flush's result given which planned sends succeeded: log entries of the successful ones,
 * the resolved alerts to delete (only when every integration succeeded), and the next tick at
 * which anything could change without a new alert: a retry, an auto-resolve, or a repeat.
 */
export function settleFlush(
  group: GroupState,
  route: Route,
  integrations: readonly Integration[],
  plan: FlushPlan,
  succeeded: readonly boolean[],
): FlushOutcome {
  const interval = route.groupInterval;
  if (!plan.due) {
    const nextDue = tickAfter(group.origin, interval, plan.tick);
    return { tick: plan.tick, log: {}, removeResolved: [], nextDue };
  }
  const tick = plan.tick;
  const allSucceeded = succeeded.every(Boolean);
  const entry: NotifyLogEntry = {
    firing: plan.firing.map((a) => a.fingerprint),
    resolved: plan.resolved.map((a) => a.fingerprint),
    tick,
  };
  const log: Record<string, NotifyLogEntry> = {};
  plan.sends.forEach((send, i) => {
    if (succeeded[i]) log[integrations[send.integration].key] = entry;
  });

  const nextTick = tick + interval;
  let nextDue = Infinity;
  // A failed integration retries the whole flush on the next tick, as Alertmanager does.
  if (!allSucceeded) nextDue = nextTick;
  if (plan.firing.length > 0) {
    let earliestEnd = Infinity;
    for (const alert of plan.firing) earliestEnd = Math.min(earliestEnd, alert.endsAt);
    nextDue = Math.min(nextDue, tickAtOrAfter(group.origin, interval, earliestEnd));
    for (const integration of integrations) {
      const last = log[integration.key] ?? group.log[integration.key];
      if (last !== undefined && last.firing.length > 0) {
        const repeat = tickAtOrAfter(group.origin, interval, last.tick + route.repeatInterval);
        nextDue = Math.min(nextDue, Math.max(repeat, nextTick));
      }
    }
  }
  return {
    tick,
    log,
    removeResolved: allSucceeded
      ? plan.resolved.map((a) => ({ fingerprint: a.fingerprint, updatedAt: a.updatedAt }))
      : [],
    nextDue: nextDue === Infinity ? nextTick : nextDue,
  };
}
