import { isDeepStrictEqual } from 'node:util';
import type { SinkRequest } from '../helpers/webhook-sink.ts';

/**
 * A payload time as an offset from t0 in ms: exact when it is a time the harness sent, `approx` when
 * the server invented it (startsAt = now, endsAt = now + resolve_timeout), null for Go's zero time.
 */
export type Time = number | { readonly approx: number } | null;

type Labels = Readonly<Record<string, string>>;

export interface NotifiedAlert {
  readonly status: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly fingerprint: string;
  readonly generatorURL: string;
  readonly startsAt: Time;
  readonly endsAt: Time;
}

/** The parts of a webhook notification both systems must agree on, plus when it arrived. */
export interface Notification {
  /** ms after t0 at which the sink received it. */
  readonly at: number;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly version: string;
  readonly status: string;
  readonly receiver: string;
  readonly groupKey: string;
  readonly groupLabels: Labels;
  readonly commonLabels: Labels;
  readonly commonAnnotations: Labels;
  readonly externalURL: string;
  readonly truncatedAlerts: number;
  readonly alerts: readonly NotifiedAlert[];
}

export interface Tolerances {
  /** How far apart two deliveries of the same notification may arrive. */
  readonly deliveryMs: number;
  /** How far apart two server-invented times may be. */
  readonly inventedTimeMs: number;
}

const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

type WireBody = Partial<Omit<Notification, 'at' | 'path' | 'contentType' | 'alerts'>> & {
  readonly alerts?: readonly (Partial<Omit<NotifiedAlert, 'startsAt' | 'endsAt'>> & { readonly startsAt?: string; readonly endsAt?: string })[];
};

export function normalize(request: SinkRequest, t0: number, sentTimes: ReadonlySet<number>): Notification {
  const body = (request.body ?? {}) as WireBody;
  const time = (text: string | undefined): Time => {
    const ms = Date.parse(text ?? '');
    if (ms === ZERO_TIME) return null;
    const offset = ms - t0;
    return sentTimes.has(offset) ? offset : { approx: offset };
  };
  return {
    at: request.receivedAt - t0,
    path: request.path,
    contentType: request.headers['content-type'],
    version: body.version as string,
    status: body.status as string,
    receiver: body.receiver as string,
    groupKey: body.groupKey as string,
    groupLabels: body.groupLabels as Labels,
    commonLabels: body.commonLabels as Labels,
    commonAnnotations: body.commonAnnotations as Labels,
    externalURL: body.externalURL as string,
    truncatedAlerts: body.truncatedAlerts as number,
    alerts: (body.alerts ?? []).map((alert) => ({
      status: alert.status as string,
      labels: alert.labels as Labels,
      annotations: alert.annotations as Labels,
      fingerprint: alert.fingerprint as string,
      generatorURL: alert.generatorURL as string,
      startsAt: time(alert.startsAt),
      endsAt: time(alert.endsAt),
    })),
  };
}

/** Transcripts are compared per receiving path, receiver and group key, in arrival order. */
export function transcriptKey(notification: Notification): string {
  return `${notification.path} ${notification.receiver} ${notification.groupKey}`;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}

/** Differences between two transcripts, one line each; empty when they agree. */
export function compareTranscripts(reference: readonly Notification[], candidate: readonly Notification[], tolerances: Tolerances): string[] {
  const left = groupBy(reference, transcriptKey);
  const right = groupBy(candidate, transcriptKey);
  const differences: string[] = [];
  for (const key of new Set([...left.keys(), ...right.keys()])) {
    const a = left.get(key) ?? [];
    const b = right.get(key) ?? [];
    if (a.length !== b.length) differences.push(`${key}: ${a.length} notification(s) vs ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      for (const difference of compareNotifications(a[i], b[i], tolerances)) differences.push(`${key} #${i + 1}: ${difference}`);
    }
  }
  return differences;
}

function compareNotifications(a: Notification, b: Notification, tolerances: Tolerances): string[] {
  const differences: string[] = [];
  if (Math.abs(a.at - b.at) > tolerances.deliveryMs) differences.push(`delivered at ${seconds(a.at)} vs ${seconds(b.at)}`);
  const fields = ['contentType', 'version', 'status', 'receiver', 'groupKey', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'truncatedAlerts'] as const;
  for (const field of fields) {
    if (!isDeepStrictEqual(a[field], b[field])) differences.push(`${field}: ${JSON.stringify(a[field])} vs ${JSON.stringify(b[field])}`);
  }
  if (a.alerts.length !== b.alerts.length) differences.push(`${a.alerts.length} alert(s) vs ${b.alerts.length}`);
  a.alerts.forEach((alertA, i) => {
    const alertB = b.alerts[i];
    if (alertB === undefined) return;
    for (const field of ['status', 'labels', 'annotations', 'fingerprint', 'generatorURL'] as const) {
      if (!isDeepStrictEqual(alertA[field], alertB[field])) differences.push(`alerts[${i}].${field}: ${JSON.stringify(alertA[field])} vs ${JSON.stringify(alertB[field])}`);
    }
    for (const field of ['startsAt', 'endsAt'] as const) {
      if (!sameTime(alertA[field], alertB[field], tolerances.inventedTimeMs)) differences.push(`alerts[${i}].${field}: ${formatTime(alertA[field])} vs ${formatTime(alertB[field])}`);
    }
  });
  return differences;
}

function sameTime(a: Time, b: Time, toleranceMs: number): boolean {
  if (a === null || b === null || typeof a === 'number' || typeof b === 'number') return a === b;
  return Math.abs(a.approx - b.approx) <= toleranceMs;
}

export function seconds(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`;
}

function formatTime(time: Time): string {
  if (time === null) return 'zero';
  return typeof time === 'number' ? seconds(time) : `≈${seconds(time.approx)}`;
}

/** A readable dump of a transcript: one line per notification, one per alert. */
export function formatTranscript(notifications: readonly Notification[]): string {
  if (notifications.length === 0) return '  (no notifications)';
  return [...notifications]
    .sort((a, b) => a.at - b.at)
    .map((n) =>
      [
        `  ${seconds(n.at)} ${n.path} receiver=${JSON.stringify(n.receiver)} groupKey=${JSON.stringify(n.groupKey)} status=${n.status} truncated=${n.truncatedAlerts}`,
        `      groupLabels=${JSON.stringify(n.groupLabels)} commonLabels=${JSON.stringify(n.commonLabels)} commonAnnotations=${JSON.stringify(n.commonAnnotations)}`,
        `      version=${n.version} externalURL=${n.externalURL} content-type=${n.contentType}`,
        ...n.alerts.map(
          (a) =>
            `      - ${a.status} ${a.fingerprint} startsAt=${formatTime(a.startsAt)} endsAt=${formatTime(a.endsAt)} labels=${JSON.stringify(a.labels)} annotations=${JSON.stringify(a.annotations)} generatorURL=${JSON.stringify(a.generatorURL)}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}
