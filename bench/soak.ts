/**
 * Soak benchmark: a redis-server of its own, two Grouper replicas sharing it, a counting webhook
 * sink. Every period every active alert is re-posted as Prometheus does (batches of 64, endsAt =
 * now + 4 periods, batches alternating between the replicas) while 1% of them are resolved and
 * replaced (and re-sent resolved for 15 periods), so notifications flow and resolved alerts are
 * collected. One line per period: RSS,
 * Redis memory, notifications, lateness, duplicates; then whether memory stayed flat after
 * warm-up. Bounded: the run ends by its length plus a margin, whatever hangs.
 * `npx tsx bench/soak.ts [--quick] [--minutes=N] ...` (`--help` lists the options)
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Pool } from 'undici';
import { startGrouper, type GrouperProcess } from '../test/helpers/grouper-process.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';
import { postAll, senderPool } from './lib/load-generator.ts';
import { optionsOrExit } from './lib/options.ts';
import { listeningPid, machineBusyCpuMs, processCpuMs } from './lib/process-stats.ts';
import { parseSoakOptions, SOAK_USAGE, type SoakOptions } from './lib/soak-options.ts';
import { groupOrigins, latenessQuantile, redisMemory, RssSampler, scrape, total, type Quantile, type RedisMemory, type RssRange, type Scrape } from './lib/soak-probes.ts';
import { SoakSink } from './lib/soak-sink.ts';
import { memoryTrend, type MemoryTrend } from './lib/soak-verdict.ts';
import { CHURN, resolvedAlertId, soakConfig, soakTimings, SoakWorkload } from './lib/soak-workload.ts';
import { summariseLatencies } from './lib/stats.ts';

const REPLICAS = 2;
const BATCH = 64;
const SENDERS = 8;
/** Start-up (Redis, two replicas under tsx) and the summary and clean-up may take this long on top of the run. */
const START_MARGIN_MS = 90_000;
const FINISH_MARGIN_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
const RSS_SAMPLE_MS = 1_000;
/**
 * Largest growth from just after warm-up to the end that still counts as flat. Without a leak, a
 * replica's RSS steps up or down by 15% for minutes on end with the garbage collector's heap
 * sizing (seen in 3- and 10-minute runs on a busy 2-core machine), so the limit is well above
 * that and must be passed by both its peak and its lowest reading. Redis holds the same keys all run long and its memory
 * only moves with the resolved alerts waiting for their flush (by under 2% in those runs).
 */
const MAX_RSS_GROWTH = 0.25;
const MAX_REDIS_GROWTH = 0.05;
/** Other processes using more cores than this make the figures noisy. */
const OTHER_CPU_WARNING = 0.25;
const WARN_LEVEL = 40;
const ERROR_LEVEL = 50;

const LEGEND =
  'posted: alerts posted in the period; post s: time taken to post them; ingest p99: POST latency; RSS: lowest–highest ' +
  'of the period, sampled every second; Redis: used_memory; keys: DBSIZE; firing: alertmanager_alerts{state="active"} ' +
  "(Grouper caches it up to 30 s); notifs: arrivals at the sink; late p99: arrival minus the group's tick; start p99: " +
  "flush start minus tick, from both replicas' histograms; dups: a group notified twice within half a group_interval; " +
  'other CPU: cores used by the rest of the machine';

const COLUMNS = [
  ['time', 5],
  ['posted', 7],
  ['failed', 6],
  ['post s', 6],
  ['ingest p99 ms', 13],
  ['RSS r0 MiB', 10],
  ['RSS r1 MiB', 10],
  ['Redis MiB', 9],
  ['keys', 7],
  ['firing', 7],
  ['notifs', 6],
  ['notifs/s', 8],
  ['late p99 s', 10],
  ['start p99 s', 11],
  ['dups', 4],
  ['other CPU', 9],
] as const;

/** Clean-up steps, run last-registered first, each bounded. */
const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const { what, run } of cleanups.reverse()) {
      try {
        await within(run(), STEP_TIMEOUT_MS, `stopping ${what}`);
      } catch (error) {
        console.error(`soak: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function abort(message: string, code: number): Promise<never> {
  console.error(`soak: ${message}`);
  await cleanUp();
  process.exit(code);
}

/** What the soak runs against; every part is stopped by cleanUp. */
interface Stack {
  readonly redis: RedisServer;
  readonly sink: SoakSink;
  readonly replicas: readonly GrouperProcess[];
  readonly pids: readonly number[];
  readonly client: Redis;
  readonly pools: readonly Pool[];
  readonly rss: RssSampler;
  readonly readCpu: () => CpuReading;
}

interface CpuReading {
  readonly replicas: readonly number[];
  readonly redis: number;
  readonly bench: number;
  readonly machine: number;
}

async function startStack(options: SoakOptions): Promise<Stack> {
  const redis = await within(startRedisServer(), STEP_TIMEOUT_MS, 'starting redis-server');
  cleanups.push({ what: 'redis-server', run: () => redis.stop() });
  const sink = await SoakSink.start(soakTimings(options.periodMs).groupIntervalMs);
  cleanups.push({ what: 'webhook sink', run: () => sink.close() });
  const config = soakConfig(`${sink.url}/soak`, options.periodMs);
  // Resolved alerts are kept for merging for --alerts.gc-interval (30m by default): kept one
  // period, their count is steady after the warm-up, and keys still growing past it are a leak.
  const storage = [`--storage.redis.url=${redis.url}`, `--storage.redis.prefix=soak-${process.pid}`, `--alerts.gc-interval=${options.periodMs}ms`];
  const replicas: GrouperProcess[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    // Each replica's external URL is in every notification it sends: the sink counts by sender.
    const started = startGrouper({ config, args: storage, externalUrl: `http://soak-replica-${i}.test` });
    const replica = await within(started, STEP_TIMEOUT_MS, `starting replica ${i}`);
    cleanups.push({ what: `replica ${i}`, run: () => replica.stop() });
    replicas.push(replica);
  }
  const client = new Redis(redis.url, { commandTimeout: STEP_TIMEOUT_MS, maxRetriesPerRequest: 1 });
  cleanups.push({ what: 'Redis client', run: async () => client.disconnect() });
  const pools = replicas.map((replica) => senderPool(replica.url, SENDERS / REPLICAS));
  cleanups.push({ what: 'sender pools', run: () => Promise.all(pools.map((pool) => pool.close())) });
  const pids = replicas.map((replica, i) => {
    if (replica.pid === undefined) throw new Error(`replica ${i} has no pid`);
    return replica.pid;
  });
  const rss = new RssSampler(pids, RSS_SAMPLE_MS);
  cleanups.push({ what: 'RSS sampler', run: async () => rss.stop() });
  const redisPid = listeningPid(redis.port);
  const readCpu = (): CpuReading => {
    const bench = process.cpuUsage();
    return {
      replicas: pids.map(processCpuMs),
      redis: redisPid === undefined ? 0 : processCpuMs(redisPid),
      bench: (bench.user + bench.system) / 1000,
      machine: machineBusyCpuMs(),
    };
  };
  return { redis, sink, replicas, pids, client, pools, rss, readCpu };
}

function scrapeAll(stack: Stack): Promise<Scrape[]> {
  return within(Promise.all(stack.replicas.map((replica) => scrape(replica.url))), STEP_TIMEOUT_MS, 'scraping /metrics');
}

/** Posts the bodies alternately to each replica, SENDERS / REPLICAS senders each; fails what is not sent by `deadline`. */
async function postRound(pools: readonly Pool[], bodies: readonly Buffer[], deadline: number) {
  const timeoutMs = Math.max(1, deadline - Date.now());
  const shares = pools.map((_, replica) => bodies.filter((__, index) => index % pools.length === replica));
  const results = await Promise.all(pools.map((pool, replica) => postAll(pool, shares[replica], SENDERS / pools.length, timeoutMs)));
  const latencies = new Float64Array(bodies.length);
  let offset = 0;
  for (const result of results) {
    latencies.set(result.latenciesMs, offset);
    offset += result.latenciesMs.length;
  }
  return {
    latencies,
    failed: results.reduce((sum, result) => sum + result.errors, 0),
    firstError: results.find((result) => result.firstError !== undefined)?.firstError,
  };
}

interface PeriodReading {
  readonly rss: readonly RssRange[];
  readonly redis: RedisMemory;
}

/** Everything the periods leave for the summary. */
interface RunRecord {
  readonly startedAt: number;
  readonly runMs: number;
  readonly readings: readonly PeriodReading[];
  /** Sink-side lateness of every notification, by period. */
  readonly lateness: readonly Float64Array[];
  readonly unknownGroups: number;
  readonly requests: number;
  readonly alerts: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly resolvedPosted: number;
  readonly resolvedResent: number;
  /** Resolved alerts never notified though posted before the last period, a few of them named. */
  readonly unnotified: { readonly count: number; readonly examples: readonly string[] };
  /** Notified resolved alerts that had been notified before: Prometheus re-sent them and a later flush of their group carried them. */
  readonly resolvedAgain: number;
  readonly scrapes: { readonly first: readonly Scrape[]; readonly last: readonly Scrape[] };
  readonly cpu: { readonly first: CpuReading; readonly last: CpuReading };
  readonly noisyPeriods: number;
}

const MiB = 2 ** 20;
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const clock = (ms: number): string => `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;
const quantileText = (quantile: Quantile): string => (quantile.beyond ? `>${quantile.seconds}` : quantile.seconds.toFixed(2));

function row(cells: readonly string[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(COLUMNS[i][1]) : cell.padStart(COLUMNS[i][1]))).join('  ');
}

/** Posts a round at the start of every period and prints a line at its end. */
async function runPeriods(stack: Stack, options: SoakOptions): Promise<RunRecord> {
  const { sink, replicas, pools } = stack;
  const workload = new SoakWorkload(options.alerts, options.groups, options.resendPeriods);
  const readings: PeriodReading[] = [];
  const lateness: Float64Array[] = [];
  let requests = 0;
  let alerts = 0;
  let failed = 0;
  let firstError: string | undefined;
  let resolvedPosted = 0;
  let resolvedResent = 0;
  let resolvedAgain = 0;
  /** Resolved alerts not notified yet, by the period they resolved in. */
  const unnotified = new Map<string, number>();
  sink.onResolvedAlert((labels) => {
    if (!unnotified.delete(resolvedAlertId(labels))) resolvedAgain++;
  });
  let unknownGroups = 0;
  let noisyPeriods = 0;
  const firstScrapes = await scrapeAll(stack);
  const firstCpu = stack.readCpu();
  let previousScrapes = firstScrapes;
  let previousCpu = firstCpu;

  console.log(`${LEGEND}\n${row(COLUMNS.map(([title]) => title))}`);
  const startedAt = Date.now();
  let windowStart = startedAt;
  for (let period = 1; period <= options.periods; period++) {
    const periodEnd = startedAt + period * options.periodMs;
    const postStart = Date.now();
    const round = workload.round(postStart, options.periodMs, BATCH);
    // Before posting: a resolved alert may be notified before the round is all posted.
    for (const id of round.resolved) unnotified.set(id, period);
    const posted = await postRound(pools, round.bodies, periodEnd);
    const postMs = Date.now() - postStart;
    requests += round.bodies.length;
    alerts += round.alerts;
    failed += posted.failed;
    firstError ??= posted.firstError;
    resolvedPosted += round.resolved.length;
    resolvedResent += round.resent;
    if (period === 1) {
      const origins = await within(groupOrigins(replicas[0].url, soakTimings(options.periodMs).groupWaitMs), STEP_TIMEOUT_MS, 'listing groups');
      if (origins.size !== options.groups) console.log(`  warning: Grouper lists ${origins.size} groups, ${options.groups} expected`);
      sink.setOrigins(origins);
    }
    if (Date.now() < periodEnd) await sleep(periodEnd - Date.now());

    const dead = replicas.findIndex((replica) => replica.exitCode !== null);
    if (dead >= 0) throw new Error(`replica ${dead} exited with code ${replicas[dead].exitCode}:\n${replicas[dead].output()}`);
    // RSS first: a scrape reads every group and leaves garbage behind.
    const reading: PeriodReading = { rss: stack.rss.take(), redis: await redisMemory(stack.client) };
    readings.push(reading);
    const scrapes = await scrapeAll(stack);
    const window = sink.takeWindow();
    lateness.push(window.latenessMs);
    unknownGroups += window.unknownGroups;
    const cpu = stack.readCpu();
    const now = Date.now();
    const windowMs = now - windowStart;
    const used = (pick: (reading: CpuReading) => number): number => pick(cpu) - pick(previousCpu);
    const ownMs = used((r) => r.redis) + used((r) => r.bench) + stack.pids.reduce((sum, _, i) => sum + used((r) => r.replicas[i]), 0);
    const otherCores = Math.max(0, used((r) => r.machine) - ownMs) / windowMs;
    if (otherCores > OTHER_CPU_WARNING) noisyPeriods++;
    console.log(
      row([
        clock(now - startedAt),
        String(round.alerts),
        String(posted.failed),
        seconds(postMs),
        summariseLatencies(posted.latencies).p99.toFixed(1),
        ...reading.rss.map((range) => `${(range.min / MiB).toFixed(0)}–${(range.max / MiB).toFixed(0)}`),
        mib(reading.redis.usedBytes),
        String(reading.redis.keys),
        String(scrapes[0].get('alertmanager_alerts{state="active"}') ?? '?'),
        String(window.notifications),
        ((window.notifications * 1000) / windowMs).toFixed(1),
        seconds(summariseLatencies(window.latenessMs).p99),
        quantileText(latenessQuantile(previousScrapes, scrapes, 0.99)),
        String(window.duplicates),
        otherCores.toFixed(2),
      ]),
    );
    previousScrapes = scrapes;
    previousCpu = cpu;
    windowStart = now;
  }
  // The last period's resolved alerts may still wait for their group's next tick.
  const missing = [...unnotified].filter(([, period]) => period < options.periods).map(([id]) => id);
  return {
    startedAt,
    runMs: Date.now() - startedAt,
    readings,
    lateness,
    unknownGroups,
    requests,
    alerts,
    failed,
    ...(firstError !== undefined && { firstError }),
    resolvedPosted,
    resolvedResent,
    unnotified: { count: missing.length, examples: missing.slice(0, 3) },
    resolvedAgain,
    scrapes: { first: firstScrapes, last: previousScrapes },
    cpu: { first: firstCpu, last: previousCpu },
    noisyPeriods,
  };
}

/** Warnings and errors in what a replica logged (pino JSON lines; only the last 64 KiB are kept), counted by message. */
function logProblems(output: string): string {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    let entry: { level?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.level !== 'number' || entry.level < WARN_LEVEL) continue;
    const key = `${entry.level >= ERROR_LEVEL ? 'error' : 'warn'}: ${String(entry.msg)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size === 0 ? 'none' : [...counts].map(([message, count]) => `${count} × ${message}`).join('; ');
}

const percent = (growth: number): string => `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`;
const periodsText = (trend: MemoryTrend): string => `periods ${trend.baselinePeriods.join('–')} → ${trend.endPeriods.join('–')}`;

/** A memory figure whose growth past the limit fails the run. */
interface MemoryCheck {
  readonly what: string;
  readonly text: string;
  readonly flat: boolean;
}

function redisCheck(what: string, readings: readonly number[], warmup: number, unit: (value: number) => string): MemoryCheck {
  const trend = memoryTrend(readings, MAX_REDIS_GROWTH, warmup);
  return {
    what,
    flat: trend.flat,
    text: `${unit(trend.baseline)} → ${unit(trend.end)} ${percent(trend.growth)} (${periodsText(trend)}): ${trend.flat ? 'flat' : 'GROWING'} (limit ${percent(MAX_REDIS_GROWTH)})`,
  };
}

/**
 * A leak lifts both a replica's peak and its lowest RSS; the garbage collector's heap sizing
 * moves one without the other (V8 gives memory back only now and then), so only both count.
 */
function rssCheck(what: string, ranges: readonly RssRange[], warmup: number): MemoryCheck {
  const peak = memoryTrend(ranges.map((range) => range.max), MAX_RSS_GROWTH, warmup);
  const lowest = memoryTrend(ranges.map((range) => range.min), MAX_RSS_GROWTH, warmup);
  const flat = peak.flat || lowest.flat;
  return {
    what,
    flat,
    text:
      `peak ${mib(peak.baseline)} → ${mib(peak.end)} MiB ${percent(peak.growth)}, lowest ${mib(lowest.baseline)} → ${mib(lowest.end)} MiB ` +
      `${percent(lowest.growth)} (${periodsText(peak)}): ${flat ? 'flat' : 'GROWING'} (limit ${percent(MAX_RSS_GROWTH)} for both)`,
  };
}

/** Prints the summary and returns what failed (empty when the run passed). */
function summarise(stack: Stack, options: SoakOptions, record: RunRecord): string[] {
  const { sink } = stack;
  const counter = (series: string): number => total(record.scrapes.last, series) - total(record.scrapes.first, series);
  const cores = (pick: (reading: CpuReading) => number): string => ((pick(record.cpu.last) - pick(record.cpu.first)) / record.runMs).toFixed(2);
  const totals = sink.totals;
  const lateness = summariseLatencies(Float64Array.from(record.lateness.flatMap((window) => [...window])));
  const flushesFailed = counter('grouper_scheduler_flushes_total{result="failed"}');
  const switchesToMemory = counter('grouper_store_failover_switches_total{to="memory"}');
  const warmup = Math.min(options.warmupPeriods, record.readings.length);
  const checks = [
    ...stack.pids.map((_, i) => rssCheck(`RSS replica ${i}`, record.readings.map((reading) => reading.rss[i]), warmup)),
    redisCheck('Redis used_memory', record.readings.map((reading) => reading.redis.usedBytes), warmup, (bytes) => `${mib(bytes)} MiB`),
    redisCheck('Redis keys', record.readings.map((reading) => reading.redis.keys), warmup, String),
  ];

  console.log(`\nsummary: ${options.periods} periods in ${clock(record.runMs)}; warm-up: the first ${warmup}; memory: medians of the periods named`);
  for (const check of checks) console.log(`  ${check.what.padEnd(18)} ${check.text}`);
  console.log(`  posted ${record.alerts} alerts in ${record.requests} requests; failed requests: ${record.failed}${record.firstError ? ` (first: ${record.firstError})` : ''}`);
  console.log(
    `  notifications: ${totals.notifications} (${[...sink.bySender].map(([sender, count]) => `${count} from ${sender}`).join(', ')}), ` +
      `${((totals.notifications * 1000) / record.runMs).toFixed(1)}/s; duplicates: ${totals.duplicates}; unreadable: ${totals.unreadable}`,
  );
  for (const example of sink.duplicateExamples) {
    console.log(
      `    duplicate: ${example.groupKey} at ${clock(example.firstAt - record.startedAt)} from ${example.firstSender}, again ` +
        `${example.secondAt - example.firstAt} ms later from ${example.secondSender}`,
    );
  }
  console.log(
    `  resolved alerts: ${record.resolvedPosted} resolved (re-sent ${record.resolvedResent} times in all); never notified though ` +
      `resolved before the last period: ${record.unnotified.count}${record.unnotified.count > 0 ? ` (e.g. group/instance ${record.unnotified.examples.join(', ')})` : ''}; ` +
      `${totals.resolvedAlerts} resolved alerts in notifications, ${record.resolvedAgain} of them notified before (re-sent, then carried by a later flush of their group)`,
  );
  console.log(
    `  lateness (sink arrival − tick): p50 ${seconds(lateness.p50)} s, p99 ${seconds(lateness.p99)} s, max ${seconds(lateness.max)} s` +
      `${record.unknownGroups > 0 ? ` (${record.unknownGroups} notifications of unknown groups left out)` : ''}; ` +
      `flush start (Grouper's histograms) p99 ${quantileText(latenessQuantile(record.scrapes.first, record.scrapes.last, 0.99))} s`,
  );
  console.log(
    `  flushes: ${counter('grouper_scheduler_flushes_total{result="sent"}')} sent, ${counter('grouper_scheduler_flushes_total{result="quiet"}')} quiet, ` +
      `${flushesFailed} failed; lease takeovers ${counter('grouper_scheduler_lease_takeovers_total')}, commit conflicts ` +
      `${counter('grouper_scheduler_commit_conflicts_total')}, ingest conflict retries ${counter('grouper_ingest_conflict_retries_total')}, ` +
      `switches to the memory store ${switchesToMemory}`,
  );
  console.log(
    `  CPU (cores, average): replicas ${stack.pids.map((_, i) => cores((r) => r.replicas[i])).join(' + ')}, Redis ${cores((r) => r.redis)}, ` +
      `bench ${cores((r) => r.bench)}, whole machine ${cores((r) => r.machine)}` +
      `${record.noisyPeriods > 0 ? `; other processes used more than ${OTHER_CPU_WARNING} cores in ${record.noisyPeriods} periods: figures are noisy` : ''}`,
  );
  stack.replicas.forEach((replica, i) => console.log(`  replica ${i} logged: ${logProblems(replica.output())}`));

  return [
    ...(record.failed > 0 ? [`${record.failed} ingest requests failed`] : []),
    ...(totals.duplicates > 0 ? [`${totals.duplicates} duplicate notifications`] : []),
    ...(record.unnotified.count > 0 ? [`${record.unnotified.count} resolved alerts never notified`] : []),
    ...(flushesFailed > 0 ? [`${flushesFailed} flushes failed`] : []),
    ...(totals.unreadable > 0 ? [`${totals.unreadable} unreadable notifications`] : []),
    ...(switchesToMemory > 0 ? [`${switchesToMemory} switches to the memory store`] : []),
    ...checks.filter((check) => !check.flat).map((check) => `${check.what} grew after warm-up`),
  ];
}

async function soak(options: SoakOptions): Promise<boolean> {
  const timings = soakTimings(options.periodMs);
  console.log(
    `soak${options.quick ? ' (quick)' : ''}: ${options.alerts} active alerts in ${options.groups} groups, re-posted every ` +
      `${options.periodMs / 1000} s in batches of ${BATCH} by ${SENDERS} senders over ${REPLICAS} replicas, ${CHURN * 100}% resolved ` +
      `and replaced per period (resolved ones re-sent for ${options.resendPeriods} periods); group_wait ${timings.groupWaitMs / 1000} s, group_interval ${timings.groupIntervalMs / 1000} s, ` +
      `repeat_interval ${timings.repeatIntervalMs / 1000} s; ${options.periods} periods (${options.durationMs / 60_000} min); ` +
      `Redis store; ${cpus().length} cores, node ${process.version}`,
  );
  const stack = await startStack(options);
  const failures = summarise(stack, options, await runPeriods(stack, options));
  console.log(failures.length === 0 ? '\nverdict: PASS' : `\nverdict: FAIL — ${failures.join('; ')}`);
  return failures.length === 0;
}

const options = optionsOrExit('soak', SOAK_USAGE, () => parseSoakOptions(process.argv.slice(2)));
const limitMs = options.durationMs + START_MARGIN_MS + FINISH_MARGIN_MS;
const watchdog = setTimeout(() => void abort(`did not finish within ${(limitMs / 60_000).toFixed(1)} min: stopped`, 3), limitMs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void abort(`${signal}: stopped`, 130));
let passed = false;
try {
  passed = await soak(options);
} catch (error) {
  console.error(`soak: ${(error as Error).stack ?? error}`);
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
process.exitCode = passed ? 0 : 1;
