import type { Alert } from '../core/alert.ts';
import type { FlushOutcome, GroupHeader, GroupIncarnation, GroupState } from '../core/group.ts';

/** An alert's place: one copy of an alert lives in each group it routes to. */
export interface AlertSlot {
  readonly groupId: string;
  readonly fingerprint: string;
}

export interface SlotState {
  readonly alert?: Alert;
  /**
   * Only when the slot holds no alert: the resolved alert a flush last sent and removed from it,
   * kept for merging a later post of the same episode (core/merge-alerts.ts, mergeBase) at least
   * the store's `retiredTtlMs` after its end (the Redis store counts from its removal, which
   * comes later), and then dropped.
   */
  readonly retired?: Alert;
  readonly group?: GroupIncarnation;
  /** How many alerts the group holds: set when the group exists and the read asked for it. */
  readonly groupSize?: number;
}

export interface ReadOptions {
  /** Also read each group's size (SlotState.groupSize), for --limits.alerts-per-group. */
  readonly groupSizes?: boolean;
}

/**
 * A compare-and-set write of one alert into one group. It applies only if the slot still holds
 * what the write was computed from (same alert updatedAt or still absent; same group
 * incarnation or still absent), so the merge rules run once, in core, for every store.
 */
export interface AlertWrite {
  readonly group: GroupHeader;
  readonly alert: Alert;
  readonly expected: {
    readonly alertUpdatedAt?: number;
    readonly groupCreatedAt?: number;
    /**
     * When the write adds an alert to an existing group: the updatedAt of the slot's retired
     * alert it was computed from, or absent for none. A write into an absent group is not held
     * to it: only one computed from a read of the slot can expect a group absent. The Redis
     * store holds a write to it only in a group that retired an alert lately, itself or in an
     * earlier incarnation, so that other adds cost nothing more.
     */
    readonly retiredUpdatedAt?: number;
  };
  /** Set when the group is absent: the new group's incarnation. */
  readonly create?: GroupIncarnation;
  /** Make the group due no later than this tick. */
  readonly wakeAt?: number;
  /**
   * When the write adds an alert to an existing group: it applies only while the group holds
   * fewer alerts than this, else it is refused (false) as a failed expectation is.
   */
  readonly maxGroupAlerts?: number;
}

/** A lease on one due group; the token fences the commit. */
export interface Claim {
  readonly groupId: string;
  readonly token: number;
  /** Another claim's lease on the group ran out uncommitted: its replica died or stalled. */
  readonly takenOver: boolean;
  /** The group as the claim left it, read with it: its due time is the lease's end. */
  readonly group: StoredGroup;
}

/** A group as stored, with its schedule. */
export interface StoredGroup extends GroupState {
  /** When a replica should next look at it; while claimed, the end of the lease. */
  readonly due: number;
}

/** One page of groups in ascending id order. */
export interface GroupPage {
  readonly groups: readonly StoredGroup[];
  /** Pass as `after` to get the next page; absent on the last page. */
  readonly next?: string;
}

/** How much the store holds, for the limits (core/limits.ts). */
export interface StoreUsage {
  /** Alert copies in all groups: an alert held by two groups counts twice. */
  readonly alerts: number;
  /** Groups of each route asked for. */
  readonly groupsByRoute: ReadonlyMap<string, number>;
}

export interface Store {
  readSlots(slots: readonly AlertSlot[], options?: ReadOptions): Promise<SlotState[]>;
  /** Applies each write atomically; returns false for a write whose expectation failed. */
  writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]>;
  /**
   * Leases groups due at `now`: each is pushed to `now + leaseMs` until committed. Wakes asked
   * for during the lease are kept and honoured by the commit.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]>;
  loadGroup(groupId: string): Promise<StoredGroup | undefined>;
  /**
   * Pushes a claim's lease to `now + leaseMs` while its flush is still delivering; false when
   * the claim is no longer the group's (taken over, committed, or the group is gone).
   */
  extendLease(claim: Claim, now: number, leaseMs: number): Promise<boolean>;
  /**
   * Groups with id > `after` (all when undefined), at most `limit`, in ascending id order. A
   * group that exists for the whole of a paged scan is returned exactly once, whatever is
   * created or deleted meanwhile.
   */
  scanGroups(after: string | undefined, limit: number): Promise<GroupPage>;
  /**
   * Records a flush: log entries, removal of sent resolved alerts that did not change (each kept
   * as its slot's retired alert, SlotState.retired), next due time (or deletion of an empty
   * group). Refused (false) when the claim's token is stale.
   */
  commit(claim: Claim, outcome: FlushOutcome): Promise<boolean>;
  /** The earliest due time, if any group exists. */
  nextDue(): Promise<number | undefined>;
  /**
   * The alerts held and the groups of the given routes, counting every write whose writeAlerts
   * call was made before this call (the memory store runs each call at once; Redis runs a
   * connection's commands in the order sent, except while ioredis loads a script it lost). The
   * memory store counts exactly. The Redis store keeps counts per shard, updated by the scripts
   * that add and remove alerts and groups (writes only with its countUsage option); a group
   * merged in after an outage counts from its next commit on.
   */
  usage(routeIds: readonly string[]): Promise<StoreUsage>;
  close(): Promise<void>;
}
