import { posix } from 'node:path';
import { CONFIG_FILE_PATH, GROUPER_PORT, alertmanagerConfigProblems, isObject, webhookUrls } from './alertmanager-config.ts';
import { readYaml } from './read-yaml.ts';
import type { RepoFiles } from './repo-files.ts';

/** Every environment variable the service reads (the GROUPER_* equivalents of its flags). */
export const GROUPER_ENV_VARS: ReadonlySet<string> = new Set([
  'GROUPER_CONFIG_FILE', 'GROUPER_WEB_LISTEN_ADDRESS', 'GROUPER_WEB_EXTERNAL_URL', 'GROUPER_LOG_LEVEL',
  'GROUPER_WEB_MAX_BODY_BYTES', 'GROUPER_STORAGE_REDIS_URL', 'GROUPER_STORAGE_REDIS_SENTINELS',
  'GROUPER_STORAGE_REDIS_SENTINEL_MASTER', 'GROUPER_STORAGE_REDIS_CLUSTER_NODES', 'GROUPER_STORAGE_REDIS_PASSWORD',
  'GROUPER_STORAGE_REDIS_PREFIX', 'GROUPER_SHUTDOWN_TIMEOUT',
]);

const COMPOSE_FILE = 'docker-compose.yml';
const PROMETHEUS_DEFAULT_CONFIG = '/etc/prometheus/prometheus.yml';

type Service = Record<string, unknown>;
type Services = Readonly<Record<string, Service>>;

/**
 * Problems with docker-compose.yml and the files it mounts: the demo must run Grouper from the
 * Dockerfile on Redis, with Prometheus firing rules at it and a webhook receiver it notifies.
 */
export function checkCompose(repo: RepoFiles): string[] {
  const compose = readYaml(repo, COMPOSE_FILE);
  if (compose.problem !== undefined) return [compose.problem];
  if (!isObject(compose.value) || !isObject(compose.value['services'])) return [`${COMPOSE_FILE}: no services`];
  const services = compose.value['services'] as Services;
  const problems = Object.entries(services).flatMap(([name, service]) => serviceProblems(name, service, services, repo));
  for (const name of ['grouper', 'redis', 'prometheus', 'webhook']) {
    if (!isObject(services[name])) problems.push(`${COMPOSE_FILE}: no ${name} service`);
  }
  if (problems.length > 0) return problems;
  return [...grouperProblems(services, repo), ...prometheusProblems(services, repo)];
}

function serviceProblems(name: string, service: unknown, services: Services, repo: RepoFiles): string[] {
  const where = `${COMPOSE_FILE}: services.${name}`;
  if (!isObject(service)) return [`${where} is not a mapping`];
  const problems: string[] = [];
  if (service['image'] === undefined && service['build'] === undefined) problems.push(`${where} has neither image nor build`);
  if (service['build'] !== undefined) {
    const build = isObject(service['build']) ? service['build'] : { context: service['build'] };
    const context = String(build['context'] ?? '.');
    const dockerfile = posix.join(context, String(build['dockerfile'] ?? 'Dockerfile'));
    if (!repo.exists(context)) problems.push(`${where}.build.context ${context} does not exist`);
    else if (!repo.exists(dockerfile)) problems.push(`${where}.build.dockerfile ${dockerfile} does not exist`);
  }
  for (const mount of mounts(service)) {
    if (mount.bind && !repo.exists(mount.source)) problems.push(`${where}.volumes: ${mount.source} does not exist`);
  }
  for (const [target, condition] of Object.entries(dependencies(service))) {
    if (!isObject(services[target])) problems.push(`${where}.depends_on names unknown service ${target}`);
    else if (condition === 'service_healthy' && !isObject(services[target]['healthcheck'])) {
      problems.push(`${where} waits for ${target} to be healthy, but ${target} has no healthcheck`);
    }
  }
  return problems;
}

function grouperProblems(services: Services, repo: RepoFiles): string[] {
  const grouper = services['grouper']!;
  const problems: string[] = [];
  if (grouper['build'] === undefined) problems.push(`${COMPOSE_FILE}: grouper must be built from the Dockerfile`);
  const env = environment(grouper);
  for (const name of Object.keys(env).filter((key) => key.startsWith('GROUPER_') && !GROUPER_ENV_VARS.has(key))) {
    problems.push(`${COMPOSE_FILE}: grouper sets ${name}, which the service does not read`);
  }
  const redisUrl = env['GROUPER_STORAGE_REDIS_URL'];
  if (redisUrl === undefined) problems.push(`${COMPOSE_FILE}: grouper has no GROUPER_STORAGE_REDIS_URL`);
  else problems.push(...targetProblems(`grouper's GROUPER_STORAGE_REDIS_URL`, redisUrl, services, 'redis'));
  if (!String(services['redis']!['image'] ?? '').startsWith('redis:7')) problems.push(`${COMPOSE_FILE}: redis must run redis:7`);
  if (!(dependencies(grouper)['redis'] === 'service_healthy')) problems.push(`${COMPOSE_FILE}: grouper must wait for redis to be healthy`);

  const configFile = mountedSource(grouper, CONFIG_FILE_PATH);
  if (configFile === undefined) return [...problems, `${COMPOSE_FILE}: grouper mounts no config at ${CONFIG_FILE_PATH}`];
  const config = readYaml(repo, configFile);
  if (config.problem !== undefined) return [...problems, config.problem];
  problems.push(...alertmanagerConfigProblems(config.value, configFile));
  for (const url of webhookUrls(config.value)) problems.push(...targetProblems(`${configFile} webhook`, url, services, 'webhook'));
  return problems;
}

function prometheusProblems(services: Services, repo: RepoFiles): string[] {
  const prometheus = services['prometheus']!;
  const problems: string[] = [];
  if (!String(prometheus['image'] ?? '').startsWith('prom/prometheus')) problems.push(`${COMPOSE_FILE}: prometheus must run prom/prometheus`);
  if (dependencies(prometheus)['grouper'] === undefined) problems.push(`${COMPOSE_FILE}: prometheus must depend on grouper`);
  const configFile = mountedSource(prometheus, PROMETHEUS_DEFAULT_CONFIG);
  if (configFile === undefined) return [...problems, `${COMPOSE_FILE}: prometheus mounts no config at ${PROMETHEUS_DEFAULT_CONFIG}`];
  const config = readYaml(repo, configFile);
  if (config.problem !== undefined) return [...problems, config.problem];
  if (!isObject(config.value)) return [...problems, `${configFile}: not a mapping`];

  const alerting = isObject(config.value['alerting']) ? config.value['alerting'] : {};
  const alertmanagers = Array.isArray(alerting['alertmanagers']) ? alerting['alertmanagers'] : [];
  const targets = alertmanagers.flatMap((am: unknown) =>
    isObject(am) && Array.isArray(am['static_configs'])
      ? am['static_configs'].flatMap((sc: unknown) => (isObject(sc) && Array.isArray(sc['targets']) ? sc['targets'].map(String) : []))
      : [],
  );
  if (!targets.includes(`grouper:${GROUPER_PORT}`)) problems.push(`${configFile}: alerting.alertmanagers does not target grouper:${GROUPER_PORT}`);
  for (const am of alertmanagers) {
    if (isObject(am) && am['api_version'] !== undefined && am['api_version'] !== 'v2') problems.push(`${configFile}: alertmanagers must use api_version v2`);
  }
  for (const target of targets) problems.push(...targetProblems(`${configFile} alertmanager target`, `http://${target}`, services));

  const ruleFiles = Array.isArray(config.value['rule_files']) ? config.value['rule_files'].map(String) : [];
  if (ruleFiles.length === 0) problems.push(`${configFile}: no rule_files`);
  for (const containerPath of ruleFiles) {
    const source = mountedSource(prometheus, containerPath);
    if (source === undefined) problems.push(`${configFile}: rule file ${containerPath} is not mounted into prometheus`);
    else problems.push(...ruleFileProblems(repo, source));
  }
  return problems;
}

function ruleFileProblems(repo: RepoFiles, path: string): string[] {
  const rules = readYaml(repo, path);
  if (rules.problem !== undefined) return [rules.problem];
  const groups = isObject(rules.value) && Array.isArray(rules.value['groups']) ? rules.value['groups'] : [];
  const alerts = groups.flatMap((group: unknown) => (isObject(group) && Array.isArray(group['rules']) ? group['rules'] : []));
  const problems = alerts.flatMap((rule: unknown, index) =>
    isObject(rule) && typeof rule['alert'] === 'string' && typeof rule['expr'] === 'string' && rule['expr'].trim() !== ''
      ? []
      : [`${path}: rule ${index} needs alert and expr`],
  );
  const firesAtOnce = alerts.some((rule: unknown) => isObject(rule) && [undefined, '0s', '0', 0].includes(rule['for'] as string | number | undefined));
  if (!firesAtOnce) problems.push(`${path}: no alert fires at once (every rule has a pending period)`);
  return problems;
}

/** A URL's host must be a compose service (optionally a given one), and its port what that service listens on. */
function targetProblems(what: string, url: string, services: Services, expected?: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [`${COMPOSE_FILE}: ${what} ${url} is not a URL`];
  }
  const host = parsed.hostname;
  if (!isObject(services[host])) return [`${COMPOSE_FILE}: ${what} ${url} names no compose service`];
  if (expected !== undefined && host !== expected) return [`${COMPOSE_FILE}: ${what} ${url} should point at ${expected}`];
  const port = environment(services[host])['PORT'];
  if (port !== undefined && parsed.port !== port) return [`${COMPOSE_FILE}: ${what} ${url} uses port ${parsed.port}, ${host} listens on ${port}`];
  return [];
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly bind: boolean;
}

function mounts(service: Service): Mount[] {
  const volumes = Array.isArray(service['volumes']) ? service['volumes'] : [];
  return volumes.map((volume: unknown) => {
    if (isObject(volume)) {
      const source = String(volume['source'] ?? '');
      return { source: posix.normalize(source), target: String(volume['target']), bind: volume['type'] === 'bind' };
    }
    const [source = '', target = ''] = String(volume).split(':');
    return { source: posix.normalize(source), target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

/** The repo file bind-mounted at a container path, directly or through a mounted directory. */
function mountedSource(service: Service, containerPath: string): string | undefined {
  for (const mount of mounts(service).filter((m) => m.bind)) {
    if (mount.target === containerPath) return mount.source;
    if (containerPath.startsWith(`${mount.target}/`)) return posix.join(mount.source, containerPath.slice(mount.target.length + 1));
  }
  return undefined;
}

function dependencies(service: Service): Record<string, string> {
  const dependsOn = service['depends_on'];
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [String(name), 'service_started']));
  if (!isObject(dependsOn)) return {};
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, spec]) => [name, isObject(spec) ? String(spec['condition'] ?? 'service_started') : 'service_started']),
  );
}

function environment(service: Service): Record<string, string> {
  const env = service['environment'];
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => String(entry).split(/=(.*)/s, 2) as [string, string]));
  }
  return isObject(env) ? Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])) : {};
}
