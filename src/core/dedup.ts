import type { NotifyLogEntry } from './group.ts';

export type NotifyReason =
  | 'first notification'
  | 'new alerts added'
  | 'some alerts resolved'
  | 'all alerts resolved'
  | 'repeat interval elapsed';

function isSubset(items: readonly string[], of: ReadonlySet<string>): boolean {
  for (const item of items) if (!of.has(item)) return false;
  return true;
}

/**
 * Alertmanager's dedup stage (needsUpdate): whether an integration must notify at `tick`, and
 * why. Only fingerprints are compared: annotation or time changes never notify by themselves.
 * Grouper logs the tick a notification was decided at, so a repeat falls on the first tick at
 * or after `entry.tick + repeatInterval`.
 */
export function notifyReason(
  entry: NotifyLogEntry | undefined,
  firing: readonly string[],
  resolved: readonly string[],
  sendResolved: boolean,
  repeatInterval: number,
  tick: number,
): NotifyReason | undefined {
  if (entry === undefined) return firing.length > 0 ? 'first notification' : undefined;
  if (!isSubset(firing, new Set(entry.firing))) {
    return entry.firing.length === 0 ? 'first notification' : 'new alerts added';
  }
  if (firing.length === 0) return entry.firing.length > 0 ? 'all alerts resolved' : undefined;
  if (sendResolved && !isSubset(resolved, new Set(entry.resolved))) return 'some alerts resolved';
  if (entry.tick + repeatInterval <= tick) return 'repeat interval elapsed';
  return undefined;
}
