import type { LabelSet } from './label-set.ts';
import type { Matcher } from './matcher.ts';
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

export declare function buildRouteTree(root: RouteConfig): Route;
/** Every route of the tree by id. */
export declare function indexRoutes(root: Route): ReadonlyMap<string, Route>;
/** Alertmanager's Route.Match: the leaf-most matching routes, honouring `continue`. */
export declare function matchRoutes(root: Route, labels: LabelSet): Route[];
