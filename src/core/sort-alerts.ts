import type { Alert } from './alert.ts';
import { compareBytes, compareLabelSets } from './label-set.ts';

function compareOptional(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return compareBytes(a, b);
}

/**
 * Alertmanager's notification order: alerts with a `job` label first (by value), then the same
 * for `instance`, then label-set order. It also decides which alerts max_alerts keeps.
 */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    compareOptional(a.labels.job, b.labels.job) ||
    compareOptional(a.labels.instance, b.labels.instance) ||
    compareLabelSets(a.labels, b.labels)
  );
}

export function sortAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort(compareAlerts);
}
