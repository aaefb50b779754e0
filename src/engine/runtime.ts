import type { Config, ReceiverConfig } from '../config/config.ts';
import type { Integration } from '../core/flush.ts';
import { buildRouteTree, indexRoutes, type Route } from '../core/route.ts';

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
