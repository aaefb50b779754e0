import { hostname } from 'node:os';
import type { Limits } from '../core/limits.ts';
import { DurationError, parseDuration } from './duration.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where the Redis store lives: exactly one of `url`, `sentinels` (with `sentinelMaster`) or `clusterNodes`. */
export interface RedisSettings {
  readonly url?: string;
  readonly sentinels?: readonly HostPort[];
  readonly sentinelMaster?: string;
  readonly clusterNodes?: readonly HostPort[];
  readonly password?: string;
  /** Every key starts with it. */
  readonly prefix: string;
  /** Alert slots whose last write a replica remembers to skip reads (engine/slot-cache.ts); 0 = none. */
  readonly cachedSlots: number;
}

/** The process settings, from flags and GROUPER_* environment variables. */
export interface Settings {
  readonly configFile: string;
  readonly listen: HostPort;
  /** Without a trailing slash, e.g. `http://alerts.example.com/grouper`. */
  readonly externalURL: string;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  /** How long a claimed group stays off other replicas: the takeover time after a crash. */
  readonly leaseMs: number;
  /** Longest sleep of the scheduler, so groups made due by other replicas are seen. */
  readonly pollMs: number;
  /** How long a sent resolved alert stays at hand for merging a later post of it (core/merge-alerts.ts, mergeBase). */
  readonly alertsGcIntervalMs: number;
  /** 0 = unlimited. */
  readonly limits: Limits;
  /** Absent: the in-memory store (a single replica). */
  readonly redis?: RedisSettings;
}

/** A flag or environment variable that cannot be used. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

interface FlagSpec {
  readonly placeholder: string;
  readonly help: string;
  /** As shown in --help. */
  readonly default?: string;
}

const FLAGS = {
  'config.file': { placeholder: 'path', default: 'alertmanager.yml', help: 'Alertmanager configuration file.' },
  'web.listen-address': { placeholder: 'host:port', default: '0.0.0.0:9093', help: 'Address to listen on; ":9093" means all interfaces.' },
  'web.external-url': { placeholder: 'url', default: 'http://<hostname>:<port>', help: 'URL under which Grouper is reachable (used in notifications).' },
  'web.max-body-bytes': { placeholder: 'bytes', default: String(4 * 1024 * 1024), help: 'Largest request body accepted.' },
  'log.level': { placeholder: 'level', default: 'info', help: 'One of debug, info, warn, error.' },
  'shutdown.timeout': { placeholder: 'duration', default: '30s', help: 'How long to finish in-flight work on SIGTERM.' },
  'scheduler.lease-duration': { placeholder: 'duration', default: '15s', help: 'How long a replica holds a due group; another takes over this long after a crash.' },
  'scheduler.poll-interval': { placeholder: 'duration', default: '250ms', help: 'Longest sleep between looks for due groups (they may be made due by other replicas).' },
  'alerts.gc-interval': {
    placeholder: 'duration',
    default: '30m',
    help: "How long a resolved alert that a flush sent stays at hand, so that a later post of the same episode merges with it. Alertmanager's flag of the same name: it keeps such an alert until its next collection, at most this long.",
  },
  'limits.alerts-per-group': {
    placeholder: 'count',
    default: '0',
    help: 'Most alerts one group may hold (0 = unlimited): a new alert for a full group is dropped for that group and answered with 429; updates and resolves of its alerts go through. Exact.',
  },
  'limits.groups-per-route': {
    placeholder: 'count',
    default: '0',
    help: 'Most groups one route may have (0 = unlimited): an alert that would start a new group in a full route is dropped for that route and answered with 429. With Redis the count is read about once a second, so other replicas may go beyond it by what they add in that second.',
  },
  'limits.alerts': {
    placeholder: 'count',
    default: '0',
    help: 'Most alerts stored (0 = unlimited), an alert counting once per group holding it: a new alert beyond it is dropped and answered with 429; updates and resolves go through. With Redis, soft as --limits.groups-per-route is.',
  },
  'storage.redis.url': { placeholder: 'url', help: 'Redis URL (redis:// or rediss://). Without any storage.redis setting, state is kept in memory.' },
  'storage.redis.sentinels': { placeholder: 'host:port,...', help: 'Redis Sentinel addresses, comma-separated.' },
  'storage.redis.sentinel-master': { placeholder: 'name', help: 'Master name the sentinels watch.' },
  'storage.redis.cluster-nodes': { placeholder: 'host:port,...', help: 'Redis Cluster seed nodes, comma-separated.' },
  'storage.redis.password': { placeholder: 'password', help: 'Redis password (for sentinels and cluster nodes; overrides one in the URL).' },
  'storage.redis.prefix': { placeholder: 'prefix', default: 'grouper', help: 'Prefix of every Redis key.' },
  'storage.redis.cached-slots': {
    placeholder: 'count',
    default: '100000',
    help: 'Alert slots (an alert in one group) whose last write a replica remembers, so that a re-post skips reading Redis (about 0.5 KiB each; 0 = always read). Size it to the active alerts plus resolved ones still re-sent.',
  },
} satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof FLAGS;
const FLAG_NAMES = Object.keys(FLAGS) as FlagName[];

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function envName(flag: FlagName): string {
  return `GROUPER_${flag.toUpperCase().replace(/[.-]/g, '_')}`;
}

/** A value and where it came from (`--flag` or the environment variable), for error messages. */
interface Given {
  readonly value: string;
  readonly source: string;
}

type GivenValues = ReadonlyMap<FlagName, Given>;

/** Flags win over environment variables; an empty value counts as not given. */
export function parseSettings(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Settings | { help: string } {
  if (argv.includes('--help') || argv.includes('-h')) return { help: helpText() };
  const given = readFlags(argv);
  for (const name of FLAG_NAMES) {
    const fromEnv = env[envName(name)];
    if (!given.has(name) && fromEnv) given.set(name, { value: fromEnv, source: envName(name) });
  }
  const listen = parseListenAddress(valueOf(given, 'web.listen-address'));
  const externalURL = given.get('web.external-url');
  const redis = parseRedis(given);
  return {
    configFile: valueOf(given, 'config.file').value,
    listen,
    externalURL: externalURL ? parseExternalURL(externalURL) : `http://${hostname()}:${listen.port}`,
    logLevel: parseLogLevel(valueOf(given, 'log.level')),
    maxBodyBytes: parsePositiveInteger(valueOf(given, 'web.max-body-bytes')),
    shutdownTimeoutMs: parseTimeout(valueOf(given, 'shutdown.timeout')),
    leaseMs: parsePositiveDuration(valueOf(given, 'scheduler.lease-duration')),
    pollMs: parsePositiveDuration(valueOf(given, 'scheduler.poll-interval')),
    alertsGcIntervalMs: parsePositiveDuration(valueOf(given, 'alerts.gc-interval')),
    limits: {
      alertsPerGroup: parseCount(valueOf(given, 'limits.alerts-per-group')),
      groupsPerRoute: parseCount(valueOf(given, 'limits.groups-per-route')),
      alerts: parseCount(valueOf(given, 'limits.alerts')),
    },
    ...(redis && { redis }),
  };
}

type FlagWithDefault = { [K in FlagName]: (typeof FLAGS)[K] extends { default: string } ? K : never }[FlagName];

function valueOf(given: GivenValues, name: FlagWithDefault): Given {
  return given.get(name) ?? { value: FLAGS[name].default, source: `--${name}` };
}

function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAGS, name);
}

function readFlags(argv: readonly string[]): Map<FlagName, Given> {
  const given = new Map<FlagName, Given>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new SettingsError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
    if (!isFlagName(name)) throw new SettingsError(`unknown flag --${name} (see --help)`);
    if (given.has(name)) throw new SettingsError(`--${name} is given more than once`);
    let value: string;
    if (equals !== -1) {
      value = arg.slice(equals + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new SettingsError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (value !== '') given.set(name, { value, source: `--${name}` });
  }
  return given;
}

function invalid(given: Given, problem: string): SettingsError {
  return new SettingsError(`${given.source}: ${problem}`);
}

/** `host:port`, `[ipv6]:port` or `:port`. */
function parseHostPort(given: Given, text: string): HostPort {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw invalid(given, `${JSON.stringify(text)} is not host:port`);
  return { host: match[1] ?? match[2], port };
}

function parseListenAddress(given: Given): HostPort {
  const address = parseHostPort(given, given.value);
  return address.host === '' ? { host: '0.0.0.0', port: address.port } : address;
}

function parseHostPortList(given: Given): HostPort[] {
  return given.value.split(',').map((item) => parseHostPort(given, item.trim()));
}

/** As Alertmanager: http(s) only, and the path loses its trailing slash. */
function parseExternalURL(given: Given): string {
  let url: URL;
  try {
    url = new URL(given.value);
  } catch {
    throw invalid(given, `${JSON.stringify(given.value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(given, 'the URL must be http or https');
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function parseLogLevel(given: Given): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === given.value);
  if (!level) throw invalid(given, `${JSON.stringify(given.value)} is not one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function parseWholeNumber(given: Given, problem: string, min: number): number {
  const number = Number(given.value);
  if (!/^\d+$/.test(given.value) || !Number.isSafeInteger(number) || number < min) {
    throw invalid(given, `${JSON.stringify(given.value)} ${problem}`);
  }
  return number;
}

function parsePositiveInteger(given: Given): number {
  return parseWholeNumber(given, 'is not a whole number above 0', 1);
}

function parseCount(given: Given): number {
  return parseWholeNumber(given, 'is not a whole number (0 = unlimited)', 0);
}

function parseTimeout(given: Given): number {
  try {
    return parseDuration(given.value);
  } catch (error) {
    if (error instanceof DurationError) throw invalid(given, error.message);
    throw error;
  }
}

function parsePositiveDuration(given: Given): number {
  const ms = parseTimeout(given);
  if (ms <= 0) throw invalid(given, 'must be greater than 0');
  return ms;
}

function parseRedis(given: GivenValues): RedisSettings | undefined {
  const url = given.get('storage.redis.url');
  const sentinels = given.get('storage.redis.sentinels');
  const master = given.get('storage.redis.sentinel-master');
  const clusterNodes = given.get('storage.redis.cluster-nodes');
  const password = given.get('storage.redis.password');
  const prefix = given.get('storage.redis.prefix');
  const cachedSlots = given.get('storage.redis.cached-slots');

  const connections = [url, sentinels, clusterNodes].filter((item) => item !== undefined);
  if (connections.length > 1) {
    throw new SettingsError(`${connections.map((item) => item.source).join(' and ')}: give only one way to reach Redis`);
  }
  if (connections.length === 0) {
    const orphan = master ?? password ?? prefix ?? cachedSlots;
    if (orphan) throw invalid(orphan, 'needs storage.redis.url, storage.redis.sentinels or storage.redis.cluster-nodes');
    return undefined;
  }
  if (sentinels && !master) throw invalid(sentinels, 'needs storage.redis.sentinel-master');
  if (master && !sentinels) throw invalid(master, 'needs storage.redis.sentinels');
  if (url && !/^rediss?:\/\/./.test(url.value)) throw invalid(url, 'the URL must start with redis:// or rediss://');
  if (prefix && !/^[^\s{}]+$/.test(prefix.value)) throw invalid(prefix, 'the prefix must not contain spaces or braces');
  return {
    ...(url && { url: url.value }),
    ...(sentinels && { sentinels: parseHostPortList(sentinels) }),
    ...(master && { sentinelMaster: master.value }),
    ...(clusterNodes && { clusterNodes: parseHostPortList(clusterNodes) }),
    ...(password && { password: password.value }),
    prefix: valueOf(given, 'storage.redis.prefix').value,
    cachedSlots: parseCount(valueOf(given, 'storage.redis.cached-slots')),
  };
}

function helpText(): string {
  const lines = ['Usage: grouper [flags]', '', 'Each flag can also be set by its environment variable; a flag wins over the variable.', ''];
  for (const name of FLAG_NAMES) {
    const flag: FlagSpec = FLAGS[name];
    lines.push(`  --${name}=<${flag.placeholder}>`, `      ${flag.help}`);
    lines.push(`      env ${envName(name)}${flag.default === undefined ? '' : `, default ${flag.default}`}`);
  }
  lines.push('  -h, --help', '      Show this help.');
  return lines.join('\n') + '\n';
}
