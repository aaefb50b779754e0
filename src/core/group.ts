import type { Alert } from './alert.ts';
import type { LabelSet } from './label-set.ts';

/** What identifies an aggregation group and never changes while it lives. */
export interface GroupHeader {
  /** Hex hash of the key: the group's id in URLs and store keys. */
  readonly id: string;
  /** Alertmanager's group key: route key + `:` + group labels. */
  readonly key: string;
  readonly routeId: string;
  readonly receiver: string;
  readonly labels: LabelSet;
}

/** One life of a group: a group emptied and deleted comes back with new values. */
export interface GroupIncarnation {
  readonly createdAt: number;
  /** The first flush tick; every later tick is origin + k × group_interval. */
  readonly origin: number;
}

/** What the last successful notification of one integration contained, by fingerprint. */
export interface NotifyLogEntry {
  readonly firing: readonly string[];
  readonly resolved: readonly string[];
  /** The tick at which it was decided. */
  readonly tick: number;
}

export interface GroupState extends GroupHeader, GroupIncarnation {
  /** The last tick that was flushed (sent or not); 0 before the first. */
  readonly lastTick: number;
  readonly alerts: readonly Alert[];
  /** By integration key `<receiver>/webhook/<index>`, as Alertmanager keys its nflog. */
  readonly log: Readonly<Record<string, NotifyLogEntry>>;
}

/** What a flush leaves behind, to be committed by the store. */
export interface FlushOutcome {
  readonly tick: number;
  /** Log entries to set (integrations that notified successfully). */
  readonly log: Readonly<Record<string, NotifyLogEntry>>;
  /** Sent resolved alerts to delete, each only if still at this updatedAt. */
  readonly removeResolved: readonly { readonly fingerprint: string; readonly updatedAt: number }[];
  /** The next tick at which the group's notification could differ. */
  readonly nextDue: number;
}
