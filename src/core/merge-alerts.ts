import { isResolved, type Alert } from './alert.ts';

/**
 * What the store keeps when `incoming` arrives for a fingerprint that holds `old` (spec §1.4):
 * `incoming` replaces `old` unless their activity intervals overlap, in which case they merge.
 */
export function mergeAlerts(old: Alert | undefined, incoming: Alert, now: number): Alert {
  if (old === undefined || !overlaps(old, incoming)) return incoming;
  const younger = incoming.updatedAt >= old.updatedAt ? incoming : old;
  const older = younger === incoming ? old : incoming;
  const startsAt = Math.min(old.startsAt, incoming.startsAt);
  const endsAt = keepsOlderEnd(older, younger, now) ? older.endsAt : younger.endsAt;
  // Spelt out: a spread walks the object's properties, and every re-post of an alert merges.
  const { fingerprint, labels, annotations, generatorURL, updatedAt, timeout } = younger;
  return { fingerprint, labels, annotations, startsAt, endsAt, generatorURL, updatedAt, timeout };
}

/**
 * Alertmanager's default `--alerts.gc-interval`. It keeps a resolved alert in its alert store
 * until the next garbage collection, so a later post of the same episode still merges with it
 * (spec §1.5); Grouper keeps a resolved alert a flush sent and removed that long (`retired`).
 */
export const DEFAULT_ALERT_GC_INTERVAL_MS = 30 * 60_000;

/**
 * The copy a post merges with: the one the group holds, else a resolved one a flush removed from
 * that slot (`retired`) while Alertmanager could still hold it. Alertmanager drops a resolved alert
 * at its first collection after the alert ended, up to `gcIntervalMs` later as its timer falls;
 * Grouper keeps it the whole interval, the longest Alertmanager may.
 */
export function mergeBase(stored: Alert | undefined, retired: Alert | undefined, now: number, gcIntervalMs: number): Alert | undefined {
  if (stored !== undefined || retired === undefined) return stored;
  return isResolved(retired, now) && now < retiredUntil(retired, gcIntervalMs) ? retired : undefined;
}

/** When a retired alert stops counting for mergeBase, so a store may forget it. */
export function retiredUntil(retired: Alert, gcIntervalMs: number): number {
  return retired.endsAt + gcIntervalMs;
}

function overlaps(old: Alert, incoming: Alert): boolean {
  return (
    (incoming.endsAt > old.startsAt && incoming.endsAt < old.endsAt) ||
    (incoming.startsAt > old.startsAt && incoming.startsAt < old.endsAt)
  );
}

/**
 * A later resolve time wins between two resolved alerts; for a firing younger alert, a later
 * endsAt the older one was sent (not invented from resolve_timeout) wins.
 */
function keepsOlderEnd(older: Alert, younger: Alert, now: number): boolean {
  if (older.endsAt <= younger.endsAt) return false;
  return isResolved(younger, now) ? isResolved(older, now) : !older.timeout;
}
