import { benchAlert, type PostableAlert } from './workload.ts';

/** The soak's alerts and alertmanager.yml. */

const SET = 'Soak';
/** Prometheus sends endsAt = now + 4 × the evaluation interval. */
const ENDS_IN_PERIODS = 4;
/** Share of the active alerts resolved and replaced by new ones every period. */
export const CHURN = 0.01;
/** Timers as multiples of the re-post period: 30s, 1m and 5m at Prometheus's default 1m. */
export function soakTimings(periodMs: number): { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number } {
  return { groupWaitMs: periodMs / 2, groupIntervalMs: periodMs, repeatIntervalMs: 5 * periodMs };
}

export function soakConfig(webhookUrl: string, periodMs: number): string {
  const timings = soakTimings(periodMs);
  return `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: ${timings.groupWaitMs}ms
  group_interval: ${timings.groupIntervalMs}ms
  repeat_interval: ${timings.repeatIntervalMs}ms
receivers:
  - name: sink
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
`;
}

export interface SoakRound {
  /** Request bodies, `batch` alerts each. */
  readonly bodies: Buffer[];
  readonly alerts: number;
  /** Alerts resolved in this round (each replaced by a new firing alert in the same group), by resolvedAlertId. */
  readonly resolved: readonly string[];
  /** Alerts of earlier rounds sent resolved again. */
  readonly resent: number;
}

/** Identifies an alert of the soak among the alerts of a notification. */
export function resolvedAlertId(labels: Readonly<Record<string, string>>): string {
  return `${labels.group}/${labels.instance}`;
}

/** One alert of a slot: a resolved one is re-sent with the same labels, startsAt and endsAt. */
interface SlotAlert {
  readonly slot: number;
  readonly generation: number;
  readonly startsAt: number;
  readonly endsAt: string;
}

/**
 * `alerts` slots spread over `groups` groups as benchAlert spreads them. Each slot holds one
 * active alert; when the slot churns, its alert is posted resolved and the slot's next
 * generation (a new `instance` label, same group) starts firing, so the active count and every
 * group's size stay constant and no group is ever emptied.
 */
export class SoakWorkload {
  readonly #alerts: number;
  readonly #groups: number;
  readonly #churn: number;
  readonly #generation: Uint32Array;
  /** When each slot's current alert was first posted: Prometheus keeps startsAt across re-posts. */
  readonly #startsAt: Float64Array;
  readonly #resendPeriods: number;
  /** The resolved alerts of the last #resendPeriods rounds, oldest round first. */
  readonly #resending: SlotAlert[][] = [];
  #rounds = 0;
  #nextChurn = 0;

  constructor(alerts: number, groups: number, resendPeriods: number) {
    this.#alerts = alerts;
    this.#resendPeriods = resendPeriods;
    this.#groups = groups;
    this.#churn = Math.max(1, Math.round(alerts * CHURN));
    this.#generation = new Uint32Array(alerts);
    this.#startsAt = new Float64Array(alerts);
  }

  /**
   * One period's bodies: every active alert with endsAt = now + 4 periods; from the second round
   * on, the next CHURN share of the slots (round-robin: consecutive slots are consecutive groups)
   * resolved (endsAt = now) and replaced; and the alerts resolved in the previous resendPeriods
   * rounds, resolved again. Batches alternate between the replicas, as a load balancer spreads
   * requests, and every round starts the active alerts at another slot, so each alert reaches
   * both replicas over the rounds.
   */
  round(now: number, periodMs: number, batch: number): SoakRound {
    const first = this.#rounds++ === 0;
    const churning = first ? 0 : this.#churn;
    const churnStart = this.#nextChurn;
    this.#nextChurn = (churnStart + churning) % this.#alerts;
    const isChurning = (slot: number): boolean => (slot - churnStart + this.#alerts) % this.#alerts < churning;
    const endsAt = new Date(now + ENDS_IN_PERIODS * periodMs).toISOString();
    const nowText = new Date(now).toISOString();

    const bodies: Buffer[] = [];
    let pending: PostableAlert[] = [];
    const add = (alert: PostableAlert): void => {
      pending.push(alert);
      if (pending.length === batch) {
        bodies.push(Buffer.from(JSON.stringify(pending)));
        pending = [];
      }
    };
    const resent = this.#resending.flat();
    const resolved: SlotAlert[] = [];
    for (let slot = 0; slot < this.#alerts; slot++) {
      if (first) this.#startsAt[slot] = now;
      if (isChurning(slot)) {
        resolved.push({ slot, generation: this.#generation[slot], startsAt: this.#startsAt[slot], endsAt: nowText });
        this.#generation[slot]++;
        this.#startsAt[slot] = now;
      }
    }
    for (const alert of resolved) add(this.#alert(alert));
    // Half a batch further each round: about half of the alerts change batch, and so replica.
    const offset = (this.#rounds * Math.floor(batch / 2)) % this.#alerts;
    for (let i = 0; i < this.#alerts; i++) {
      const slot = (offset + i) % this.#alerts;
      add(this.#alert({ slot, generation: this.#generation[slot], startsAt: this.#startsAt[slot], endsAt }));
    }
    for (const alert of resent) add(this.#alert(alert));
    if (pending.length > 0) bodies.push(Buffer.from(JSON.stringify(pending)));

    this.#resending.push(resolved);
    if (this.#resending.length > this.#resendPeriods) this.#resending.shift();
    return {
      bodies,
      alerts: resolved.length + this.#alerts + resent.length,
      resolved: resolved.map((alert) => resolvedAlertId(this.#alert(alert).labels)),
      resent: resent.length,
    };
  }

  #alert({ slot, generation, startsAt, endsAt }: SlotAlert): PostableAlert {
    const shape = benchAlert(SET, slot, this.#groups, startsAt);
    return {
      ...shape,
      labels: { ...shape.labels, instance: `${shape.labels.instance}-g${generation}` },
      startsAt: new Date(startsAt).toISOString(),
      endsAt,
    };
  }
}
