import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Config, HttpConfig } from '../../src/config/config.ts';
import type { Alert } from '../../src/core/alert.ts';
import { normalizeAlert, type PostableAlert } from '../../src/core/alert-input.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { mergeAlerts } from '../../src/core/merge-alerts.ts';
import { formatApiTime } from '../../src/core/timestamp.ts';
import { wireEngine } from '../../src/engine/engine.ts';
import type { Notifier, NotifyRequest } from '../../src/engine/notifier.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import {
  AlertmanagerModel,
  groupName,
  notifiedAlert,
  type Delivery,
  type ModelConfig,
  type Notification,
} from '../helpers/alertmanager-model.ts';

/*
 * Grouper's engine (Dispatcher + Scheduler + MemoryStore, as app.ts wires them) against a naive
 * model of Alertmanager on random alert streams: the notifications must be the same, tick for
 * tick. The scheduler runs its real loop on a fake clock; after every clock jump the test wakes it
 * with poke() and waits until it has nothing left to do (all its work is promise continuations,
 * so one macrotask turn is enough), then lets the model's timers fire at the same instant.
 *
 * Times are built so that no post falls on a tick, no endsAt on a post and no startsAt + group_wait
 * on a post (where Alertmanager races): durations are whole seconds, post i happens at
 * second + (1 + 7i) ms, and the startsAt and endsAt sent are at second + 250 ms and + 500 ms.
 *
 * FC_SEED replays a run; MODEL_RUNS changes the number of random streams.
 */

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const SECOND = 1000;
const MAX_SPAN = 14 * 60 * SECOND;
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const numRuns = Number(process.env.MODEL_RUNS ?? 300);

const LABEL_POOL = [0, 1, 2, 3, 4, 5].map((k) => ({ alertname: k % 2 === 0 ? 'Disk' : 'Cpu', instance: `host-${k >> 1}` }));

type StartChoice = 'episode' | 'omit';
type EndChoice = 'future' | 'resolve' | 'resend' | 'omit';

interface PostStep {
  readonly gapS: number;
  readonly alert: number;
  readonly start: StartChoice;
  /** For a new episode: how long ago it began (0 for fresh, large for "old" alerts). */
  readonly ageS: number;
  readonly end: EndChoice;
  /** For 'future': seconds until endsAt; for 'resolve': seconds since. */
  readonly endS: number;
}

interface Scenario {
  readonly groupBy: readonly string[] | 'all';
  readonly groupWaitS: number;
  readonly groupIntervalS: number;
  readonly repeatS: number;
  readonly resolveTimeoutS: number;
  readonly sendResolved: readonly boolean[];
  readonly failPercent: number;
  readonly failSeed: number;
  readonly steps: readonly PostStep[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  groupBy: fc.constantFrom<readonly string[] | 'all'>(['alertname'], ['alertname', 'instance'], [], ['instance'], 'all'),
  groupWaitS: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
  groupIntervalS: fc.integer({ min: 1, max: 30 }),
  repeatS: fc.integer({ min: 1, max: 120 }),
  resolveTimeoutS: fc.integer({ min: 1, max: 120 }),
  sendResolved: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  failPercent: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 50 })),
  failSeed: fc.nat(),
  steps: fc.array(
    fc.record({
      gapS: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 30 })),
      alert: fc.integer({ min: 0, max: LABEL_POOL.length - 1 }),
      start: fc.constantFrom<StartChoice>('episode', 'episode', 'omit'),
      ageS: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
      end: fc.constantFrom<EndChoice>('future', 'future', 'resolve', 'resend', 'omit'),
      endS: fc.integer({ min: 1, max: 180 }),
    }),
    { minLength: 1, maxLength: 20 },
  ),
});

interface Post {
  readonly at: number;
  readonly alert: Alert;
}

/**
 * The scenario's posts as normalized alerts, Prometheus-like: one startsAt per firing episode.
 * A new episode or a resolve may reach back into the alert's previous, already resolved version,
 * as another sender's view of it would, and then merges with it, in Alertmanager's store and in
 * the group or its retired alert in Grouper's (the test below shows one such case). 'resend'
 * repeats the alert's last resolved post exactly, as Prometheus does for 15 minutes after a
 * resolution.
 */
function posts(scenario: Scenario): Post[] {
  const stored = new Map<number, Alert>();
  const lastResolved = new Map<number, { startsAt: number; endsAt: number }>();
  const result: Post[] = [];
  let second = T0;
  scenario.steps.forEach((step, i) => {
    second += step.gapS * SECOND;
    const at = second + 1 + 7 * i;
    const previous = stored.get(step.alert);
    const ended = previous !== undefined && previous.endsAt <= at;
    const startsAt = previous !== undefined && !ended
      ? previous.startsAt
      : second - (step.ageS + 1) * SECOND + 250;
    let endsAt: number | undefined;
    if (step.end === 'future') endsAt = second + step.endS * SECOND + 500;
    if (step.end === 'resolve') endsAt = Math.max(second - (step.endS % 20) * SECOND - 500, startsAt + 250);
    let times = { startsAt: step.start === 'episode' ? startsAt : undefined, endsAt };
    const resent = lastResolved.get(step.alert);
    if (step.end === 'resend' && resent !== undefined) times = resent;
    const alert = posted(at, LABEL_POOL[step.alert], times, scenario.resolveTimeoutS * SECOND);
    if (alert === undefined) return;
    result.push({ at, alert });
    stored.set(step.alert, mergeAlerts(previous, alert, at));
    if (alert.endsAt <= at) lastResolved.set(step.alert, { startsAt: alert.startsAt, endsAt: alert.endsAt });
  });
  return result;
}

/** An alert as POST /api/v2/alerts at `at` would store it; undefined when it would be rejected. */
function posted(
  at: number,
  labels: LabelSet,
  times: { readonly startsAt?: number; readonly endsAt?: number },
  resolveTimeout: number,
): Alert | undefined {
  const postable: PostableAlert = {
    labels,
    startsAt: times.startsAt === undefined ? undefined : formatApiTime(times.startsAt),
    endsAt: times.endsAt === undefined ? undefined : formatApiTime(times.endsAt),
  };
  const normalized = normalizeAlert(postable, at, resolveTimeout);
  return 'alert' in normalized ? normalized.alert : undefined;
}

function horizon(scenario: Scenario, stream: readonly Post[]): number {
  let quiet = T0;
  for (const { at, alert } of stream) quiet = Math.max(quiet, at, alert.endsAt);
  const settle = scenario.groupWaitS + 3 * scenario.groupIntervalS + scenario.repeatS;
  return Math.min(quiet + settle * SECOND, T0 + MAX_SPAN);
}

/** Fails a request when a hash of what it is for falls under failPercent: the same for both sides. */
function deliverySchedule(scenario: Scenario): Delivery {
  return ({ at, group, integration }) => {
    if (scenario.failPercent === 0) return true;
    const digest = createHash('sha256').update(`${scenario.failSeed}|${at}|${group}|${integration}`).digest();
    return digest.readUInt32BE(0) % 100 >= scenario.failPercent;
  };
}

const HTTP: HttpConfig = { tlsInsecureSkipVerify: false, followRedirects: true };

function grouperConfig(scenario: Scenario): Config {
  return {
    file: 'state-machine-model',
    original: '',
    warnings: [],
    global: { resolveTimeout: scenario.resolveTimeoutS * SECOND, httpConfig: HTTP },
    route: {
      receiver: 'model',
      groupBy: scenario.groupBy === 'all' ? ['...'] : scenario.groupBy,
      groupWait: scenario.groupWaitS * SECOND,
      groupInterval: scenario.groupIntervalS * SECOND,
      repeatInterval: scenario.repeatS * SECOND,
      matchers: [],
      continue: false,
      routes: [],
    },
    receivers: [
      {
        name: 'model',
        webhookConfigs: scenario.sendResolved.map((sendResolved) => ({
          url: 'http://127.0.0.1:9/unused',
          sendResolved,
          maxAlerts: 0,
          timeout: 0,
          httpConfig: HTTP,
        })),
      },
    ],
  };
}

/** Records what the engine asks to send, answering by the shared delivery schedule. */
class RecordingNotifier implements Notifier {
  readonly sent: (Notification & { readonly tick: number })[] = [];
  readonly #clock: () => number;
  readonly #deliver: Delivery;

  constructor(clock: () => number, deliver: Delivery) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  async notify(request: NotifyRequest): Promise<boolean> {
    const at = this.#clock();
    const group = groupName(request.group.labels);
    const delivered = this.#deliver({ at, group, integration: request.integration });
    this.sent.push({
      at,
      tick: request.tick,
      group,
      integration: request.integration,
      reason: request.reason,
      alerts: request.alerts.map((alert) => notifiedAlert(alert, request.tick)),
      delivered,
    });
    return delivered;
  }
}

const metrics = new Metrics({ version: 'test', collectDefault: false });
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const MAX_STEPS = 50_000;

interface RunResult {
  readonly engine: readonly Notification[];
  readonly model: readonly Notification[];
  readonly steps: number;
}

/** Drives the engine and the model through the same stream, instant by instant. */
async function run(scenario: Scenario, stream: readonly Post[] = posts(scenario)): Promise<RunResult> {
  const end = horizon(scenario, stream);
  const deliver = deliverySchedule(scenario);
  const modelConfig: ModelConfig = {
    groupBy: scenario.groupBy,
    groupWait: scenario.groupWaitS * SECOND,
    groupInterval: scenario.groupIntervalS * SECOND,
    repeatInterval: scenario.repeatS * SECOND,
    sendResolved: scenario.sendResolved,
  };
  const model = new AlertmanagerModel(modelConfig, deliver);

  let now = T0;
  const clock = (): number => now;
  const runtime = buildRuntime(grouperConfig(scenario));
  const store = new MemoryStore();
  const notifier = new RecordingNotifier(clock, deliver);
  // With the clock frozen between jumps, pollMs only bounds a real sleep: the test wakes the loop.
  const { scheduler, dispatcher } = wireEngine({
    store,
    notifier,
    runtime: () => runtime,
    clock,
    logger: silentLogger,
    metrics,
    scheduler: { pollMs: 1e9 },
  });
  scheduler.start();

  let steps = 0;
  try {
    for (let next = 0; ; steps++) {
      assert.ok(steps < MAX_STEPS, 'the run does not end');
      const postAt = next < stream.length ? stream[next].at : Infinity;
      const t = Math.min(postAt, (await store.nextDue()) ?? Infinity, model.nextTimer() ?? Infinity);
      if (t > end) break;
      assert.ok(t >= now, `time went back from ${now} to ${t}`);
      now = t;
      if (t === postAt) {
        const { alert } = stream[next++];
        await dispatcher.ingest([alert], t);
        model.post(alert, t);
      }
      scheduler.poke(-Infinity);
      await nextMacrotask();
      model.fireTimers(t);
      const due = await store.nextDue();
      assert.ok(due === undefined || due > t, `a group is still due at ${due} after the engine ran at ${t}`);
    }
  } finally {
    await scheduler.stop(0);
  }
  for (const n of notifier.sent) assert.equal(n.tick, n.at, 'the engine flushed a tick late');
  const engine = notifier.sent.map(({ tick: _tick, ...n }) => n);
  return { engine: inOrder(engine), model: inOrder(model.notifications), steps };
}

/** Groups flush concurrently in both, so order is compared per instant, then by group. */
function inOrder(list: readonly Notification[]): Notification[] {
  return [...list].sort((a, b) => a.at - b.at || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0) || a.integration - b.integration);
}

function firstDifference(a: readonly Notification[], b: readonly Notification[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) {
      const show = (n: Notification | undefined) => (n === undefined ? 'nothing' : JSON.stringify({ ...n, at: `T0+${n.at - T0}ms` }));
      return `notification #${i}:\n  grouper:      ${show(a[i])}\n  alertmanager: ${show(b[i])}`;
    }
  }
  return 'none';
}

describe('the engine against a model of Alertmanager', () => {
  it('sends the same notifications, tick for tick, for random alert streams', async (t) => {
    const totals = { runs: 0, notifications: 0, failedDeliveries: 0, instants: 0 };
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { engine, model, steps } = await run(scenario);
        totals.runs++;
        totals.notifications += model.length;
        totals.failedDeliveries += model.filter((n) => !n.delivered).length;
        totals.instants += steps;
        assertSame(engine, model);
      }),
      { numRuns, seed, includeErrorInReport: true },
    );
    assert.ok(totals.notifications > numRuns, 'the streams notify');
    t.diagnostic(`totals: ${JSON.stringify(totals)}`);
  });

  it(
    'merges a new episode with a resolved version the group already sent and dropped',
    async () => {
      // X fires from T0 to T0+20.5s, is notified at T0+18.001s and resolved at T0+23.001s, and the
      // emptied group goes away. At T0+25.008s X fires again with a startsAt inside that interval
      // (another sender's view of the same episode). Alertmanager's store still holds the resolved
      // X, merges, keeps startsAt = T0-0.75s, so the new group is "old" and flushes at once. So
      // must Grouper, from the retired copy: with a fresh startsAt (T0+10.25s) it would wait
      // group_wait (until T0+43.008s).
      const scenario: Scenario = {
        groupBy: ['alertname'],
        groupWaitS: 18,
        groupIntervalS: 5,
        repeatS: 120,
        resolveTimeoutS: 300,
        sendResolved: [true],
        failPercent: 0,
        failSeed: 0,
        steps: [],
      };
      const x = LABEL_POOL[0];
      const rt = scenario.resolveTimeoutS * SECOND;
      const stream = [
        { at: T0 + 1, alert: posted(T0 + 1, x, { startsAt: T0 - 750, endsAt: T0 + 20_500 }, rt) },
        { at: T0 + 25_008, alert: posted(T0 + 25_008, x, { startsAt: T0 + 10_250, endsAt: T0 + 80_500 }, rt) },
      ] as Post[];
      const { engine, model } = await run(scenario, stream);
      assertSame(engine, model);
    },
  );
});

function assertSame(engine: readonly Notification[], model: readonly Notification[]): void {
  assert.ok(
    JSON.stringify(engine) === JSON.stringify(model),
    `Grouper and Alertmanager differ at ${firstDifference(engine, model)}`,
  );
}
