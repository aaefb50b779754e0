import { createHash } from 'node:crypto';
import { formatLabelSet, labelValue, type LabelSet } from './label-set.ts';
import type { Route } from './route.ts';

/** The subset of the alert's labels named by the route's group_by (all for `...`). */
export function groupLabels(route: Route, labels: LabelSet): LabelSet {
  if (route.groupByAll) return labels;
  const picked: [string, string][] = [];
  for (const name of route.groupBy) {
    const value = labelValue(labels, name);
    if (value !== undefined) picked.push([name, value]);
  }
  // fromEntries defines own properties, so even a label named `__proto__` is kept.
  return Object.fromEntries(picked);
}

/** Alertmanager's group key: route key + `:` + rendered group labels. */
export function groupKey(route: Route, groupLabels: LabelSet): string {
  return `${route.key}:${formatLabelSet(groupLabels)}`;
}

/**
 * The group's id: 32 hex digits of sha256 over receiver and group key. Sibling routes with the
 * same matchers share a group key, so the key alone would fold a `continue` fan-out to two
 * receivers into one group; Alertmanager keeps their notification logs apart by receiver too.
 * The route's position is left out so that a reload that reorders routes keeps the groups.
 */
export function groupId(receiver: string, groupKey: string): string {
  return createHash('sha256').update(receiver).update('\0').update(groupKey).digest('hex').slice(0, 32);
}
