import type { LabelSet } from './label-set.ts';
import { compareMatchers, formatMatchers, matchesLabels, type Matcher } from './matcher.ts';
import type { RouteConfig } from '../config/config.ts';

/** A route with inheritance applied. Durations in milliseconds. */
export interface Route {
  /** Alertmanager's route ID: key segments each followed by the sibling index, e.g. `{}/{env="prod"}/1`. */
  readonly id: string;
  /** Alertmanager's route key, e.g. `{}/{team="db"}`; the group key starts with it. */
  readonly key: string;
  readonly receiver: string;
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly routes: readonly Route[];
}

const GROUP_BY_ALL = '...';
const DEFAULTS = { groupWait: 30_000, groupInterval: 300_000, repeatInterval: 14_400_000 };

export function buildRouteTree(root: RouteConfig): Route {
  if (!root.receiver) throw new Error('the root route has no receiver');
  return buildRoute(root, undefined, 0);
}

function buildRoute(config: RouteConfig, parent: Route | undefined, index: number): Route {
  const matchers = [...config.matchers].sort(compareMatchers);
  const rendered = formatMatchers(matchers);
  const children: Route[] = [];
  const route: Route = {
    id: parent ? `${parent.id}/${rendered}/${index}` : rendered,
    key: parent ? `${parent.key}/${rendered}` : rendered,
    receiver: config.receiver || parent!.receiver,
    ...grouping(config.groupBy, parent),
    groupWait: config.groupWait ?? parent?.groupWait ?? DEFAULTS.groupWait,
    groupInterval: config.groupInterval ?? parent?.groupInterval ?? DEFAULTS.groupInterval,
    repeatInterval: config.repeatInterval ?? parent?.repeatInterval ?? DEFAULTS.repeatInterval,
    matchers,
    continue: config.continue,
    routes: children,
  };
  config.routes.forEach((child, i) => children.push(buildRoute(child, route, i)));
  return route;
}

/** Unset inherits; `[]` means no grouping labels (current Alertmanager; 0.25 inherited). */
function grouping(groupBy: readonly string[] | undefined, parent: Route | undefined): Pick<Route, 'groupBy' | 'groupByAll'> {
  if (groupBy === undefined) return { groupBy: parent?.groupBy ?? [], groupByAll: parent?.groupByAll ?? false };
  return { groupBy: groupBy.filter((name) => name !== GROUP_BY_ALL), groupByAll: groupBy.includes(GROUP_BY_ALL) };
}

/** Every route of the tree by id. */
export function indexRoutes(root: Route): ReadonlyMap<string, Route> {
  const byId = new Map<string, Route>();
  const visit = (route: Route): void => {
    byId.set(route.id, route);
    route.routes.forEach(visit);
  };
  visit(root);
  return byId;
}

/** Alertmanager's Route.Match: the leaf-most matching routes, honouring `continue`. */
export function matchRoutes(root: Route, labels: LabelSet): Route[] {
  const matched: Route[] = [];
  collectMatches(root, labels, matched);
  return matched;
}

/** Appends the routes under `route` that the labels land in; false if `route` itself does not match. */
function collectMatches(route: Route, labels: LabelSet, matched: Route[]): boolean {
  if (!matchesLabels(route.matchers, labels)) return false;
  const before = matched.length;
  for (const child of route.routes) {
    if (collectMatches(child, labels, matched) && !child.continue) break;
  }
  if (matched.length === before) matched.push(route);
  return true;
}
