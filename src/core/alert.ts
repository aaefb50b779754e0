import type { LabelSet } from './label-set.ts';

/**
 * An alert after normalization. Times are epoch milliseconds; Alertmanager keeps nanoseconds
 * and the sender's UTC offset, Grouper keeps milliseconds and renders UTC.
 */
export interface Alert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: number;
  /** Always set after normalization: the sender's endsAt, or now + resolve_timeout. */
  readonly endsAt: number;
  readonly generatorURL: string;
  readonly updatedAt: number;
  /** endsAt was invented from resolve_timeout rather than sent by the client. */
  readonly timeout: boolean;
}

export function isResolved(alert: Alert, at: number): boolean {
  return alert.endsAt <= at;
}
