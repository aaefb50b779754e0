import { isResolved, type Alert } from './alert.ts';
import type { GroupIncarnation } from './group.ts';
import type { Route } from './route.ts';

/**
 * A new group flushes after group_wait, or at once when its first alert is already older than
 * group_wait (current Alertmanager applies this only at creation).
 */
export function newIncarnation(route: Route, firstAlert: Alert, now: number): GroupIncarnation {
  const immediate = firstAlert.startsAt + route.groupWait < now;
  return { createdAt: now, origin: immediate ? now : now + route.groupWait };
}

/** The latest tick at or before `t`, or undefined before the first. */
export function tickAtOrBefore(origin: number, interval: number, t: number): number | undefined {
  if (t < origin) return undefined;
  return origin + Math.floor((t - origin) / interval) * interval;
}

/** The first tick at or after `t`. */
export function tickAtOrAfter(origin: number, interval: number, t: number): number {
  if (t <= origin) return origin;
  return origin + Math.ceil((t - origin) / interval) * interval;
}

/** The first tick strictly after `t`. */
export function tickAfter(origin: number, interval: number, t: number): number {
  if (t < origin) return origin;
  return origin + (Math.floor((t - origin) / interval) + 1) * interval;
}

/**
 * The tick at which a group must look again because one of its alerts changed, or undefined
 * when the change cannot alter any notification before the group's next planned wake-up:
 * a re-post that only moves a firing alert's endsAt later (what Prometheus sends every
 * minute) wakes nobody.
 */
export function wakeForChange(
  previous: Alert | undefined,
  merged: Alert,
  now: number,
  group: GroupIncarnation,
  groupInterval: number,
): number | undefined {
  // Before the first flush the group is already due at its origin, which sees every alert.
  if (now < group.origin) return undefined;
  if (previous === undefined) return tickAfter(group.origin, groupInterval, now);
  const wasResolved = isResolved(previous, now);
  const resolved = isResolved(merged, now);
  if (wasResolved !== resolved) return tickAfter(group.origin, groupInterval, now);
  if (!resolved && merged.endsAt < previous.endsAt) {
    return tickAtOrAfter(group.origin, groupInterval, merged.endsAt);
  }
  return undefined;
}
