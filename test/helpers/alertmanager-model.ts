import type { Alert } from '../../src/core/alert.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { mergeAlerts } from '../../src/core/merge-alerts.ts';

/*
 * A deliberately naive simulation of current Alertmanager (spec §1.4, §4, §5) for one route and
 * one receiver with N webhook integrations: every group wakes at every tick and flushes. It is the
 * oracle for Grouper's engine, which must notify identically while waking only when needed.
 *
 * Where Alertmanager is racy or Grouper deliberately differs, the model takes Grouper's reading
 * (design.md): a flush is instantaneous at its tick, resolved-ness is judged at the tick, and the
 * notification log stores the tick, so a repeat falls on the first tick at or after
 * last + repeat_interval. Runs are meant to end before Alertmanager's first maintenance (15 min)
 * and alert GC (30 min), so neither nflog expiry nor the GC of resolved alerts is simulated.
 *
 * What it shares with Grouper: mergeAlerts (§1.4, checked on its own in core-properties) for the
 * provider's store. Dedup, grouping, ordering and the timers are written here again.
 */

export interface ModelConfig {
  /** Group-by label names, or 'all' for `group_by: ['...']`. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  /** One webhook integration per entry: its send_resolved. */
  readonly sendResolved: readonly boolean[];
}

/** An alert as a webhook shows it. */
export interface NotifiedAlert {
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly startsAt: number;
  /** Only for resolved alerts: a webhook shows Go's zero time for firing ones. */
  readonly endsAt?: number;
}

/** One request to one integration (made whether or not it was delivered). */
export interface Notification {
  readonly at: number;
  /** The group's labels in canonical form (see groupName). */
  readonly group: string;
  readonly integration: number;
  readonly reason: string;
  readonly alerts: readonly NotifiedAlert[];
  readonly delivered: boolean;
}

/** Decides whether a request succeeds: the same schedule is given to the model and to Grouper. */
export type Delivery = (request: { readonly at: number; readonly group: string; readonly integration: number }) => boolean;

interface LogEntry {
  readonly firing: ReadonlySet<string>;
  readonly resolved: ReadonlySet<string>;
  readonly tick: number;
}

interface AggregationGroup {
  readonly name: string;
  readonly alerts: Map<string, Alert>;
  timer: number;
}

/** A label set in a canonical text form, to name a group independently of Grouper's group key. */
export function groupName(labels: LabelSet): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => byteOrder(a, b)));
}

export function notifiedAlert(alert: Alert, at: number): NotifiedAlert {
  return alert.endsAt <= at
    ? { fingerprint: alert.fingerprint, status: 'resolved', startsAt: alert.startsAt, endsAt: alert.endsAt }
    : { fingerprint: alert.fingerprint, status: 'firing', startsAt: alert.startsAt };
}

export class AlertmanagerModel {
  readonly notifications: Notification[] = [];
  readonly #config: ModelConfig;
  readonly #deliver: Delivery;
  /** provider/mem: every alert by fingerprint, resolved ones included. */
  readonly #provider = new Map<string, Alert>();
  readonly #groups = new Map<string, AggregationGroup>();
  /** By `<group>/<integration>`; it outlives the groups, as Alertmanager's nflog does. */
  readonly #nflog = new Map<string, LogEntry>();

  constructor(config: ModelConfig, deliver: Delivery) {
    this.#config = config;
    this.#deliver = deliver;
  }

  /** A POST of one normalized alert at `now`. */
  post(alert: Alert, now: number): void {
    const merged = mergeAlerts(this.#provider.get(alert.fingerprint), alert, now);
    this.#provider.set(alert.fingerprint, merged);
    const name = groupName(this.#groupLabels(merged.labels));
    const group = this.#groups.get(name);
    if (group !== undefined) {
      group.alerts.set(merged.fingerprint, merged);
      return;
    }
    const old = merged.startsAt + this.#config.groupWait < now;
    const timer = old ? now : now + this.#config.groupWait;
    this.#groups.set(name, { name, alerts: new Map([[merged.fingerprint, merged]]), timer });
  }

  /** When the next group timer fires, if any group lives. */
  nextTimer(): number | undefined {
    let next: number | undefined;
    for (const group of this.#groups.values()) if (next === undefined || group.timer < next) next = group.timer;
    return next;
  }

  /** Fires every group timer due at or before `now`, each flushing at its own tick. */
  fireTimers(now: number): void {
    for (const group of [...this.#groups.values()]) {
      if (group.timer > now) continue;
      const tick = group.timer;
      group.timer = tick + this.#config.groupInterval;
      this.#flush(group, tick);
    }
  }

  #groupLabels(labels: LabelSet): LabelSet {
    const { groupBy } = this.#config;
    if (groupBy === 'all') return labels;
    return Object.fromEntries(groupBy.filter((name) => Object.hasOwn(labels, name)).map((name) => [name, labels[name]]));
  }

  #flush(group: AggregationGroup, tick: number): void {
    const alerts = [...group.alerts.values()].sort(notificationOrder);
    const firing = alerts.filter((a) => a.endsAt > tick);
    const resolved = alerts.filter((a) => a.endsAt <= tick);
    const firingIds = new Set(firing.map((a) => a.fingerprint));
    const resolvedIds = new Set(resolved.map((a) => a.fingerprint));
    let allDelivered = true;
    this.#config.sendResolved.forEach((sendResolved, integration) => {
      const logKey = `${group.name}/${integration}`;
      const reason = needsUpdate(this.#nflog.get(logKey), firingIds, resolvedIds, sendResolved, this.#config.repeatInterval, tick);
      if (reason === undefined) return;
      const sent = sendResolved ? alerts : firing;
      let delivered = true;
      if (sent.length > 0) {
        delivered = this.#deliver({ at: tick, group: group.name, integration });
        const shown = sent.map((a) => notifiedAlert(a, tick));
        this.notifications.push({ at: tick, group: group.name, integration, reason, alerts: shown, delivered });
      }
      if (delivered) this.#nflog.set(logKey, { firing: firingIds, resolved: resolvedIds, tick });
      else allDelivered = false;
    });
    if (!allDelivered) return;
    for (const alert of resolved) group.alerts.delete(alert.fingerprint);
    if (group.alerts.size === 0) this.#groups.delete(group.name);
  }
}

/** §5.2, with the log's time being the tick it was written at. */
function needsUpdate(
  entry: LogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  sendResolved: boolean,
  repeatInterval: number,
  tick: number,
): string | undefined {
  if (entry === undefined) return firing.size > 0 ? 'first notification' : undefined;
  if (![...firing].every((id) => entry.firing.has(id))) {
    return entry.firing.size === 0 ? 'first notification' : 'new alerts added';
  }
  if (firing.size === 0) return entry.firing.size > 0 ? 'all alerts resolved' : undefined;
  if (sendResolved && ![...resolved].every((id) => entry.resolved.has(id))) return 'some alerts resolved';
  if (entry.tick + repeatInterval <= tick) return 'repeat interval elapsed';
  return undefined;
}

const utf8 = new TextEncoder();

function byteOrder(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

/** §4.3 step 3: by `job` (present first), then `instance`, then label-set order. */
function notificationOrder(a: Alert, b: Alert): number {
  return byLabel(a.labels, b.labels, 'job') || byLabel(a.labels, b.labels, 'instance') || byLabelSet(a.labels, b.labels);
}

function byLabel(a: LabelSet, b: LabelSet, name: string): number {
  const hasA = Object.hasOwn(a, name);
  const hasB = Object.hasOwn(b, name);
  if (hasA !== hasB) return hasA ? -1 : 1;
  return hasA ? byteOrder(a[name], b[name]) : 0;
}

function byLabelSet(a: LabelSet, b: LabelSet): number {
  const namesA = Object.keys(a).sort(byteOrder);
  const namesB = Object.keys(b).sort(byteOrder);
  if (namesA.length !== namesB.length) return namesA.length - namesB.length;
  for (let i = 0; i < namesA.length; i++) {
    // The first name only one set has: the set lacking it goes first.
    if (namesA[i] !== namesB[i]) return byteOrder(namesA[i], namesB[i]) < 0 ? 1 : -1;
    const byValue = byteOrder(a[namesA[i]], b[namesB[i]]);
    if (byValue !== 0) return byValue;
  }
  return 0;
}
