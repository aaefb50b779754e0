import type { Config, ReceiverConfig } from '../config/config.ts';
import type { Alert } from '../core/alert.ts';
import type { Integration } from '../core/flush.ts';
import type { GroupHeader } from '../core/group.ts';
import { groupKey, groupLabels } from '../core/group-key.ts';
import { buildRouteTree, indexRoutes, matchRoutes, type Route } from '../core/route.ts';

/** The loaded config with everything the engine looks up per alert or per flush prepared once. */
export interface Runtime {
  readonly config: Config;
  readonly root: Route;
  readonly routes: ReadonlyMap<string, Route>;
  readonly receivers: ReadonlyMap<string, ReceiverConfig>;
}

export function buildRuntime(config: Config): Runtime {
  const root = buildRouteTree(config.route);
  return {
    config,
    root,
    routes: indexRoutes(root),
    receivers: new Map(config.receivers.map((r) => [r.name, r])),
  };
}

export function integrationsOf(receiver: ReceiverConfig): Integration[] {
  return receiver.webhookConfigs.map((webhook, index) => ({
    key: `${receiver.name}/webhook/${index}`,
    sendResolved: webhook.sendResolved,
  }));
}

/** Whether this config files an alert with these labels into the group. */
function routesInto(runtime: Runtime, group: GroupHeader, alert: Alert): Route | undefined {
  for (const route of matchRoutes(runtime.root, alert.labels)) {
    if (route.receiver === group.receiver && groupKey(route, groupLabels(route, alert.labels)) === group.key) {
      return route;
    }
  }
  return undefined;
}

/**
 * Where a stored group stands in the config now in force (a reload or a restart may have
 * changed it): the route whose timings it follows, and the alerts this config would file
 * elsewhere. A group with no route left has every alert astray.
 */
export function placeGroup(
  runtime: Runtime,
  group: GroupHeader & { readonly alerts: readonly Alert[] },
): { route: Route | undefined; strays: Alert[] } {
  let route: Route | undefined;
  const strays: Alert[] = [];
  for (const alert of group.alerts) {
    const home = routesInto(runtime, group, alert);
    if (home === undefined) strays.push(alert);
    else route ??= home;
  }
  return { route, strays };
}
