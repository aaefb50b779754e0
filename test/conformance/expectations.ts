import { isDeepStrictEqual } from 'node:util';
import { groupBy, seconds, type Notification } from './transcript.ts';

/** A notification a scenario expects, with its alerts named by their `id` label (else `alertname`). */
export interface ExpectedNotification {
  /** ms after t0. */
  readonly at: number;
  readonly path: string;
  readonly groupKey: string;
  readonly firing?: readonly string[];
  readonly resolved?: readonly string[];
}

/** What a POST /api/v2/alerts answered; `body` is the parsed JSON, or the text when not JSON. */
export interface PostResponse {
  readonly status: number;
  readonly body: unknown;
}

export const ACCEPTED: PostResponse = { status: 200, body: '' };

/** What one system is expected to do in a scenario. */
export interface Behaviour {
  readonly notifications: readonly ExpectedNotification[];
  /** One per step; steps without an entry expect ACCEPTED. */
  readonly responses?: readonly (PostResponse | undefined)[];
}

export function alertName(labels: Readonly<Record<string, string>>): string {
  return labels.id ?? labels.alertname ?? JSON.stringify(labels);
}

/** Where a system's notifications and POST answers depart from the expected behaviour, one line each. */
export function checkBehaviour(
  notifications: readonly Notification[],
  responses: readonly PostResponse[],
  behaviour: Behaviour,
  deliveryToleranceMs: number,
): string[] {
  const failures: string[] = [];
  const keyOf = (n: { path: string; groupKey: string }): string => `${n.path} ${n.groupKey}`;
  const actual = groupBy(notifications, keyOf);
  const expected = groupBy(behaviour.notifications, keyOf);
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(key) ?? [];
    const got = actual.get(key) ?? [];
    if (want.length !== got.length) {
      failures.push(`${key}: expected ${want.length} notification(s) at [${want.map((w) => seconds(w.at)).join(', ')}], got ${got.length} at [${got.map((g) => seconds(g.at)).join(', ')}]`);
      continue;
    }
    want.forEach((w, i) => {
      const g = got[i];
      const firing = g.alerts.filter((a) => a.status === 'firing').map((a) => alertName(a.labels));
      const resolved = g.alerts.filter((a) => a.status === 'resolved').map((a) => alertName(a.labels));
      if (Math.abs(g.at - w.at) > deliveryToleranceMs) failures.push(`${key} #${i + 1}: expected at ${seconds(w.at)}, arrived at ${seconds(g.at)}`);
      if (!sameNames(firing, w.firing) || !sameNames(resolved, w.resolved)) {
        failures.push(`${key} #${i + 1}: expected firing [${w.firing ?? []}] resolved [${w.resolved ?? []}], got firing [${firing}] resolved [${resolved}]`);
      }
    });
  }
  responses.forEach((response, i) => {
    const want = behaviour.responses?.[i] ?? ACCEPTED;
    if (!isDeepStrictEqual(response, want)) failures.push(`POST of step ${i + 1}: expected ${JSON.stringify(want)}, got ${JSON.stringify(response)}`);
  });
  return failures;
}

function sameNames(actual: readonly string[], expected: readonly string[] = []): boolean {
  return isDeepStrictEqual([...actual].sort(), [...expected].sort());
}
