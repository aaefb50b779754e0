/** Where the image and the chart put alertmanager.yml, as Alertmanager's own image does. */
export const CONFIG_FILE_PATH = '/etc/alertmanager/alertmanager.yml';
export const GROUPER_PORT = 9093;

interface RouteNode {
  receiver?: unknown;
  routes?: unknown;
}

/**
 * Deployment-level sanity of an alertmanager.yml shipped with the artefacts: every route names a
 * receiver that exists and every receiver has a webhook URL. The service's loader validates the rest.
 */
export function alertmanagerConfigProblems(config: unknown, where: string): string[] {
  if (!isObject(config)) return [`${where}: not a YAML mapping`];
  const problems: string[] = [];
  const receivers = Array.isArray(config['receivers']) ? config['receivers'] : [];
  if (receivers.length === 0) problems.push(`${where}: no receivers`);
  const names = new Set(receivers.map((receiver: unknown) => (isObject(receiver) ? receiver['name'] : undefined)));
  for (const [index, receiver] of receivers.entries()) {
    const hooks = isObject(receiver) && Array.isArray(receiver['webhook_configs']) ? receiver['webhook_configs'] : [];
    if (hooks.length === 0 || !hooks.every((hook: unknown) => isObject(hook) && typeof hook['url'] === 'string')) {
      problems.push(`${where}: receivers[${index}] needs webhook_configs with a url`);
    }
  }
  if (!isObject(config['route'])) return [...problems, `${where}: no route`];
  if (typeof config['route']['receiver'] !== 'string') problems.push(`${where}: the top-level route needs a receiver`);
  const visit = (route: RouteNode, path: string): void => {
    if (route.receiver !== undefined && !names.has(route.receiver)) {
      problems.push(`${where}: ${path} uses undefined receiver "${String(route.receiver)}"`);
    }
    const children = Array.isArray(route.routes) ? route.routes : [];
    children.forEach((child: unknown, index) => {
      if (isObject(child)) visit(child, `${path}.routes[${index}]`);
    });
  };
  visit(config['route'], 'route');
  return problems;
}

export function webhookUrls(config: unknown): string[] {
  if (!isObject(config) || !Array.isArray(config['receivers'])) return [];
  return config['receivers'].flatMap((receiver: unknown) =>
    isObject(receiver) && Array.isArray(receiver['webhook_configs'])
      ? receiver['webhook_configs'].flatMap((hook: unknown) => (isObject(hook) && typeof hook['url'] === 'string' ? [hook['url']] : []))
      : [],
  );
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
