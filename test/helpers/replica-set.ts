import { Redis } from 'ioredis';
import { parseConfig } from '../../src/config/load-config.ts';
import { fingerprint } from '../../src/core/fingerprint.ts';
import { groupKey, groupLabels } from '../../src/core/group-key.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { matchRoutes } from '../../src/core/route.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import { startGrouper, type GrouperProcess } from './grouper-process.ts';
import { WebhookSink, type SinkRequest } from './webhook-sink.ts';

/** Several Grouper processes behind nothing: tests pick which replica gets each request. */
export interface ReplicaSetOptions {
  /** alertmanager.yml text. */
  readonly config: string;
  /** Flags: where the replicas keep their state (`--storage.redis.url=...`, a test's own prefix), timings. */
  readonly args: readonly string[];
}

/**
 * Each replica is started with its own external URL, which every notification carries, so the
 * sink can tell which replica sent what.
 */
export function replicaName(index: number): string {
  return `http://replica-${index}.test`;
}

export interface FailoverState {
  readonly replica: number;
  readonly switchesToMemory: number;
  readonly inMemory: boolean;
}

export class ReplicaSet {
  readonly #options: ReplicaSetOptions;
  #replicas: GrouperProcess[];
  readonly #killed = new Set<number>();

  private constructor(options: ReplicaSetOptions, replicas: GrouperProcess[]) {
    this.#options = options;
    this.#replicas = replicas;
  }

  static async start(count: number, options: ReplicaSetOptions): Promise<ReplicaSet> {
    return new ReplicaSet(options, await startReplicas(count, options));
  }

  urls(indexes: readonly number[] = this.#replicas.map((_, i) => i)): string[] {
    return indexes.map((i) => this.#replicas[i].url);
  }

  /** SIGKILL: no graceful shutdown, leases and in-flight deliveries are simply abandoned. */
  kill(index: number): void {
    const { pid } = this.#replicas[index];
    if (pid === undefined) throw new Error(`replica ${index} has no process`);
    process.kill(pid, 'SIGKILL');
    this.#killed.add(index);
  }

  /** SIGTERM to every replica at once; resolves when all have exited. */
  async stop(): Promise<void> {
    await Promise.all(this.#replicas.map((replica) => replica.stop()));
  }

  /** Starts fresh processes with the same options (after stop()). */
  async restart(): Promise<void> {
    this.#replicas = await startReplicas(this.#replicas.length, this.#options);
    this.#killed.clear();
  }

  /**
   * Per running replica, from its /metrics: switches of its failover store to memory so far, and
   * whether it serves from memory now (Redis unreachable, or its merge back not done).
   */
  async failover(): Promise<FailoverState[]> {
    const running = this.#replicas.map((_, i) => i).filter((i) => !this.#killed.has(i));
    return Promise.all(
      running.map(async (replica) => {
        const text = await (await fetch(`${this.#replicas[replica].url}/metrics`)).text();
        const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
        return {
          replica,
          switchesToMemory: value(/^grouper_store_failover_switches_total\{to="memory"\} (\S+)$/m),
          inMemory: value(/^grouper_store_failover_active (\S+)$/m) === 1,
        };
      }),
    );
  }

  /** The last lines each replica wrote, for failure messages. */
  output(): string {
    return this.#replicas.map((replica, i) => `--- replica ${i} ---\n${replica.output().slice(-3_000)}`).join('\n');
  }
}

async function startReplicas(count: number, options: ReplicaSetOptions): Promise<GrouperProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startGrouper({
        config: options.config,
        externalUrl: replicaName(i),
        args: options.args,
        readyTimeoutMs: 60_000,
      }),
    ),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw failed.reason;
  }
  return started.map((result) => (result as PromiseFulfilledResult<GrouperProcess>).value);
}

export interface PostableAlert {
  readonly labels: LabelSet;
  readonly startsAt?: string;
  readonly endsAt?: string;
}

/** The requests of a load, and which of them Grouper answered 200. */
export interface LoadResult {
  readonly accepted: readonly number[];
  readonly failures: readonly { readonly index: number; readonly reason: string }[];
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Posts `bodies[i]` to `urls[i % urls.length]` at `ratePerSecond`, open loop: a slow answer
 * does not delay the next request, as with many Prometheus servers sending at once.
 */
export async function postPaced(urls: readonly string[], bodies: readonly PostableAlert[][], ratePerSecond: number): Promise<LoadResult> {
  const started = performance.now();
  const accepted: number[] = [];
  const failures: { index: number; reason: string }[] = [];
  const sends = bodies.map(async (body, index) => {
    const wait = started + (index * 1000) / ratePerSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const reason = await postAlerts(urls[index % urls.length], body);
    if (reason === undefined) accepted.push(index);
    else failures.push({ index, reason });
  });
  await Promise.all(sends);
  return { accepted: accepted.sort((a, b) => a - b), failures };
}

/** Undefined when Grouper answered 200, else why not. */
async function postAlerts(url: string, alerts: readonly PostableAlert[]): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return response.status === 200 ? undefined : `HTTP ${response.status}: ${text.slice(0, 300)}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Fails with the first failure's reason unless every request was accepted. */
export function assertAllAccepted(result: LoadResult, what: string): void {
  if (result.failures.length === 0) return;
  const first = result.failures[0];
  throw new Error(`${what}: ${result.failures.length} request(s) failed; request ${first.index}: ${first.reason}`);
}

/**
 * The flush workload: `groups` groups of two alerts, played in phases that each change one
 * alert of every group, so that every group flushes once per phase, and a flush cannot see
 * half a phase however slowly a request is written (two alerts of one request are two writes).
 */
export interface FlushWorkload {
  /** The alertname of every alert: unique per test, so runs sharing a Redis never meet. */
  readonly name: string;
  readonly groups: number;
  /** Groups per request. */
  readonly groupsPerRequest: number;
}

/** Per phase: the member posted, whether it is resolved, and the members the flush then shows. */
const PHASE_STEPS = [
  { member: 0, resolved: false, notified: [0] },
  { member: 1, resolved: false, notified: [0, 1] },
  { member: 0, resolved: true, notified: [0, 1] },
  // The first member was sent resolved and dropped; the group empties and is deleted.
  { member: 1, resolved: true, notified: [1] },
] as const;

const PHASES = PHASE_STEPS.length;

function memberLabels(workload: FlushWorkload, group: number, member: number): LabelSet {
  return { alertname: workload.name, group: String(group), member: `m${member}` };
}

/** The request bodies of one phase; `startsAt` is the epoch ms at which phase 0 was posted. */
function phaseBodies(workload: FlushWorkload, phase: number, startsAt: number, now: number): PostableAlert[][] {
  const { member, resolved } = PHASE_STEPS[phase];
  const bodies: PostableAlert[][] = [];
  for (let first = 0; first < workload.groups; first += workload.groupsPerRequest) {
    const alerts: PostableAlert[] = [];
    for (let group = first; group < Math.min(first + workload.groupsPerRequest, workload.groups); group++) {
      alerts.push({
        labels: memberLabels(workload, group, member),
        startsAt: new Date(startsAt).toISOString(),
        ...(resolved && { endsAt: new Date(now).toISOString() }),
      });
    }
    bodies.push(alerts);
  }
  return bodies;
}

interface NotifiedAlert {
  readonly status: string;
  readonly fingerprint: string;
}

interface WebhookBody {
  readonly status: string;
  readonly groupKey: string;
  readonly externalURL: string;
  readonly alerts: readonly NotifiedAlert[];
}

/** What makes a flush the flush it is: group key, status and each alert's fingerprint and status. */
function signature(groupKeyText: string, status: string, alerts: readonly NotifiedAlert[]): string {
  return `${groupKeyText} ${status} ${alerts.map((alert) => `${alert.fingerprint}=${alert.status}`).sort().join(',')}`;
}

/** One notification as the sink got it. */
export interface Flush {
  readonly signature: string;
  /** The external URL of the replica that sent it (see replicaName). */
  readonly sender: string;
  readonly receivedAt: number;
}

function flushesOf(requests: readonly SinkRequest[]): Flush[] {
  return requests
    .filter((request) => request.status < 300)
    .map((request) => {
      const body = request.body as WebhookBody;
      return { signature: signature(body.groupKey, body.status, body.alerts), sender: body.externalURL, receivedAt: request.receivedAt };
    });
}

/** The flushes a phase must produce, one per group, worked out with the core's own rules. */
function expectedFlushes(workload: FlushWorkload, config: string, phase: number): string[] {
  const { root } = buildRuntime(parseConfig(config, 'alertmanager.yml'));
  const resolvedBy = (member: number): boolean =>
    PHASE_STEPS.slice(0, phase + 1).some((step) => step.member === member && step.resolved);
  const expected: string[] = [];
  for (let group = 0; group < workload.groups; group++) {
    const [route] = matchRoutes(root, memberLabels(workload, group, 0));
    const alerts = PHASE_STEPS[phase].notified.map((member) => ({
      fingerprint: fingerprint(memberLabels(workload, group, member)),
      status: resolvedBy(member) ? 'resolved' : 'firing',
    }));
    const status = alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved';
    expected.push(signature(groupKey(route, groupLabels(route, memberLabels(workload, group, 0))), status, alerts));
  }
  return expected;
}

/** How often each signature arrived. */
export function countBySignature(flushes: readonly Flush[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const flush of flushes) counts.set(flush.signature, (counts.get(flush.signature) ?? 0) + 1);
  return counts;
}

/** Lines describing every way `flushes` is not exactly `expected`, each once; empty when it is. */
export function transcriptDifferences(expected: readonly string[], flushes: readonly Flush[]): string[] {
  const counts = countBySignature(flushes);
  const differences: string[] = [];
  for (const wanted of expected) {
    const count = counts.get(wanted) ?? 0;
    if (count !== 1) differences.push(`${count} × ${wanted}`);
  }
  const wanted = new Set(expected);
  for (const [got, count] of counts) if (!wanted.has(got)) differences.push(`unexpected ${count} × ${got}`);
  return differences;
}

/** The first few lines of a list, and how many more there are. */
export function summarise(lines: readonly string[], limit = 10): string {
  const more = lines.length > limit ? `\n... and ${lines.length - limit} more` : '';
  return lines.slice(0, limit).join('\n') + more;
}

/** Removes every key under `prefix` from the Redis at `url` (a test's leftovers on a shared Redis). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 })) {
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}

/** The flush workload's timers: ticks every 2 s, so each phase takes about one tick. */
const FLUSH_GROUP_INTERVAL_MS = 2_000;

function flushConfig(sinkUrl: string): string {
  return `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: 1s
  group_interval: ${FLUSH_GROUP_INTERVAL_MS / 1000}s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/hook
`;
}

export interface FlushRunOptions {
  readonly replicas: number;
  readonly workload: FlushWorkload;
  /** Storage and timing flags of every replica. */
  readonly args: readonly string[];
  readonly ratePerSecond: number;
  /** Bound on each phase, from its first request until its last expected flush arrived. */
  readonly phaseTimeoutMs: number;
  /** Replicas that receive the requests; all when absent. */
  readonly ingestOn?: readonly number[];
  /** Runs alongside a phase (e.g. kills a replica mid-flush); the phase ends when both are done. */
  readonly during?: (set: ReplicaSet, sink: WebhookSink, phase: number) => Promise<void>;
}

export interface FlushRun {
  /** Every notification the sink got, in arrival order. */
  readonly flushes: readonly Flush[];
  /** Each replica's failover store at the end (see ReplicaSet.failover). */
  readonly failover: readonly FailoverState[];
  /** The flushes of each phase, as the core's rules say. */
  readonly expected: readonly (readonly string[])[];
}

/**
 * Starts a webhook sink and the replicas, plays the workload's phases one after another (each
 * once every flush of the previous one has arrived), listens one more tick for late duplicates,
 * and stops everything. Fails when a request is refused or a phase's flushes do not all arrive
 * in time.
 */
export async function runFlushWorkload(options: FlushRunOptions): Promise<FlushRun> {
  const sink = await WebhookSink.start();
  const config = flushConfig(sink.url);
  const expected = Array.from({ length: PHASES }, (_, phase) => expectedFlushes(options.workload, config, phase));
  let set: ReplicaSet | undefined;
  try {
    set = await ReplicaSet.start(options.replicas, { config, args: options.args });
    const started = set;
    try {
      const startsAt = Date.now();
      for (let phase = 0; phase < PHASES; phase++) {
        const arrived = waitForFlushes(sink, expected[phase], options.phaseTimeoutMs, `phase ${phase}`);
        const bodies = phaseBodies(options.workload, phase, startsAt, Date.now());
        // Each phase sends a group's alert to the next replica: only shared state makes one group of them.
        const urls = started.urls(options.ingestOn);
        const rotated = urls.map((_, i) => urls[(i + phase) % urls.length]);
        const [load] = await Promise.all([
          postPaced(rotated, bodies, options.ratePerSecond),
          arrived,
          options.during?.(started, sink, phase),
        ]);
        assertAllAccepted(load, `phase ${phase}`);
      }
      await new Promise((resolve) => setTimeout(resolve, FLUSH_GROUP_INTERVAL_MS + 500));
      return { flushes: flushesOf(sink.requests), expected, failover: await started.failover() };
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${started.output()}`, { cause: error });
    }
  } finally {
    await set?.stop();
    await sink.close();
  }
}

/** Fails when a replica ever served from memory: replicas then do not share state, and exactly-once is off. */
export function assertNeverDegraded(run: FlushRun): void {
  const degraded = run.failover.filter((state) => state.switchesToMemory !== 0 || state.inMemory);
  if (degraded.length > 0) throw new Error(`replicas switched to their memory store (Redis unreachable): ${JSON.stringify(degraded)}`);
}

/** Flushes per replica (by external URL), for reports. */
export function countBySender(flushes: readonly Flush[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const flush of flushes) counts[flush.sender] = (counts[flush.sender] ?? 0) + 1;
  return counts;
}

/** Resolves once every one of `expected` has arrived at least once. */
async function waitForFlushes(sink: WebhookSink, expected: readonly string[], timeoutMs: number, what: string): Promise<void> {
  const missing = new Set(expected);
  let seen = 0;
  try {
    await sink.waitFor((requests) => {
      for (const flush of flushesOf(requests.slice(seen))) missing.delete(flush.signature);
      seen = requests.length;
      return missing.size === 0;
    }, timeoutMs);
  } catch (error) {
    throw new Error(`${what}: ${missing.size} of ${expected.length} flushes missing after ${timeoutMs} ms, e.g.\n${summarise([...missing], 5)}`, { cause: error });
  }
}
