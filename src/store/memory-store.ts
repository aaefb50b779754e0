import type { Alert } from '../core/alert.ts';
import type { FlushOutcome, GroupHeader, GroupIncarnation, NotifyLogEntry } from '../core/group.ts';
import { DEFAULT_ALERT_GC_INTERVAL_MS, retiredUntil } from '../core/merge-alerts.ts';
import { checkWrites } from './check-writes.ts';
import { DueQueue } from './due-queue.ts';
import { SortedIds } from './sorted-ids.ts';
import type {
  AlertSlot,
  AlertWrite,
  Claim,
  GroupPage,
  ReadOptions,
  SlotState,
  Store,
  StoredGroup,
  StoreUsage,
} from './store.ts';

interface MemoryGroup {
  readonly header: GroupHeader;
  readonly incarnation: GroupIncarnation;
  lastTick: number;
  readonly alerts: Map<string, Alert>;
  readonly log: Map<string, NotifyLogEntry>;
  /** Set while a claim is outstanding: from claim to commit. */
  token?: number;
  /** The earliest wake asked for while leased, honoured by the commit. */
  pendingWake?: number;
}

/**
 * The Store in process memory, for a single replica and for outages of Redis. Every method runs
 * to completion synchronously, so each change is atomic; the compare-and-set expectations still
 * matter because callers await between reading and writing.
 */
export class MemoryStore implements Store {
  /** How long retired alerts are kept (SlotState.retired): `--alerts.gc-interval`. */
  readonly #retiredTtlMs: number;
  readonly #groups = new Map<string, MemoryGroup>();
  readonly #due = new DueQueue();
  readonly #ids = new SortedIds();
  #lastToken = 0;
  /** Alert copies in all groups. */
  #alerts = 0;
  readonly #groupsByRoute = new Map<string, number>();
  /** Retired alerts (SlotState.retired) by group id and fingerprint; they outlive their group. */
  readonly #retired = new Map<string, Map<string, Alert>>();
  /** The same, in the order retired, with when each may go: from `#retirementsHead` on. */
  readonly #retirements: { readonly groupId: string; readonly alert: Alert; readonly until: number }[] = [];
  #retirementsHead = 0;

  constructor(options: { readonly retiredTtlMs?: number } = {}) {
    this.#retiredTtlMs = options.retiredTtlMs ?? DEFAULT_ALERT_GC_INTERVAL_MS;
  }

  async readSlots(slots: readonly AlertSlot[], options?: ReadOptions): Promise<SlotState[]> {
    return slots.map(({ groupId, fingerprint }) => {
      const group = this.#groups.get(groupId);
      const alert = group?.alerts.get(fingerprint);
      const retired = alert === undefined ? this.#retired.get(groupId)?.get(fingerprint) : undefined;
      let state: SlotState = {};
      if (group !== undefined) {
        state = options?.groupSizes ? { alert, group: group.incarnation, groupSize: group.alerts.size } : { alert, group: group.incarnation };
      }
      return retired === undefined ? state : { ...state, retired };
    });
  }

  async writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    checkWrites(writes);
    return writes.map((write) => this.#write(write));
  }

  #write(write: AlertWrite): boolean {
    const { group: header, alert, expected } = write;
    let group = this.#groups.get(header.id);
    if (group?.incarnation.createdAt !== expected.groupCreatedAt) return false;
    if (group?.alerts.get(alert.fingerprint)?.updatedAt !== expected.alertUpdatedAt) return false;
    const adds = expected.alertUpdatedAt === undefined;
    if (adds && group !== undefined) {
      if (this.#retired.get(header.id)?.get(alert.fingerprint)?.updatedAt !== expected.retiredUpdatedAt) return false;
      if (group.alerts.size >= (write.maxGroupAlerts ?? Infinity)) return false;
    }
    if (group === undefined) {
      const incarnation = write.create as GroupIncarnation;
      group = { header, incarnation, lastTick: 0, alerts: new Map(), log: new Map() };
      this.#groups.set(header.id, group);
      this.#due.set(header.id, incarnation.origin);
      this.#ids.add(header.id);
      this.#countGroup(header.routeId, 1);
    }
    group.alerts.set(alert.fingerprint, alert);
    if (adds) this.#alerts++;
    if (write.wakeAt !== undefined) this.#wake(group, write.wakeAt);
    return true;
  }

  #wake(group: MemoryGroup, at: number): void {
    if (group.token !== undefined) {
      group.pendingWake = Math.min(group.pendingWake ?? Infinity, at);
      return;
    }
    const id = group.header.id;
    this.#due.set(id, Math.min(this.#due.get(id) as number, at));
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]> {
    const ids: string[] = [];
    for (let top = this.#due.peek(); top && top.due <= now && ids.length < limit; top = this.#due.peek()) {
      ids.push(top.id);
      this.#due.delete(top.id);
    }
    return ids.map((groupId) => {
      const group = this.#groups.get(groupId) as MemoryGroup;
      const takenOver = group.token !== undefined;
      group.token = ++this.#lastToken;
      group.pendingWake = undefined;
      this.#due.set(groupId, now + leaseMs);
      return { groupId, token: group.token, takenOver, group: this.#stored(groupId) as StoredGroup };
    });
  }

  async loadGroup(groupId: string): Promise<StoredGroup | undefined> {
    return this.#stored(groupId);
  }

  #stored(groupId: string): StoredGroup | undefined {
    const group = this.#groups.get(groupId);
    if (group === undefined) return undefined;
    // Spelt out rather than spread: spreading copies by walking each object's properties, and
    // every flush and every query page pays for it.
    const { header, incarnation } = group;
    return {
      id: header.id,
      key: header.key,
      routeId: header.routeId,
      receiver: header.receiver,
      labels: header.labels,
      createdAt: incarnation.createdAt,
      origin: incarnation.origin,
      lastTick: group.lastTick,
      alerts: [...group.alerts.values()],
      log: Object.fromEntries(group.log),
      due: this.#due.get(groupId) as number,
    };
  }

  async extendLease(claim: Claim, now: number, leaseMs: number): Promise<boolean> {
    if (this.#groups.get(claim.groupId)?.token !== claim.token) return false;
    this.#due.set(claim.groupId, Math.max(this.#due.get(claim.groupId) as number, now + leaseMs));
    return true;
  }

  async scanGroups(after: string | undefined, limit: number): Promise<GroupPage> {
    const ids = this.#ids.after(after, limit + 1);
    const page = ids.slice(0, limit);
    const groups = page.map((id) => this.#stored(id) as StoredGroup);
    return ids.length > limit ? { groups, next: page.at(-1) } : { groups };
  }

  async commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    const group = this.#groups.get(claim.groupId);
    if (group === undefined || group.token !== claim.token) return false;
    for (const [integration, entry] of Object.entries(outcome.log)) group.log.set(integration, entry);
    this.#forgetRetired(outcome.tick);
    for (const { fingerprint, updatedAt } of outcome.removeResolved) {
      const alert = group.alerts.get(fingerprint);
      if (alert?.updatedAt === updatedAt) {
        group.alerts.delete(fingerprint);
        this.#alerts--;
        this.#retire(claim.groupId, alert);
      }
    }
    if (group.alerts.size === 0) {
      this.#groups.delete(claim.groupId);
      this.#due.delete(claim.groupId);
      this.#ids.delete(claim.groupId);
      this.#countGroup(group.header.routeId, -1);
      return true;
    }
    group.lastTick = outcome.tick;
    this.#due.set(claim.groupId, Math.min(outcome.nextDue, group.pendingWake ?? Infinity));
    group.token = undefined;
    group.pendingWake = undefined;
    return true;
  }

  async nextDue(): Promise<number | undefined> {
    return this.#due.peek()?.due;
  }

  async usage(routeIds: readonly string[]): Promise<StoreUsage> {
    const groupsByRoute = new Map(routeIds.map((id) => [id, this.#groupsByRoute.get(id) ?? 0]));
    return { alerts: this.#alerts, groupsByRoute };
  }

  #retire(groupId: string, alert: Alert): void {
    let byFingerprint = this.#retired.get(groupId);
    if (byFingerprint === undefined) this.#retired.set(groupId, (byFingerprint = new Map()));
    byFingerprint.set(alert.fingerprint, alert);
    this.#retirements.push({ groupId, alert, until: retiredUntil(alert, this.#retiredTtlMs) });
  }

  /**
   * Drops the retired alerts kept long enough by `now`, in the order retired. One that ended
   * earlier than the one before it waits for it, but no longer than the time to keep them after
   * its retirement: a sent resolved alert ended before its flush.
   */
  #forgetRetired(now: number): void {
    const queue = this.#retirements;
    for (; this.#retirementsHead < queue.length && queue[this.#retirementsHead].until <= now; this.#retirementsHead++) {
      const { groupId, alert } = queue[this.#retirementsHead];
      const byFingerprint = this.#retired.get(groupId);
      // A later retirement of the same slot replaced this one: it stays for its own time.
      if (byFingerprint?.get(alert.fingerprint) !== alert) continue;
      byFingerprint.delete(alert.fingerprint);
      if (byFingerprint.size === 0) this.#retired.delete(groupId);
    }
    // Compacted once half is gone, so that dropping costs a constant time per alert.
    if (this.#retirementsHead > 1024 && this.#retirementsHead * 2 > queue.length) {
      queue.splice(0, this.#retirementsHead);
      this.#retirementsHead = 0;
    }
  }

  #countGroup(routeId: string, delta: number): void {
    const groups = (this.#groupsByRoute.get(routeId) ?? 0) + delta;
    if (groups === 0) this.#groupsByRoute.delete(routeId);
    else this.#groupsByRoute.set(routeId, groups);
  }

  async close(): Promise<void> {}
}
