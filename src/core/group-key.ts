import type { LabelSet } from './label-set.ts';
import type { Route } from './route.ts';

/** The subset of the alert's labels named by the route's group_by (all for `...`). */
export declare function groupLabels(route: Route, labels: LabelSet): LabelSet;
/** Alertmanager's group key: route key + `:` + rendered group labels. */
export declare function groupKey(route: Route, groupLabels: LabelSet): string;
/** The group's id: 32 hex digits of sha256(group key). */
export declare function groupId(groupKey: string): string;
