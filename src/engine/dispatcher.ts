import type { Alert } from '../core/alert.ts';
import type { GroupHeader, GroupIncarnation } from '../core/group.ts';
import { groupId, groupKey, groupLabels } from '../core/group-key.ts';
import { newIncarnation, wakeForChange } from '../core/group-timing.ts';
import {
  admit,
  countByLimit,
  hasLimits,
  LIMIT_NAMES,
  type Candidate,
  type Limits,
  type Refusal,
  type Usage,
  type Verdict,
} from '../core/limits.ts';
import { labelValue, type LabelSet } from '../core/label-set.ts';
import { DEFAULT_ALERT_GC_INTERVAL_MS, mergeAlerts, mergeBase } from '../core/merge-alerts.ts';
import { matchRoutes, type Route } from '../core/route.ts';
import type { AlertSlot, AlertWrite, ReadOptions, SlotState, Store, StoreUsage } from '../store/store.ts';
import { SlotCache } from './slot-cache.ts';
import type { IngestMetrics, LimitMetrics } from '../telemetry/metrics.ts';
import type { Runtime } from './runtime.ts';

export interface IngestResult {
  /** Alerts a limit kept out of a group, one per alert and group; everything else was stored. */
  readonly refused: readonly Refusal[];
}

/** Takes normalized alerts from the API and files them into their groups. */
export interface AlertIngest {
  /** Resolves to what the limits refused; an ingest that cannot refuse may resolve to nothing. */
  ingest(alerts: readonly Alert[], now: number): Promise<IngestResult | void>;
}

export interface LimitOptions {
  readonly limits: Limits;
  /**
   * How long one read of the store's usage serves the limits on groups per route and on all
   * alerts. 0 reads it for every batch: right for the memory store, whose counts are exact and
   * cheap. The Redis store sums its 64 shards, so a second (1000) suits it; those two limits
   * are then soft by what the other replicas add within that second (this replica's own
   * additions are always counted, see UsageLedger).
   */
  readonly usageMaxAgeMs: number;
  readonly metrics: LimitMetrics;
}

export class IngestConflictError extends Error {
  readonly code = 'GROUPER_INGEST_CONFLICT';
  constructor(slots: number) {
    super(`${slots} alert writes kept conflicting with concurrent updates; retry the request`);
  }
}

/** Every update of one alert in one group within a batch, applied in arrival order. */
interface SlotUpdate {
  readonly header: GroupHeader;
  readonly route: Route;
  readonly incoming: Alert[];
  /** Re-filed from a group the config no longer routes it to: yields to a newer stored copy. */
  readonly rehoming: boolean;
  /** All the alert's places, when worked out for this batch rather than found in the cache. */
  readonly placed?: readonly Place[];
}

/** What one admitted write adds to the store's usage: always an alert, maybe a group. */
interface Addition {
  readonly routeId: string;
  readonly createsGroup: boolean;
}

const MAX_ATTEMPTS = 8;
const PLACE_CACHE_SIZE = 100_000;

/** One group an alert is filed into. */
interface Place {
  readonly route: Route;
  readonly header: GroupHeader;
}

export class Dispatcher implements AlertIngest {
  readonly #store: Store;
  readonly #runtime: () => Runtime;
  readonly #onWake: (at: number) => void;
  readonly #metrics: IngestMetrics;
  readonly #gcIntervalMs: number;
  /** Undefined when every limit is 0: the ingest path then costs what it did without limits. */
  readonly #limits: LimitOptions | undefined;
  readonly #retryReadOptions: ReadOptions | undefined;
  /** Only for the limits that need the store's totals. */
  readonly #ledger: UsageLedger | undefined;
  /** Set for a remote store, whose reads cost a round trip and the store's time. */
  readonly #cache: SlotCache | undefined;
  /** By route tree: a reload brings a new tree, and the old one's entries go with it. */
  readonly #places = new WeakMap<Route, Map<string, readonly Place[]>>();
  /** Group headers by route and the values of its group_by labels (#header). */
  readonly #headers = new WeakMap<Route, Map<string, GroupHeader>>();

  constructor(deps: {
    store: Store;
    runtime: () => Runtime;
    onWake: (at: number) => void;
    metrics: IngestMetrics;
    /** Absent: no limits, as in Alertmanager. */
    limits?: LimitOptions;
    /** How many alert slots to remember this replica's writes of (SlotCache); 0 or absent: none. */
    cachedSlots?: number;
    /** `--alerts.gc-interval`: how long a retired alert is merged with (mergeBase). */
    gcIntervalMs?: number;
  }) {
    this.#store = deps.store;
    this.#runtime = deps.runtime;
    this.#onWake = deps.onWake;
    this.#metrics = deps.metrics;
    this.#gcIntervalMs = deps.gcIntervalMs ?? DEFAULT_ALERT_GC_INTERVAL_MS;
    const limits = deps.limits && hasLimits(deps.limits.limits) ? deps.limits : undefined;
    this.#limits = limits;
    this.#retryReadOptions = limits && limits.limits.alertsPerGroup > 0 ? { groupSizes: true } : undefined;
    if (limits && (limits.limits.groupsPerRoute > 0 || limits.limits.alerts > 0)) {
      this.#ledger = new UsageLedger(deps.store, limits.usageMaxAgeMs);
    }
    // A guessed empty slot would meet the limits as a new alert: with limits, only what was read.
    const cachedSlots = deps.cachedSlots ?? 0;
    this.#cache = cachedSlots > 0 ? new SlotCache({ capacity: cachedSlots, guessEmpty: limits === undefined }) : undefined;
  }

  async ingest(alerts: readonly Alert[], now: number): Promise<IngestResult> {
    return this.#file(alerts, now, false);
  }

  /**
   * Files alerts again that a config change put in other groups. A stored copy at least as
   * recent wins: the stray is an old copy, and the alert may have been updated (even resolved)
   * through the new route since.
   */
  async rehome(alerts: readonly Alert[], now: number): Promise<IngestResult> {
    return this.#file(alerts, now, true);
  }

  async #file(alerts: readonly Alert[], now: number, rehoming: boolean): Promise<IngestResult> {
    const started = performance.now();
    const runtime = this.#runtime();
    const refused: Refusal[] = [];
    let pending = this.#slotUpdates(runtime.root, alerts, rehoming);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      pending = await this.#apply(runtime, pending, now, refused, attempt > 0);
    }
    if (refused.length > 0) this.#countRefused(refused);
    if (pending.length > 0) throw new IngestConflictError(pending.length);
    this.#metrics.ingested(alerts.length, (performance.now() - started) / 1000);
    return { refused };
  }

  /**
   * Placements remembered under the route tree `root`, by fingerprint. Re-posts repeat the same
   * label sets, and matching, group labels, the key and its hash are most of what filing an
   * alert costs. Only alerts already stored are remembered (#rememberPlaces): a storm of new
   * alerts would otherwise fill the cache with entries most of which are never looked up again,
   * at a cost (young objects kept by an old map) that showed as a fifth of the ingest time.
   */
  #placeCache(root: Route): Map<string, readonly Place[]> {
    let byFingerprint = this.#places.get(root);
    if (byFingerprint === undefined) this.#places.set(root, (byFingerprint = new Map()));
    return byFingerprint;
  }

  #place(root: Route, alert: Alert): readonly Place[] {
    return matchRoutes(root, alert.labels).map((route) => ({ route, header: this.#header(route, alert.labels) }));
  }

  /**
   * The header of the group the labels fall in under `route`. New alerts of a group share it:
   * remembered by the values of the group_by labels, it spares them building the group's labels
   * and key and hashing the key. With `group_by: ['...']` each label set is a group of its own,
   * and its re-posts are in the placement cache.
   */
  #header(route: Route, alertLabels: LabelSet): GroupHeader {
    if (route.groupByAll) return newHeader(route, alertLabels);
    let byValues = this.#headers.get(route);
    if (byValues === undefined) this.#headers.set(route, (byValues = new Map()));
    // Each value as its length and itself, an absent one as \x01: distinct values, distinct strings.
    let values = '';
    for (const name of route.groupBy) {
      const value = labelValue(alertLabels, name);
      values += value === undefined ? '\x01' : `${value.length}:${value}`;
    }
    let header = byValues.get(values);
    if (header === undefined) {
      if (byValues.size >= PLACE_CACHE_SIZE) byValues.clear();
      header = newHeader(route, alertLabels);
      byValues.set(values, header);
    }
    return header;
  }

  #rememberPlaces(root: Route, updates: readonly SlotUpdate[], states: readonly SlotState[]): void {
    let byFingerprint: Map<string, readonly Place[]> | undefined;
    updates.forEach(({ placed, incoming }, i) => {
      if (placed === undefined || states[i].alert === undefined) return;
      byFingerprint ??= this.#placeCache(root);
      if (byFingerprint.size >= PLACE_CACHE_SIZE) byFingerprint.clear();
      byFingerprint.set(incoming[0].fingerprint, placed);
    });
  }

  #slotUpdates(root: Route, alerts: readonly Alert[], rehoming: boolean): SlotUpdate[] {
    const bySlot = new Map<string, SlotUpdate>();
    const cached = this.#places.get(root);
    for (const alert of alerts) {
      const known = cached?.get(alert.fingerprint);
      const places = known ?? this.#place(root, alert);
      const placed = known === undefined ? places : undefined;
      for (const { route, header } of places) {
        const slot = `${header.id}/${alert.fingerprint}`;
        const update = bySlot.get(slot);
        if (update) update.incoming.push(alert);
        else bySlot.set(slot, { header, route, incoming: [alert], rehoming, placed });
      }
    }
    return [...bySlot.values()];
  }

  /**
   * One read and one compare-and-set write for the batch; returns the updates that lost a race.
   * The limits admit the new alerts first: a refused one is recorded and not written. Group
   * sizes are read only on a retry: the store refuses an alert for a full group as it writes,
   * so reading them for every batch would cost every batch what only a full group needs.
   */
  async #apply(
    runtime: Runtime,
    updates: readonly SlotUpdate[],
    now: number,
    refused: Refusal[],
    retry: boolean,
  ): Promise<SlotUpdate[]> {
    const slots = updates.map((u) => ({ groupId: u.header.id, fingerprint: u.incoming[0].fingerprint }));
    const states = await this.#read(slots, retry, updates[0].rehoming);
    this.#rememberPlaces(runtime.root, updates, states);
    // Only new alerts meet the limits: the alerts a group holds always update.
    const adding = this.#limits ? emptySlots(states) : [];
    if (adding.length > 0 && this.#ledger) await this.#ledger.refresh(runtime.routes);
    // From here to the reservation in #write nothing awaits, so no other batch comes between.
    const verdicts = this.#limits && adding.length > 0 ? this.#admit(this.#limits.limits, updates, states, adding) : undefined;
    const maxGroupAlerts = this.#limits?.limits.alertsPerGroup || undefined;
    const writing: SlotUpdate[] = [];
    const writes: AlertWrite[] = [];
    const incarnations: GroupIncarnation[] = [];
    const additions: (Addition | undefined)[] = [];
    let earliestWake = Infinity;
    // Later alerts of a batch for a group the batch creates expect that new incarnation, so the
    // whole batch lands in one round trip (a retry could let the group flush half of it).
    const creating = new Map<string, GroupIncarnation>();
    updates.forEach((update, i) => {
      const verdict = verdicts?.[i];
      if (verdict?.admitted === false) {
        const alert = update.incoming[update.incoming.length - 1];
        refused.push({ alert, group: update.header, limit: verdict.limit, count: verdict.count });
        return;
      }
      const stored = states[i].alert;
      const base = mergeBase(stored, states[i].retired, now, this.#gcIntervalMs);
      const group = states[i].group ?? creating.get(update.header.id);
      if (update.rehoming && base !== undefined && base.updatedAt >= update.incoming[update.incoming.length - 1].updatedAt) {
        return;
      }
      let merged = base;
      for (const incoming of update.incoming) merged = mergeAlerts(merged, incoming, now);
      const alert = merged as Alert;
      const create = group ? undefined : newIncarnation(update.route, alert, now);
      if (create) creating.set(update.header.id, create);
      const wakeAt = group
        ? wakeForChange(stored, alert, now, group, update.route.groupInterval)
        : undefined;
      earliestWake = Math.min(earliestWake, create?.origin ?? Infinity, wakeAt ?? Infinity);
      writing.push(update);
      incarnations.push((create ?? group) as GroupIncarnation);
      writes.push({
        group: update.header,
        alert,
        expected: { alertUpdatedAt: stored?.updatedAt, groupCreatedAt: group?.createdAt, retiredUpdatedAt: states[i].retired?.updatedAt },
        create,
        wakeAt,
        maxGroupAlerts,
      });
      if (this.#ledger) {
        additions.push(verdict === undefined ? undefined : { routeId: update.header.routeId, createsGroup: verdict.createsGroup });
      }
    });
    if (writes.length === 0) return [];
    if (retry) this.#metrics.ingestConflicts(writes.length);
    const applied = await this.#write(writes, additions);
    if (this.#cache) this.#remember(this.#cache, writes, incarnations, applied);
    if (earliestWake !== Infinity) this.#onWake(earliestWake);
    return writing.filter((_, i) => !applied[i]);
  }

  /**
   * The slots' states: from the cache where it knows them, else from the store. A retry reads
   * the store, as does re-filing, which must not skip a write on a copy that may have gone.
   */
  async #read(slots: readonly AlertSlot[], retry: boolean, rehoming: boolean): Promise<SlotState[]> {
    const cache = this.#cache;
    if (cache === undefined || retry || rehoming) return this.#store.readSlots(slots, retry ? this.#retryReadOptions : undefined);
    const states = new Array<SlotState>(slots.length);
    const unknown: number[] = [];
    slots.forEach((slot, i) => {
      const known = cache.get(slot);
      if (known === undefined) unknown.push(i);
      else states[i] = known;
    });
    if (unknown.length > 0) {
      const read = await this.#store.readSlots(unknown.map((i) => slots[i]));
      unknown.forEach((i, k) => (states[i] = read[k]));
    }
    return states;
  }

  #remember(cache: SlotCache, writes: readonly AlertWrite[], incarnations: readonly GroupIncarnation[], applied: readonly boolean[]): void {
    writes.forEach((write, i) => {
      const slot = { groupId: write.group.id, fingerprint: write.alert.fingerprint };
      if (applied[i]) cache.set(slot, incarnations[i], write.alert);
      else cache.refused(slot);
    });
  }

  /** The limits' verdicts, by update, on those that add an alert (`adding`, by index). */
  #admit(
    limits: Limits,
    updates: readonly SlotUpdate[],
    states: readonly SlotState[],
    adding: readonly number[],
  ): (Verdict | undefined)[] {
    const candidates = adding.map((i): Candidate => {
      const { group, groupSize } = states[i];
      return { groupId: updates[i].header.id, routeId: updates[i].header.routeId, newGroup: group === undefined, groupSize };
    });
    const verdicts = admit(limits, this.#ledger?.view() ?? NOTHING_STORED, candidates);
    const byUpdate = new Array<Verdict | undefined>(updates.length);
    adding.forEach((i, k) => (byUpdate[i] = verdicts[k]));
    return byUpdate;
  }

  /** Writes with the additions reserved in the ledger meanwhile, so concurrent batches count them. */
  async #write(writes: readonly AlertWrite[], additions: readonly (Addition | undefined)[]): Promise<boolean[]> {
    const ledger = this.#ledger;
    if (ledger === undefined) return this.#store.writeAlerts(writes);
    const reserved = ledger.reserve(additions);
    let applied: boolean[] = [];
    try {
      applied = await this.#store.writeAlerts(writes);
      return applied;
    } finally {
      ledger.settle(reserved, additions, applied);
    }
  }

  #countRefused(refused: readonly Refusal[]): void {
    const counts = countByLimit(refused);
    for (const limit of LIMIT_NAMES) {
      const count = counts[limit];
      if (count !== undefined) this.#limits?.metrics.alertsRefused(limit, count);
    }
  }
}

const NOTHING_STORED: Usage = { alerts: 0, groups: () => 0 };

function newHeader(route: Route, alertLabels: LabelSet): GroupHeader {
  const labels = groupLabels(route, alertLabels);
  const key = groupKey(route, labels);
  return { id: groupId(route.receiver, key), key, routeId: route.id, receiver: route.receiver, labels };
}

/** The indexes of the slots that hold no alert yet. */
function emptySlots(states: readonly SlotState[]): number[] {
  const empty: number[] = [];
  for (let i = 0; i < states.length; i++) if (states[i].alert === undefined) empty.push(i);
  return empty;
}

/** Alert copies and groups by route that this replica added to the store. */
class Tally {
  alerts = 0;
  readonly groups = new Map<string, number>();

  add({ routeId, createsGroup }: Addition, sign: 1 | -1): void {
    this.alerts += sign;
    if (!createsGroup) return;
    const groups = (this.groups.get(routeId) ?? 0) + sign;
    if (groups === 0) this.groups.delete(routeId);
    else this.groups.set(routeId, groups);
  }
}

interface UsageRead {
  readonly routes: ReadonlyMap<string, Route>;
  /** performance.now() when it was sent. */
  readonly sentAt: number;
  /** 1 for the first read sent, and so on. */
  readonly seq: number;
}

/**
 * The store's usage as this replica knows it: the latest read plus this replica's additions
 * that the read lacks, so that this replica's batches never overshoot a limit together. A read
 * counts every write sent before it (Store.usage), so an addition is kept, by the number of
 * reads sent before its write, until a later read arrives; one refused by the store is taken
 * back. Other replicas' additions, and room freed by commits, show up with the next read.
 */
class UsageLedger {
  readonly #store: Store;
  readonly #maxAgeMs: number;
  #read: (UsageRead & { readonly usage: StoreUsage }) | undefined;
  #reading: (UsageRead & { readonly done: Promise<void> }) | undefined;
  #sent = 0;
  readonly #added = new Map<number, Tally>();

  constructor(store: Store, maxAgeMs: number) {
    this.#store = store;
    this.#maxAgeMs = maxAgeMs;
  }

  /** Reads the store's usage unless a read of these routes sent within the max age is at hand. */
  async refresh(routes: ReadonlyMap<string, Route>): Promise<void> {
    const since = performance.now() - this.#maxAgeMs;
    const fresh = (read: UsageRead | undefined) => read !== undefined && read.routes === routes && read.sentAt >= since;
    while (!fresh(this.#read)) {
      const reading = this.#reading;
      await (reading !== undefined && fresh(reading) ? reading.done : this.#send(routes));
    }
  }

  /** The latest read plus the additions it lacks; call after refresh. */
  view(): Usage {
    const usage = this.#read?.usage ?? { alerts: 0, groupsByRoute: new Map() };
    const tallies = [...this.#added.values()];
    let alerts = usage.alerts;
    for (const tally of tallies) alerts += tally.alerts;
    return {
      alerts,
      groups: (routeId) => {
        let groups = usage.groupsByRoute.get(routeId) ?? 0;
        for (const tally of tallies) groups += tally.groups.get(routeId) ?? 0;
        return groups;
      },
    };
  }

  /** Call right before sending the writes; pass what it returns to settle. */
  reserve(additions: readonly (Addition | undefined)[]): number {
    let tally = this.#added.get(this.#sent);
    if (tally === undefined) this.#added.set(this.#sent, (tally = new Tally()));
    for (const addition of additions) if (addition) tally.add(addition, 1);
    return this.#sent;
  }

  settle(reserved: number, additions: readonly (Addition | undefined)[], applied: readonly boolean[]): void {
    const tally = this.#added.get(reserved);
    if (tally === undefined) return;
    additions.forEach((addition, i) => {
      if (addition && !applied[i]) tally.add(addition, -1);
    });
  }

  #send(routes: ReadonlyMap<string, Route>): Promise<void> {
    const read = { routes, sentAt: performance.now(), seq: ++this.#sent };
    const done = this.#store.usage([...routes.keys()]).then(
      (usage) => {
        if (this.#reading?.seq === read.seq) this.#reading = undefined;
        if (this.#read !== undefined && this.#read.seq > read.seq) return;
        this.#read = { ...read, usage };
        for (const sentBefore of this.#added.keys()) if (sentBefore < read.seq) this.#added.delete(sentBefore);
      },
      (err: unknown) => {
        if (this.#reading?.seq === read.seq) this.#reading = undefined;
        throw err;
      },
    );
    this.#reading = { ...read, done };
    return done;
  }
}
