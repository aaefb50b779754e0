import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly alerts: number;
  readonly groups: number;
  readonly batch: number;
  readonly concurrency: number;
  /** Alerts posted, untimed, before the measured phase (their own groups). */
  readonly warmupAlerts: number;
  readonly systems: readonly string[];
  readonly redisUrl: string;
  /** Bound on one system's measured phase; requests not sent by then count as errors. */
  readonly phaseTimeoutMs: number;
  readonly resultsDir: string;
}

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/**
 * What `parse` makes of the command line; on --help (parse gives undefined) prints `usage` and
 * exits 0, on a bad flag prints the error and `usage` and exits 2.
 */
export function optionsOrExit<T>(command: string, usage: string, parse: () => T | undefined): T {
  try {
    const options = parse();
    if (options !== undefined) return options;
    process.stdout.write(usage);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
}

export const USAGE = `Usage: npm run bench -- [flags]   (each flag also as BENCH_<NAME> in the environment)
  --alerts=N          alerts in the measured phase (100000; --quick: 10000)
  --groups=N          groups they are spread over (10000; --quick: 1000)
  --batch=N           alerts per POST (64, Prometheus's batch size)
  --concurrency=N     concurrent senders, one keep-alive connection each (8)
  --warmup=N          untimed warm-up alerts, in groups of their own (100000; --quick: 1000)
  --systems=a,b       systems to run one after another (grouper,alertmanager; also grouper-redis)
  --redis-url=URL     Redis for grouper-redis (redis://127.0.0.1:6379)
  --timeout=SECONDS   bound on each measured phase (300)
  --results-dir=DIR   where the JSON report goes (.tmp/bench-results)
  --quick             smoke run
`;

/**
 * Both systems get the same warm-up. Node compiles the ingest path's hot functions only after
 * some thousands of requests: 5,000 warm-up alerts left most of the measured phase running
 * half-compiled code, which a service up for more than a few seconds no longer does.
 */
const FULL = { alerts: 100_000, groups: 10_000, warmup: 100_000 };
const QUICK = { alerts: 10_000, groups: 1_000, warmup: 1_000 };

const VALUE = { type: 'string' } as const;
const FLAGS = {
  alerts: VALUE,
  groups: VALUE,
  batch: VALUE,
  concurrency: VALUE,
  warmup: VALUE,
  timeout: VALUE,
  systems: VALUE,
  'redis-url': VALUE,
  'results-dir': VALUE,
  quick: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ValueFlag = { [K in keyof typeof FLAGS]: (typeof FLAGS)[K] extends typeof VALUE ? K : never }[keyof typeof FLAGS];

/** Flags win over BENCH_* environment variables. Returns undefined when help was asked for. */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: FLAGS }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  if (values.help) return undefined;
  const given = (name: ValueFlag): string | undefined => {
    const flag = values[name];
    if (flag !== undefined) return flag;
    const fromEnv = env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
    return fromEnv === '' ? undefined : fromEnv;
  };
  const quick = values.quick === true || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const defaults = quick ? QUICK : FULL;
  const count = (name: ValueFlag, fallback: number, min = 1): number => {
    const text = given(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) throw new OptionsError(`--${name}=${text}: expected an integer >= ${min}`);
    return value;
  };
  const alerts = count('alerts', defaults.alerts);
  const groups = count('groups', Math.min(defaults.groups, alerts));
  if (groups > alerts) throw new OptionsError(`--groups=${groups} is more than --alerts=${alerts}`);
  const systems = (given('systems') ?? 'grouper,alertmanager').split(',').map((name) => name.trim()).filter(Boolean);
  if (systems.length === 0) throw new OptionsError('--systems names no system');
  return {
    alerts,
    groups,
    batch: count('batch', 64),
    concurrency: count('concurrency', 8),
    warmupAlerts: count('warmup', defaults.warmup, 0),
    systems,
    redisUrl: given('redis-url') ?? 'redis://127.0.0.1:6379',
    phaseTimeoutMs: count('timeout', 300) * 1_000,
    resultsDir: given('results-dir') ?? '.tmp/bench-results',
  };
}
