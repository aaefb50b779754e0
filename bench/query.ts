/**
 * Query benchmark: each system in turn (never two at once) is started fresh with the ingest
 * bench's config (group_wait 1h: nothing is sent), loaded with its workload, then asked the same
 * reads one request at a time; prints p50/p99 per query and system and the ratios to Alertmanager.
 * `npx tsx bench/query.ts [--requests=N] [--warmup-requests=N] [ingest bench flags]`
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Pool } from 'undici';
import { WebhookSink } from '../test/helpers/webhook-sink.ts';
import { postAll, senderPool } from './lib/load-generator.ts';
import { OptionsError, parseOptions, USAGE, type BenchOptions } from './lib/options.ts';
import { listeningPid, machineBusyCpuMs, peakRssBytes, processCpuMs } from './lib/process-stats.ts';
import { summariseLatencies, type LatencySummary } from './lib/stats.ts';
import { BASELINE, knownSystems, selectSystems, type BenchSystem } from './lib/systems.ts';
import { benchConfig, serialisedBatches } from './lib/workload.ts';

interface Query {
  readonly path: string;
  /** Alertmanager has no such route. */
  readonly grouperOnly: boolean;
  /** How many items a complete answer holds, counted from its parsed body. */
  readonly expected: (options: BenchOptions) => number;
  readonly count: (body: unknown) => number;
}

const PAGE = 100;
const QUERIES: readonly Query[] = [
  {
    path: `/api/v1/groups?limit=${PAGE}`,
    grouperOnly: true,
    expected: (options) => Math.min(PAGE, options.groups),
    count: (body) => (body as { groups: unknown[] }).groups.length,
  },
  { path: '/api/v2/alerts/groups', grouperOnly: false, expected: (options) => options.groups, count: (body) => (body as unknown[]).length },
  { path: '/api/v2/alerts', grouperOnly: false, expected: (options) => options.alerts, count: (body) => (body as unknown[]).length },
];

interface QueryOptions {
  readonly requests: number;
  readonly warmupRequests: number;
}

interface QueryResult {
  readonly system: string;
  readonly path: string;
  readonly latencyMs: LatencySummary;
  readonly bodyBytes: number;
  readonly items: number;
  readonly expectedItems: number;
}

interface SystemRun {
  readonly system: string;
  readonly loadMs: number;
  readonly peakRssBytes?: number;
  /** Cores the rest of the machine kept busy while the queries ran (the figures are disturbed above ~0.2). */
  readonly otherCores?: number;
  readonly queries: readonly QueryResult[];
}

const QUERY_USAGE = `Usage: npx tsx bench/query.ts [flags]
  --requests=N           timed requests per query and system (20)
  --warmup-requests=N    untimed requests before them (2)
The load is the ingest bench's; of its flags below, --warmup and --results-dir are not used.

`;
const QUERY_FLAGS = { requests: { type: 'string' }, 'warmup-requests': { type: 'string' } } as const;

/** Takes this bench's own flags out of argv and leaves the rest to the ingest bench's parser. */
function splitArgs(argv: readonly string[]): { query: QueryOptions; rest: string[] } {
  const { values, tokens } = parseArgs({ args: [...argv], options: QUERY_FLAGS, strict: false, tokens: true });
  const taken = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !(token.name in QUERY_FLAGS)) continue;
    taken.add(token.index);
    if (!token.inlineValue && token.value !== undefined) taken.add(token.index + 1);
  }
  const count = (name: keyof typeof QUERY_FLAGS, fallback: number, min: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (typeof text !== 'string' || !Number.isSafeInteger(value) || value < min) throw new OptionsError(`--${name}=${String(text)}: expected an integer >= ${min}`);
    return value;
  };
  return {
    query: { requests: count('requests', 20, 1), warmupRequests: count('warmup-requests', 2, 0) },
    rest: argv.filter((_, index) => !taken.has(index)),
  };
}

function argvOrExit(): { options: BenchOptions; query: QueryOptions; systems: BenchSystem[] } {
  try {
    const { query, rest } = splitArgs(process.argv.slice(2));
    const options = parseOptions(rest, process.env);
    if (options) return { options, query, systems: selectSystems(options.systems, knownSystems(options.redisUrl)) };
    process.stdout.write(QUERY_USAGE + USAGE);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${QUERY_USAGE}${USAGE}`);
    process.exit(2);
  }
}

/** One GET, timed from sending to the end of the body. */
async function timedGet(pool: Pool, path: string): Promise<{ ms: number; body: Buffer }> {
  const started = performance.now();
  const response = await pool.request({ path, method: 'GET' });
  const body = Buffer.from(await response.body.arrayBuffer());
  const ms = performance.now() - started;
  if (response.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${response.statusCode}: ${body.toString('utf8', 0, 300)}`);
  return { ms, body };
}

async function measureQuery(system: string, pool: Pool, query: Query, options: BenchOptions, queryOptions: QueryOptions, deadline: number): Promise<QueryResult> {
  let last: Buffer | undefined;
  for (let i = 0; i < queryOptions.warmupRequests; i++) last = (await timedGet(pool, query.path)).body;
  const latencies = new Float64Array(queryOptions.requests);
  for (let i = 0; i < queryOptions.requests; i++) {
    if (performance.now() > deadline) throw new Error(`GET ${query.path}: not done within --timeout`);
    const { ms, body } = await timedGet(pool, query.path);
    latencies[i] = ms;
    last = body;
  }
  return {
    system,
    path: query.path,
    latencyMs: summariseLatencies(latencies),
    bodyBytes: last!.length,
    items: query.count(JSON.parse(last!.toString('utf8'))),
    expectedItems: query.expected(options),
  };
}

/** Starts `system` fresh, loads the workload, asks every query it has; stopped whatever happens. */
async function runSystem(system: BenchSystem, config: string, options: BenchOptions, queryOptions: QueryOptions): Promise<SystemRun> {
  const service = await system.start(config);
  const pool = senderPool(service.url, options.concurrency);
  try {
    const deadline = performance.now() + options.phaseTimeoutMs;
    // Serialised now: the alerts end 4 minutes after this, and the answers must still hold them all.
    const bodies = serialisedBatches('Bench', options.alerts, options.groups, options.batch, Date.now());
    const load = await postAll(pool, bodies, options.concurrency, options.phaseTimeoutMs);
    if (load.errors > 0) throw new Error(`load: ${load.errors} failed requests, the first: ${load.firstError}`);
    const pid = listeningPid(Number(new URL(service.url).port));
    const before = busyElsewhereMs(pid, system);
    const started = performance.now();
    const queries: QueryResult[] = [];
    for (const query of QUERIES) {
      if (query.grouperOnly && system.name === BASELINE) continue;
      queries.push(await measureQuery(system.name, pool, query, options, queryOptions, deadline));
    }
    const after = busyElsewhereMs(pid, system);
    const otherCores = before === undefined || after === undefined ? undefined : Math.max(0, after - before) / (performance.now() - started);
    const rss = pid === undefined ? undefined : peakRssBytes(pid);
    return {
      system: system.name,
      loadMs: load.elapsedMs,
      ...(rss !== undefined && { peakRssBytes: rss }),
      ...(otherCores !== undefined && { otherCores }),
      queries,
    };
  } finally {
    await pool.close();
    await service.stop();
    await system.cleanup();
  }
}

/** CPU time (ms) the machine spent outside the server, its helpers (Redis) and this process; undefined when one is not found. */
function busyElsewhereMs(serverPid: number | undefined, system: BenchSystem): number | undefined {
  const helpers = system.helperPorts.map(listeningPid);
  if (serverPid === undefined || helpers.some((pid) => pid === undefined)) return undefined;
  const own = process.cpuUsage();
  const ours = [serverPid, ...(helpers as number[])].reduce((total, pid) => total + processCpuMs(pid), (own.user + own.system) / 1000);
  return machineBusyCpuMs() - ours;
}

function formatRows(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]): string =>
    row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function resultTable(results: readonly QueryResult[]): string {
  const header = ['query', 'system', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'body KB', 'items'];
  const rows = results.map((r) => [
    r.path,
    r.system,
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    r.latencyMs.max.toFixed(1),
    r.latencyMs.mean.toFixed(1),
    (r.bodyBytes / 1024).toFixed(0),
    r.items === r.expectedItems ? String(r.items) : `${r.items} (expected ${r.expectedItems})`,
  ]);
  return formatRows([header, ...rows]);
}

/** Each system's latency ÷ Alertmanager's on the same query: below 1 is faster. */
function ratioLines(results: readonly QueryResult[]): string[] {
  const lines: string[] = [];
  for (const base of results.filter((r) => r.system === BASELINE)) {
    for (const other of results.filter((r) => r.path === base.path && r.system !== BASELINE)) {
      const p50 = other.latencyMs.p50 / base.latencyMs.p50;
      const p99 = other.latencyMs.p99 / base.latencyMs.p99;
      lines.push(`${other.system} / ${BASELINE} ${base.path}: p50 ${p50.toFixed(2)}×, p99 ${p99.toFixed(2)}× (lower is better)`);
    }
  }
  return lines;
}

const { options, query: queryOptions, systems } = argvOrExit();
const sink = await WebhookSink.start();
const config = benchConfig(`${sink.url}/bench`);
console.log(
  `query: ${options.alerts} alerts in ${options.groups} groups loaded in batches of ${options.batch} by ${options.concurrency} senders; ` +
    `${queryOptions.requests} requests per query after ${queryOptions.warmupRequests} warm-ups, one at a time; ${cpus().length} cores, node ${process.version}`,
);
const runs: SystemRun[] = [];
const failures: string[] = [];
for (const system of systems) {
  process.stdout.write(`${system.name}: `);
  try {
    const run = await runSystem(system, config, options, queryOptions);
    runs.push(run);
    const rss = run.peakRssBytes === undefined ? '?' : (run.peakRssBytes / 2 ** 20).toFixed(0);
    const other = run.otherCores === undefined ? '?' : run.otherCores.toFixed(2);
    console.log(`loaded in ${(run.loadMs / 1000).toFixed(2)} s, peak RSS ${rss} MB, other processes busy ${other} cores during the queries`);
  } catch (error) {
    failures.push(system.name);
    console.log(`failed: ${(error as Error).message}`);
  }
}
await sink.close();

const results = runs.flatMap((run) => run.queries);
if (results.length > 0) console.log(`\n${resultTable(results)}\n`);
for (const line of ratioLines(results)) console.log(line);
const incomplete = results.filter((r) => r.items !== r.expectedItems);
if (incomplete.length > 0) console.log('\nwarning: some answers did not hold the whole workload: the figures are not comparable');
if (sink.requests.length > 0) console.log(`\nwarning: ${sink.requests.length} notifications were sent during the run`);
process.exitCode = failures.length > 0 || incomplete.length > 0 || sink.requests.length > 0 ? 1 : 0;
