import type { Alert } from '../core/alert.ts';
import type { GroupIncarnation } from '../core/group.ts';
import type { AlertSlot, SlotState } from '../store/store.ts';

/** A slot that another writer changed behind this replica's back: read before writing it. */
const CONTENDED = null;

interface KnownGroup {
  readonly group: GroupIncarnation;
  /** By fingerprint. */
  readonly alerts: Map<string, Alert | typeof CONTENDED>;
  /** A write to a slot not known here was refused: the group is shared unless it is gone (set). */
  guessRefused: boolean;
}

/**
 * What this replica last wrote to each slot and group, so that a remote store need not be read
 * before every write. Entries may be stale (another replica wrote since, a commit removed an
 * alert or a group): that is safe because every write is a compare-and-set on what it was
 * computed from. A refused write marks its slot contended, so the retry and every later write
 * of that slot read the store first: two replicas that keep writing the same alerts (an HA pair
 * of Prometheus servers, each sending to another replica) pay for one refusal per slot, not one
 * per post. A refused write to a slot not known here, in a group known here whose incarnation
 * the retry finds unchanged, shows that another writer adds to the group: the group is shared,
 * and all its slots are read from then on and take no room here. Replicas behind a load
 * balancer, which each see every alert of a group in turn, so pay for one refusal per group, not
 * one per alert, and keep the room for the groups only they write. Bounded: past `capacity` slots, the groups first written longest ago are
 * forgotten; past `capacity` shared groups, which shared groups are is forgotten.
 */
export class SlotCache {
  readonly #capacity: number;
  /** Whether an unknown slot of a known group may be taken to be empty (see get). */
  readonly #guessEmpty: boolean;
  /** In the order first written: eviction drops the oldest groups. */
  readonly #groups = new Map<string, KnownGroup>();
  /** Group ids, whatever their incarnation: a group created again has the same writers. */
  readonly #shared = new Set<string>();
  #alerts = 0;

  constructor(options: { readonly capacity: number; readonly guessEmpty: boolean }) {
    this.#capacity = options.capacity;
    this.#guessEmpty = options.guessEmpty;
  }

  /**
   * The slot's state as last written here, or undefined when the store must be read. With
   * guessEmpty, a slot never written here in a group known here is guessed empty: right for
   * every new alert, and when another replica filled it the write is refused and retried.
   */
  get({ groupId, fingerprint }: AlertSlot): SlotState | undefined {
    const known = this.#groups.get(groupId);
    if (known === undefined) return undefined;
    const alert = known.alerts.get(fingerprint);
    if (alert === CONTENDED) return undefined;
    if (alert !== undefined) return { alert, group: known.group };
    return this.#guessEmpty ? { group: known.group } : undefined;
  }

  /** A write of `alert` into the group's incarnation `group` was applied. */
  set({ groupId, fingerprint }: AlertSlot, group: GroupIncarnation, alert: Alert): void {
    if (this.#shared.has(groupId)) return;
    const known = this.#known(groupId, group);
    if (known.guessRefused) {
      this.#share(groupId, known);
      return;
    }
    if (known.alerts.get(fingerprint) === CONTENDED) return;
    this.#put(known, fingerprint, alert);
  }

  /** A write to the slot, computed from what this cache or the store said, was refused. */
  refused({ groupId, fingerprint }: AlertSlot): void {
    const known = this.#groups.get(groupId);
    if (known === undefined) return;
    if (!known.alerts.has(fingerprint)) known.guessRefused = true;
    this.#put(known, fingerprint, CONTENDED);
  }

  #share(groupId: string, known: KnownGroup): void {
    this.#drop(groupId, known);
    if (this.#shared.size >= this.#capacity) this.#shared.clear();
    this.#shared.add(groupId);
  }

  /** The entry of the group's incarnation `group`; a new incarnation replaces what was known. */
  #known(groupId: string, group: GroupIncarnation): KnownGroup {
    const known = this.#groups.get(groupId);
    if (known !== undefined && known.group.createdAt === group.createdAt) return known;
    if (known !== undefined) this.#drop(groupId, known);
    const fresh = { group, alerts: new Map(), guessRefused: false };
    this.#groups.set(groupId, fresh);
    return fresh;
  }

  #put(known: KnownGroup, fingerprint: string, value: Alert | typeof CONTENDED): void {
    const before = known.alerts.size;
    known.alerts.set(fingerprint, value);
    this.#alerts += known.alerts.size - before;
    if (this.#alerts > this.#capacity) this.#evict();
  }

  #drop(groupId: string, known: KnownGroup): void {
    this.#alerts -= known.alerts.size;
    this.#groups.delete(groupId);
  }

  /** Drops the oldest groups until a tenth of the capacity is free. */
  #evict(): void {
    const target = this.#capacity - Math.ceil(this.#capacity / 10);
    for (const [groupId, known] of this.#groups) {
      if (this.#alerts <= target) break;
      this.#drop(groupId, known);
    }
  }
}
