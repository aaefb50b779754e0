/**
 * Redis benchmarks, each on a redis-server of its own and a Grouper process started fresh:
 * - flush lateness: N groups due within the same second, Alertmanager vs Grouper on each store,
 *   above the floor a bare HTTP client sets on this machine (lib/http-floor.ts);
 *   then, for Alertmanager and the Redis store, the same at lighter loads (LIGHTER_LOADS);
 * - resume: time for a restarted Grouper to flush groups that fell due while it was down,
 *   with and without 100k idle groups in Redis;
 * - Redis memory per 100k alerts (INFO used_memory delta).
 * `npx tsx bench/redis.ts [--quick]`
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startAlertmanager } from '../test/helpers/alertmanager-process.ts';
import { startGrouper, type GrouperProcess } from '../test/helpers/grouper-process.ts';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.ts';
import type { ServiceProcess } from '../test/helpers/service-process.ts';
import { WebhookSink, type SinkRequest } from '../test/helpers/webhook-sink.ts';
import { postAll, postPaced, senderPool } from './lib/load-generator.ts';
import { listeningPid, machineBusyCpuMs, processCpuMs } from './lib/process-stats.ts';
import { summariseLatencies, type LatencySummary } from './lib/stats.ts';
import { serialisedBatches } from './lib/workload.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('Usage: npx tsx bench/redis.ts [--quick]   (--quick: a tenth of the groups and alerts)\n');
  process.exit(0);
}
const scale = values.quick ? 0.1 : 1;
const LATENESS_GROUPS = 10_000 * scale;
/** Groups due within one second at which lateness is measured again, below the full load. */
const LIGHTER_LOADS = [2_000, 4_000, 6_000].map((groups) => groups * scale);
const IDLE_GROUPS = 100_000 * scale;
const MEMORY_ALERTS = 100_000 * scale;
const DUE_GROUPS = 1_000 * scale;
/** Long enough for every group to be created before the first is due. */
const LATENESS_GROUP_WAIT_MS = 5_000;
/** Lateness groups are created, and so fall due, evenly over this span. */
const DUE_SPAN_MS = 1_000;
const RESUME_GROUP_WAIT_MS = 2_000;
const BATCH = 100;
const SENDERS = 8;
const PHASE_TIMEOUT_MS = 300_000;

/** Routes `set="due"` alerts to a short group_wait; everything else waits an hour. */
function config(sinkUrl: string, dueGroupWaitMs: number): string {
  return `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: 1h
  group_interval: 1h
  repeat_interval: 4h
  routes:
    - matchers: ['set="due"']
      group_wait: ${dueGroupWaitMs}ms
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/bench
`;
}

/** One alert per group without startsAt: Grouper stamps its arrival, so startsAt + group_wait is the due tick. */
function dueBodies(name: string, groups: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let first = 0; first < groups; first += BATCH) {
    const alerts = [];
    for (let group = first; group < Math.min(first + BATCH, groups); group++) alerts.push({ labels: { alertname: name, set: 'due', group: String(group) } });
    bodies.push(Buffer.from(JSON.stringify(alerts)));
  }
  return bodies;
}

async function ingest(url: string, bodies: readonly Buffer[]): Promise<number> {
  const pool = senderPool(url, SENDERS);
  try {
    const result = await postAll(pool, bodies, SENDERS, PHASE_TIMEOUT_MS);
    if (result.errors > 0) throw new Error(`${result.errors} ingest requests failed, the first: ${result.firstError}`);
    return result.elapsedMs;
  } finally {
    await pool.close();
  }
}

function isOf(request: SinkRequest, name: string): boolean {
  return (request.body as { groupLabels?: { alertname?: string } }).groupLabels?.alertname === name;
}

function notificationsOf(sink: WebhookSink, name: string): SinkRequest[] {
  return sink.requests.filter((request) => isOf(request, name));
}

async function waitForNotifications(sink: WebhookSink, name: string, count: number): Promise<SinkRequest[]> {
  // Counted as requests arrive: filtering every request on each arrival would cost the bench
  // quadratic CPU, taken from the Grouper it measures.
  let seen = 0;
  let matched = 0;
  await sink.waitFor((requests) => {
    for (; seen < requests.length; seen++) if (isOf(requests[seen], name)) matched++;
    return matched >= count;
  }, PHASE_TIMEOUT_MS);
  return notificationsOf(sink, name);
}

function storageArgs(redis: RedisServer | undefined): string[] {
  return redis ? [`--storage.redis.url=${redis.url}`, '--storage.redis.prefix=bench'] : [];
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;

type LatenessSystem = 'alertmanager' | 'grouper' | 'grouper-redis';

interface Lateness {
  readonly p50: number;
  readonly p99: number;
  /** Of the system's own process, Redis aside. */
  readonly cpuPerFlushMs: number;
}

function startSystem(system: LatenessSystem, config: string, redis: RedisServer | undefined): Promise<ServiceProcess> {
  return system === 'alertmanager' ? startAlertmanager({ config }) : startGrouper({ config, args: storageArgs(redis) });
}

/**
 * Lateness (sink receive time minus due tick) of `groups` groups created, and so due, evenly
 * over one second. A first burst as large warms the system up: its connections to the receiver
 * are open and Node has compiled the flush path, as in a service that has run a while.
 */
async function flushLateness(system: LatenessSystem, groups = LATENESS_GROUPS): Promise<Lateness> {
  const redis = system === 'grouper-redis' ? await startRedisServer() : undefined;
  const sink = await WebhookSink.start();
  const service = await startSystem(system, config(sink.url, LATENESS_GROUP_WAIT_MS), redis);
  try {
    await ingest(service.url, dueBodies('Warmup', groups));
    await waitForNotifications(sink, 'Warmup', groups);
    const name = 'Lateness';
    const redisPid = redis && listeningPid(redis.port);
    const cpu = () => ({
      service: service.pid === undefined ? 0 : processCpuMs(service.pid),
      redis: redisPid === undefined ? 0 : processCpuMs(redisPid),
      machine: machineBusyCpuMs(),
    });
    const ingestStarted = Date.now();
    const pool = senderPool(service.url, SENDERS);
    try {
      const result = await postPaced(pool, dueBodies(name, groups), DUE_SPAN_MS);
      if (result.errors > 0) throw new Error(`${result.errors} ingest requests failed, the first: ${result.firstError}`);
    } finally {
      await pool.close();
    }
    // CPU is counted from the first due tick on: flushing, not ingest.
    await new Promise((resolve) => setTimeout(resolve, ingestStarted + LATENESS_GROUP_WAIT_MS - Date.now()));
    const stats = redis && new Redis(redis.url);
    await stats?.config('RESETSTAT');
    const before = cpu();
    const received = await waitForNotifications(sink, name, groups);
    const after = cpu();
    const serviceCpu = after.service - before.service;
    const redisCpu = after.redis - before.redis;
    const otherCpu = after.machine - before.machine - serviceCpu - redisCpu;
    const summary = printLateness(system, received, LATENESS_GROUP_WAIT_MS);
    console.log(
      `  ${''.padEnd(13)}  CPU per flush: ${(serviceCpu / groups).toFixed(3)} ms${redis ? ` + Redis ${(redisCpu / groups).toFixed(3)} ms` : ''}; ` +
        `the rest of the machine used ${(otherCpu / 1000).toFixed(1)} CPU-s meanwhile`,
    );
    if (stats) {
      printScriptShare(await stats.info('commandstats'), groups);
      stats.disconnect();
    }
    return { p50: summary.p50, p99: summary.p99, cpuPerFlushMs: serviceCpu / groups };
  } finally {
    await service.stop();
    await sink.close();
    await redis?.stop();
  }
}

/**
 * How Redis's time went while flushing (INFO commandstats since a RESETSTAT): in the scripts, and
 * in commands, which commandstats counts apart as well as inside the script that called them;
 * the few a replica sends itself (due counts, next due time) are among them.
 */
function printScriptShare(commandstats: string, flushes: number): void {
  let scriptsUs = 0;
  let commandsUs = 0;
  let commands = 0;
  for (const [, command, calls, usec] of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    if (command === 'evalsha' || command === 'eval') scriptsUs += Number(usec);
    else if (command !== 'config|resetstat') {
      commandsUs += Number(usec);
      commands += Number(calls);
    }
  }
  console.log(
    `  ${''.padEnd(13)}  Redis (INFO commandstats): ${(scriptsUs / 1000).toFixed(0)} ms in scripts; ${(commandsUs / 1000).toFixed(0)} ms ` +
      `in commands, nearly all called by the scripts; ${(commands / flushes).toFixed(1)} commands per flush`,
  );
}

/**
 * Prints the lateness of `received` (sink receive time minus due tick, the due tick being each
 * alert's startsAt plus `groupWaitMs`) and the rate at which they were sent.
 */
function printLateness(system: string, received: readonly SinkRequest[], groupWaitMs: number): LatencySummary {
  const dueAt = received.map((request) => Date.parse((request.body as { alerts: { startsAt: string }[] }).alerts[0].startsAt) + groupWaitMs);
  const summary = summariseLatencies(Float64Array.from(received, (request, i) => request.receivedAt - dueAt[i]));
  const spread = Math.max(...dueAt) - Math.min(...dueAt);
  const receivedAt = received.map((request) => request.receivedAt);
  const sendingMs = Math.max(...receivedAt) - Math.min(...receivedAt);
  console.log(
    `  ${system.padEnd(13)}  due within ${ms(spread)}; lateness p50 ${ms(summary.p50)}, p99 ${ms(summary.p99)}, ` +
      `max ${ms(summary.max)}${summary.p99 < 100 ? '' : ' [misses p99 < 100 ms]'}; all sent within ${ms(sendingMs)} ` +
      `(${((received.length * 1000) / Math.max(1, sendingMs)).toFixed(0)} flushes/s)`,
  );
  return summary;
}

/**
 * The floor under every system's lateness on this machine: a bare HTTP client (lib/http-floor.ts)
 * posting as many webhook bodies, each at its due time, to the same sink.
 */
async function floorLateness(groups = LATENESS_GROUPS): Promise<void> {
  const sink = await WebhookSink.start();
  try {
    const client = spawn(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', fileURLToPath(new URL('lib/http-floor.ts', import.meta.url)), sink.url, String(groups), String(DUE_SPAN_MS), String(BATCH)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(client, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`the HTTP floor client exited with ${code}`);
    printLateness('http floor', await waitForNotifications(sink, 'Lateness', groups), 0);
    console.log(`  ${''.padEnd(13)}  client CPU per request: ${(Number(output.trim()) / groups).toFixed(3)} ms`);
  } finally {
    await sink.close();
  }
}

/** Each Grouper's lateness and CPU per flush against Alertmanager's, measured in the same run. */
async function compareLateness(): Promise<void> {
  await floorLateness();
  const results = new Map<LatenessSystem, Lateness>();
  for (const system of ['alertmanager', 'grouper', 'grouper-redis'] as const) results.set(system, await flushLateness(system));
  const baseline = results.get('alertmanager') as Lateness;
  for (const system of ['grouper', 'grouper-redis'] as const) {
    const result = results.get(system) as Lateness;
    console.log(
      `  ${system} / alertmanager: lateness p50 ${(result.p50 / Math.max(1, baseline.p50)).toFixed(2)}×, ` +
        `p99 ${(result.p99 / Math.max(1, baseline.p99)).toFixed(2)}×, CPU per flush ${(result.cpuPerFlushMs / baseline.cpuPerFlushMs).toFixed(2)}×`,
    );
  }
}

/** Where the Redis store meets the target on this machine, with Alertmanager's lateness beside it. */
async function latenessByLoad(): Promise<void> {
  for (const groups of LIGHTER_LOADS) {
    const baseline = await flushLateness('alertmanager', groups);
    const result = await flushLateness('grouper-redis', groups);
    console.log(
      `  ${groups} groups: grouper-redis / alertmanager: lateness p50 ${(result.p50 / Math.max(1, baseline.p50)).toFixed(2)}×, ` +
        `p99 ${(result.p99 / Math.max(1, baseline.p99)).toFixed(2)}×`,
    );
  }
}

/**
 * Creates DUE_GROUPS groups due in RESUME_GROUP_WAIT_MS, stops Grouper before they are due,
 * waits until they are, starts it again and times: spawn to ready, and to every flush sent.
 */
async function timeResume(redis: RedisServer, sink: WebhookSink, run: string, grouper: GrouperProcess): Promise<GrouperProcess> {
  const name = `Resume${run}`;
  await ingest(grouper.url, dueBodies(name, DUE_GROUPS));
  const createdBy = Date.now();
  await grouper.stop();
  const early = notificationsOf(sink, name).length;
  if (early > 0) throw new Error(`${early} groups flushed before the stop: the stop took too long`);
  await new Promise((resolve) => setTimeout(resolve, createdBy + RESUME_GROUP_WAIT_MS + 500 - Date.now()));
  const spawnedAt = Date.now();
  const restarted = await startGrouper({ config: config(sink.url, RESUME_GROUP_WAIT_MS), args: storageArgs(redis) });
  const readyMs = Date.now() - spawnedAt;
  const received = (await waitForNotifications(sink, name, DUE_GROUPS)).map((request) => request.receivedAt - spawnedAt);
  const allMs = Math.max(...received);
  console.log(
    `  ${run.padEnd(28)}  after spawning Grouper: ready in ${ms(readyMs)}, first due flush sent in ${ms(Math.min(...received))}, ` +
      `all ${DUE_GROUPS} in ${ms(allMs)}${allMs < 5_000 ? '' : '  [misses < 5 s]'}`,
  );
  return restarted;
}

/** Posts `bodies` and returns how much Redis's used_memory grew. */
async function memoryTakenBy(redis: RedisServer, url: string, bodies: readonly Buffer[]): Promise<number> {
  const client = new Redis(redis.url);
  const usedMemory = async (): Promise<number> => Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1]);
  try {
    const before = await usedMemory();
    await ingest(url, bodies);
    return (await usedMemory()) - before;
  } finally {
    client.disconnect();
  }
}

function printMemory(alerts: number, groups: number, bytes: number): void {
  const mib = (value: number): string => `${(value / 2 ** 20).toFixed(1)} MiB`;
  console.log(`  ${alerts} alerts in ${groups} groups: ${mib(bytes)} (${mib((bytes / alerts) * 100_000)} per 100k alerts, ${(bytes / alerts).toFixed(0)} B per alert)`);
}

/** Resume timings without and then with IDLE_GROUPS idle groups (one alert each) in Redis, and the memory those take. */
async function resumeAndMemory(): Promise<void> {
  const redis = await startRedisServer();
  const sink = await WebhookSink.start();
  let grouper = await startGrouper({ config: config(sink.url, RESUME_GROUP_WAIT_MS), args: storageArgs(redis) });
  try {
    grouper = await timeResume(redis, sink, 'empty Redis', grouper);
    const used = await memoryTakenBy(redis, grouper.url, serialisedBatches('Idle', IDLE_GROUPS, IDLE_GROUPS, BATCH, Date.now()));
    grouper = await timeResume(redis, sink, `with ${IDLE_GROUPS} idle groups`, grouper);
    console.log('Redis memory (INFO used_memory growth):');
    printMemory(IDLE_GROUPS, IDLE_GROUPS, used);
  } finally {
    await grouper.stop();
    await sink.close();
    await redis.stop();
  }
}

/** Memory of MEMORY_ALERTS alerts spread over a tenth as many groups, on a Redis of its own. */
async function memoryInFewerGroups(): Promise<void> {
  const redis = await startRedisServer();
  const sink = await WebhookSink.start();
  const grouper = await startGrouper({ config: config(sink.url, RESUME_GROUP_WAIT_MS), args: storageArgs(redis) });
  try {
    const groups = MEMORY_ALERTS / 10;
    printMemory(MEMORY_ALERTS, groups, await memoryTakenBy(redis, grouper.url, serialisedBatches('Memory', MEMORY_ALERTS, groups, BATCH, Date.now())));
  } finally {
    await grouper.stop();
    await sink.close();
    await redis.stop();
  }
}

console.log(`redis bench${values.quick ? ' (quick)' : ''}: ${cpus().length} cores, node ${process.version}`);
console.log(`flush lateness, ${LATENESS_GROUPS} groups due evenly within one second, after a warm-up burst as large (target p99 < 100 ms):`);
await compareLateness();
console.log(`flush lateness at lighter loads, ${LIGHTER_LOADS.join(', ')} groups due evenly within one second:`);
await latenessByLoad();
console.log(`resume after a restart, ${DUE_GROUPS} groups fell due while Grouper was down (target < 5 s):`);
await resumeAndMemory();
await memoryInFewerGroups();
