import type { FlushOutcome } from '../core/group.ts';
import type { StoreKind, StoreMetrics, StoreOperation } from '../telemetry/metrics.ts';
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

/** Times every store call and counts its errors, labelled by the store serving it now. */
export class MeteredStore implements Store {
  readonly #store: Store;
  readonly #metrics: StoreMetrics;
  readonly #kind: () => StoreKind;

  constructor(store: Store, metrics: StoreMetrics, kind: () => StoreKind) {
    this.#store = store;
    this.#metrics = metrics;
    this.#kind = kind;
  }

  #time<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    return this.#metrics.timeStore(this.#kind(), operation, call);
  }

  readSlots(slots: readonly AlertSlot[], options?: ReadOptions): Promise<SlotState[]> {
    return this.#time('read_slots', () => this.#store.readSlots(slots, options));
  }

  writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    return this.#time('write_alerts', () => this.#store.writeAlerts(writes));
  }

  claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]> {
    return this.#time('claim_due', () => this.#store.claimDue(now, leaseMs, limit));
  }

  loadGroup(groupId: string): Promise<StoredGroup | undefined> {
    return this.#time('load_group', () => this.#store.loadGroup(groupId));
  }

  extendLease(claim: Claim, now: number, leaseMs: number): Promise<boolean> {
    return this.#time('extend_lease', () => this.#store.extendLease(claim, now, leaseMs));
  }

  scanGroups(after: string | undefined, limit: number): Promise<GroupPage> {
    return this.#time('scan_groups', () => this.#store.scanGroups(after, limit));
  }

  commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    return this.#time('commit', () => this.#store.commit(claim, outcome));
  }

  nextDue(): Promise<number | undefined> {
    return this.#time('next_due', () => this.#store.nextDue());
  }

  /** Not timed: StoreOperation has no member for it yet. */
  usage(routeIds: readonly string[]): Promise<StoreUsage> {
    return this.#time('usage', () => this.#store.usage(routeIds));
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
