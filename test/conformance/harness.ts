import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { startAlertmanager } from '../helpers/alertmanager-process.ts';
import { startGrouper } from '../helpers/grouper-process.ts';
import type { ServiceProcess } from '../helpers/service-process.ts';
import { WebhookSink, answerOk, type Responder } from '../helpers/webhook-sink.ts';
import { checkBehaviour, type Behaviour, type PostResponse } from './expectations.ts';
import { compareTranscripts, formatTranscript, normalize, type Notification } from './transcript.ts';

/** An alert to post; times are ms offsets from t0, left out of the POST when undefined. */
export interface AlertSpec {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly generatorURL?: string;
  readonly startsAt?: number;
  readonly endsAt?: number;
}

export interface Step {
  /** ms after t0 at which both systems receive the POST. */
  readonly at: number;
  readonly alerts: readonly AlertSpec[];
}

export interface Scenario {
  readonly name: string;
  /** What the scenario shows and why its timings are safe. */
  readonly notes: string;
  /** alertmanager.yml; `{{SINK}}` stands for the system's own webhook sink (`http://127.0.0.1:<port>`). */
  readonly config: string;
  readonly steps: readonly Step[];
  /** ms after t0 until which notifications are recorded. */
  readonly until: number;
  /** What Alertmanager 0.25 does. */
  readonly expected: Behaviour;
  /** Where 0.25 and current Alertmanager differ: what current Alertmanager does, and so Grouper must. */
  readonly current?: Behaviour & { readonly difference: string };
  /**
   * Why 0.25 may also behave as current Alertmanager in this scenario (a race of its own):
   * its run is then accepted against either behaviour.
   */
  readonly referenceMayMatchCurrent?: string;
  readonly responder?: Responder;
  readonly deliveryToleranceMs?: number;
}

export type CandidateKind = 'grouper' | 'alertmanager';

/**
 * Twenty scenarios run at once, each with an Alertmanager and a Grouper of its own, on two
 * cores: a fresh process's first flush has been seen up to about 0.55 s late then (14–22 ms on
 * an idle machine). Ticks in the scenarios are at least 1 s apart, so this still tells them apart.
 */
const DELIVERY_TOLERANCE_MS = 600;
const INVENTED_TIME_TOLERANCE_MS = 300;
/** A POST later than this makes the run meaningless (the machine is too busy for the timings). */
const MAX_POST_LATENESS_MS = 150;
const LEAD_MS = 300;
/** For one process to start while others start too: ~20 Grouper processes under tsx need ~20 s of 2 cores. */
export const STARTUP_TIMEOUT_MS = 60_000;

export interface SystemRun {
  readonly label: string;
  readonly notifications: readonly Notification[];
  /** Requests per path, failed ones included. */
  readonly attempts: Readonly<Record<string, number>>;
  readonly responses: readonly PostResponse[];
  readonly output: string;
}

export interface ScenarioRun {
  readonly reference: SystemRun;
  readonly candidate: SystemRun;
  /** How late the latest POST left, in ms. */
  readonly postLateness: number;
}

interface System {
  readonly label: string;
  readonly sink: WebhookSink;
  readonly service: ServiceProcess;
}

/** A scenario whose two systems are up and idle, so that every scenario's clock can start at once. */
export interface PreparedScenario {
  /** Plays the timed alert stream from t0 = now + `delayMs`, records until `until`, then stops both systems. */
  run(delayMs: number): Promise<ScenarioRun>;
  close(): Promise<void>;
}

/** Starts a webhook sink and a process for Alertmanager and for the candidate, with the scenario's config. */
/**
 * Starts both systems for a scenario. `grouperArgs` are extra Grouper flags; `{{RUN}}` in them
 * becomes a fresh id per process (e.g. a Redis key prefix).
 */
export async function prepareScenario(
  scenario: Scenario,
  candidate: CandidateKind,
  grouperArgs: readonly string[] = [],
): Promise<PreparedScenario> {
  const sinks = await Promise.all([WebhookSink.start(scenario.responder ?? answerOk), WebhookSink.start(scenario.responder ?? answerOk)]);
  const readyTimeoutMs = STARTUP_TIMEOUT_MS;
  const started = await Promise.allSettled([
    startAlertmanager({ config: render(scenario.config, sinks[0]), readyTimeoutMs }),
    candidate === 'alertmanager'
      ? startAlertmanager({ config: render(scenario.config, sinks[1]), readyTimeoutMs })
      : startGrouper({ config: render(scenario.config, sinks[1]), args: withRunId(grouperArgs), readyTimeoutMs }),
  ]);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
      await Promise.all(sinks.map((sink) => sink.close()));
    })());
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  const [reference, candidateService] = started.map((result) => (result as PromiseFulfilledResult<ServiceProcess>).value);
  const systems: System[] = [
    { label: 'alertmanager 0.25', sink: sinks[0], service: reference },
    { label: candidate, sink: sinks[1], service: candidateService },
  ];
  return {
    run: async (delayMs) => {
      try {
        return await play(scenario, systems, Date.now() + LEAD_MS + delayMs);
      } finally {
        await close();
      }
    },
    close,
  };
}

async function play(scenario: Scenario, systems: readonly System[], t0: number): Promise<ScenarioRun> {
  const sentTimes = new Set(scenario.steps.flatMap((step) => step.alerts.flatMap((a) => [a.startsAt, a.endsAt])).filter((t): t is number => t !== undefined));
  let postLateness = 0;
  const posted = scenario.steps.map((step) =>
    at(t0 + step.at).then(() => {
      postLateness = Math.max(postLateness, Date.now() - (t0 + step.at));
      const body = JSON.stringify(step.alerts.map((alert) => toWire(alert, t0)));
      return Promise.all(systems.map((system) => postAlerts(system.service.url, body)));
    }),
  );
  await at(t0 + scenario.until);
  const responses = await Promise.all(posted);
  const [reference, candidate] = systems.map((system, i) => record(system, t0, scenario.until, sentTimes, responses.map((pair) => pair[i])));
  return { reference, candidate, postLateness };
}

/** Everything wrong with a run, as a readable report; empty when the scenario passed. */
export function verifyScenario(scenario: Scenario, run: ScenarioRun, candidate: CandidateKind): string {
  const deliveryMs = scenario.deliveryToleranceMs ?? DELIVERY_TOLERANCE_MS;
  const sections: string[] = [];
  if (run.postLateness > MAX_POST_LATENESS_MS) sections.push(`The harness posted up to ${run.postLateness} ms late: the machine was too busy for this scenario's timings.`);
  let referenceFailures = checkBehaviour(run.reference.notifications, run.reference.responses, scenario.expected, deliveryMs);
  if (referenceFailures.length > 0 && scenario.current !== undefined && scenario.referenceMayMatchCurrent !== undefined) {
    const asCurrent = checkBehaviour(run.reference.notifications, run.reference.responses, scenario.current, deliveryMs);
    if (asCurrent.length === 0) referenceFailures = [];
  }
  if (referenceFailures.length > 0) sections.push(`Alertmanager 0.25 did not behave as the scenario expects (scenario or harness problem):\n${indent(referenceFailures)}`);
  if (scenario.current !== undefined && candidate === 'grouper') {
    const candidateFailures = checkBehaviour(run.candidate.notifications, run.candidate.responses, scenario.current, deliveryMs);
    if (candidateFailures.length > 0) sections.push(`${candidate} does not follow current Alertmanager (${scenario.current.difference}):\n${indent(candidateFailures)}`);
  } else {
    const differences = compareTranscripts(run.reference.notifications, run.candidate.notifications, { deliveryMs, inventedTimeMs: INVENTED_TIME_TOLERANCE_MS });
    run.reference.responses.forEach((response, i) => {
      const other = run.candidate.responses[i];
      if (!isDeepStrictEqual(response, other)) differences.push(`POST of step ${i + 1}: ${JSON.stringify(response)} vs ${JSON.stringify(other)}`);
    });
    if (differences.length > 0) sections.push(`Transcripts differ (alertmanager 0.25 vs ${candidate}):\n${indent(differences)}`);
  }
  if (sections.length === 0) return '';
  for (const system of [run.reference, run.candidate]) {
    sections.push(`Transcript of ${system.label} (attempts per path ${JSON.stringify(system.attempts)}):\n${formatTranscript(system.notifications)}`);
    if (system.output.trim() !== '') sections.push(`Output of ${system.label} (tail):\n${system.output.slice(-3_000)}`);
  }
  return `scenario ${scenario.name}: ${scenario.notes}\n\n${sections.join('\n\n')}`;
}

function record(system: System, t0: number, until: number, sentTimes: ReadonlySet<number>, responses: readonly PostResponse[]): SystemRun {
  const requests = system.sink.requests.filter((request) => request.receivedAt <= t0 + until);
  const attempts: Record<string, number> = {};
  for (const request of [...requests].sort((a, b) => a.path.localeCompare(b.path))) attempts[request.path] = (attempts[request.path] ?? 0) + 1;
  return {
    label: system.label,
    notifications: requests.filter((request) => request.status < 300).map((request) => normalize(request, t0, sentTimes)),
    attempts,
    responses,
    output: system.service.output(),
  };
}

function render(config: string, sink: WebhookSink): string {
  return config.replaceAll('{{SINK}}', sink.url);
}

function withRunId(args: readonly string[]): string[] {
  const run = randomUUID();
  return args.map((arg) => arg.replaceAll('{{RUN}}', run));
}

function toWire(alert: AlertSpec, t0: number): Record<string, unknown> {
  const time = (offset: number | undefined): string | undefined => (offset === undefined ? undefined : new Date(t0 + offset).toISOString());
  return { labels: alert.labels, annotations: alert.annotations, generatorURL: alert.generatorURL, startsAt: time(alert.startsAt), endsAt: time(alert.endsAt) };
}

async function postAlerts(url: string, body: string): Promise<PostResponse> {
  try {
    const response = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    return { status: response.status, body: parseJsonOrText(text) };
  } catch (error) {
    return { status: 0, body: `request failed: ${(error as Error).message}` };
  }
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function at(epochMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}`).join('\n');
}
