import type { Alert } from '../core/alert.ts';
import type { FlushOutcome } from '../core/group.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { StoreKind, StoreMetrics } from '../telemetry/metrics.ts';
import type { GroupChanges, GroupMerge } from './redis-merge.ts';
import { StoreError } from './store-errors.ts';
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

export interface FailoverOptions {
  /** How often Redis is pinged: to notice an outage when nothing calls the store, and its end. */
  readonly healthCheckMs: number;
}

export const defaultFailoverOptions: FailoverOptions = { healthCheckMs: 1_000 };

export interface FailoverDeps {
  readonly redis: Store;
  /** Resolves when Redis answers (PING); rejects when it does not. */
  readonly ping: () => Promise<unknown>;
  /** A new, empty memory store for each outage. */
  readonly createMemory: () => Store;
  readonly merge: GroupMerge;
  readonly logger: Logger;
  readonly metrics: Pick<StoreMetrics, 'failoverSwitched'>;
  readonly clock: () => number;
  readonly options?: Partial<FailoverOptions>;
}

/**
 * The Redis store that degrades to memory (design.md, "Failover store"). While Redis serves,
 * every call goes to it. A call failing with UNAVAILABLE, or a failed PING, switches to a new
 * memory store and the call is retried there, so ingest and flushes go on; other errors
 * propagate. When PING answers again, the groups changed on memory are merged into Redis while
 * memory keeps serving, then calls are held while the groups changed meanwhile are merged and
 * the store switches back, so nothing accepted on memory is missed.
 *
 * A claim stays with the store that made it, so commit and extendLease must be given the Claim
 * objects claimDue returned. A claim made on Redis cannot be committed on memory, which does not
 * know its token: while Redis is unavailable its commit is accepted (true) and kept, and replayed
 * on Redis when it answers, before anything of the outage is merged and before the switch back,
 * so the flush it records is not sent again. It is refused then only if another replica took the
 * group over meanwhile (logged). A claim made on memory and committed after the switch back is
 * committed on that memory store and its group merged into Redis again.
 */
export class FailoverStore implements Store {
  readonly #redis: Store;
  readonly #ping: () => Promise<unknown>;
  readonly #createMemory: () => Store;
  readonly #merge: GroupMerge;
  readonly #log: Logger;
  readonly #metrics: Pick<StoreMetrics, 'failoverSwitched'>;
  readonly #clock: () => number;
  readonly #options: FailoverOptions;
  /** Set while serving from memory. */
  #outage: Outage | undefined;
  readonly #memoryClaims = new WeakMap<Claim, Outage>();
  /** Set while the final merge runs; checked right before every call reaches memory. */
  #paused: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: FailoverDeps) {
    this.#redis = deps.redis;
    this.#ping = deps.ping;
    this.#createMemory = deps.createMemory;
    this.#merge = deps.merge;
    this.#log = deps.logger;
    this.#metrics = deps.metrics;
    this.#clock = deps.clock;
    this.#options = { ...defaultFailoverOptions, ...deps.options };
    this.#scheduleCheck();
  }

  /** Which store serves calls now. */
  get mode(): StoreKind {
    return this.#outage === undefined ? 'redis' : 'memory';
  }

  readSlots(slots: readonly AlertSlot[], options?: ReadOptions): Promise<SlotState[]> {
    return this.#route(
      (redis) => redis.readSlots(slots, options),
      (outage) => outage.run((memory) => memory.readSlots(slots, options)),
    );
  }

  writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    return this.#route(
      (redis) => redis.writeAlerts(writes),
      (outage) =>
        outage.run(async (memory) => {
          const applied = await memory.writeAlerts(writes);
          writes.forEach((write, i) => {
            if (applied[i]) outage.changed.add(write.group.id);
          });
          return applied;
        }),
    );
  }

  /**
   * A claim on memory is recorded with its lease, so that the merge keeps Redis from flushing
   * the group again while this flush is still sending (see Outage.hold).
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]> {
    return this.#route(
      (redis) => redis.claimDue(now, leaseMs, limit),
      async (outage) => {
        const claims = await outage.run((memory) => memory.claimDue(now, leaseMs, limit));
        for (const claim of claims) {
          this.#memoryClaims.set(claim, outage);
          outage.hold(claim.groupId, now + leaseMs);
        }
        return claims;
      },
    );
  }

  loadGroup(groupId: string): Promise<StoredGroup | undefined> {
    return this.#route(
      (redis) => redis.loadGroup(groupId),
      (outage) => outage.run((memory) => memory.loadGroup(groupId)),
    );
  }

  extendLease(claim: Claim, now: number, leaseMs: number): Promise<boolean> {
    const owner = this.#memoryClaims.get(claim);
    if (owner !== undefined) {
      return owner.run(async (memory) => {
        const held = await memory.extendLease(claim, now, leaseMs);
        if (held) owner.hold(claim.groupId, now + leaseMs);
        return held;
      });
    }
    return this.#onRedisClaim((redis) => redis.extendLease(claim, now, leaseMs));
  }

  scanGroups(after: string | undefined, limit: number): Promise<GroupPage> {
    return this.#route(
      (redis) => redis.scanGroups(after, limit),
      (outage) => outage.run((memory) => memory.scanGroups(after, limit)),
    );
  }

  async commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    const owner = this.#memoryClaims.get(claim);
    if (owner === undefined) return this.#commitRedisClaim(claim, outcome);
    while (this.#paused) await this.#paused;
    const committed = await owner.commit(claim, outcome);
    if (committed && owner !== this.#outage) {
      try {
        await this.#merge.merge(await owner.changes([claim.groupId]), this.#clock());
      } catch (err) {
        const message = 'merging into Redis a flush committed on memory after the switch back failed; it may be sent again';
        this.#log.warn({ err, groupId: claim.groupId }, message);
      }
    }
    return committed;
  }

  nextDue(): Promise<number | undefined> {
    return this.#route(
      (redis) => redis.nextDue(),
      (outage) => outage.run((memory) => memory.nextDue()),
    );
  }

  /** During an outage, what the memory store holds: the limits count what it accepted since. */
  usage(routeIds: readonly string[]): Promise<StoreUsage> {
    return this.#route(
      (redis) => redis.usage(routeIds),
      (outage) => outage.run((memory) => memory.usage(routeIds)),
    );
  }

  /** Stops the health check; on memory, merges into Redis if it answers, else loses the changes. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#checking;
    const outage = this.#outage;
    if (outage !== undefined) {
      try {
        await this.#ping();
        await this.#recover(outage);
      } catch (err) {
        const message = 'closing while Redis is unavailable: the changes made on memory are lost';
        this.#log.error({ err, groups: outage.changed.size }, message);
      }
      await outage.memory.close();
    }
    await this.#redis.close();
  }

  /**
   * Runs a call on Redis, or on memory during an outage. The pause and the mode are checked
   * synchronously right before the call starts on memory, so a call either is counted by
   * Outage.run before the final merge waits for calls in progress, or waits for the switch.
   */
  async #route<T>(onRedis: (redis: Store) => Promise<T>, onMemory: (outage: Outage) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.#paused) {
        await this.#paused;
        continue;
      }
      const outage = this.#outage;
      if (outage !== undefined) return onMemory(outage);
      try {
        return await onRedis(this.#redis);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.#failOver(err);
      }
    }
  }

  async #onRedisClaim(call: (redis: Store) => Promise<boolean>): Promise<boolean> {
    try {
      return await call(this.#redis);
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.#failOver(err);
      return false;
    }
  }

  async #commitRedisClaim(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    for (;;) {
      while (this.#paused) await this.#paused;
      const outage = this.#outage;
      if (outage !== undefined) {
        outage.deferCommit(claim, outcome);
        return true;
      }
      try {
        return await this.#redis.commit(claim, outcome);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.#failOver(err);
      }
    }
  }

  /** Commits on Redis the flushes of Redis claims that ended during the outage. */
  async #replayCommits(outage: Outage): Promise<void> {
    const commits = outage.takeDeferredCommits();
    let refused = 0;
    for (let i = 0; i < commits.length; i++) {
      const { claim, outcome } = commits[i];
      try {
        if (!(await this.#redis.commit(claim, outcome))) refused++;
      } catch (err) {
        outage.restoreDeferredCommits(commits.slice(i));
        throw err;
      }
    }
    if (refused > 0) {
      this.#log.warn({ commits: commits.length, refused }, 'flushes committed during the outage were taken over by another replica meanwhile; they may be sent again');
    }
  }

  #failOver(err: unknown): void {
    if (this.#outage !== undefined) return;
    this.#outage = new Outage(this.#createMemory());
    this.#log.warn({ err }, 'Redis is unavailable: serving from memory until it answers again');
    this.#metrics.failoverSwitched('memory');
  }

  #scheduleCheck(): void {
    this.#timer = setTimeout(() => {
      this.#checking = this.#checkHealth().finally(() => {
        if (!this.#closed) this.#scheduleCheck();
      });
    }, this.#options.healthCheckMs);
    this.#timer.unref();
  }

  async #checkHealth(): Promise<void> {
    try {
      await this.#ping();
    } catch (err) {
      this.#failOver(err);
      return;
    }
    const outage = this.#outage;
    if (outage === undefined) return;
    try {
      await this.#recover(outage);
    } catch (err) {
      const message = 'Redis answers but merging into it failed: still serving from memory';
      this.#log.warn({ err, groups: outage.changed.size }, message);
    }
  }

  /**
   * Merges while memory keeps serving, then holds calls for the final merge of what changed
   * meanwhile (usually little), so the switch back cannot miss a change made on memory.
   */
  async #recover(outage: Outage): Promise<void> {
    await this.#replayCommits(outage);
    let merged = await this.#mergeChanged(outage);
    let resume = () => {};
    this.#paused = new Promise((resolve) => (resume = resolve));
    try {
      await outage.idle();
      await this.#replayCommits(outage);
      const final = await this.#mergeChanged(outage);
      merged = { groups: merged.groups + final.groups, created: merged.created + final.created };
      this.#outage = undefined;
    } finally {
      this.#paused = undefined;
      resume();
    }
    this.#log.info(merged, 'Redis answers again: merged the groups changed on memory into it, serving from Redis');
    this.#metrics.failoverSwitched('redis');
  }

  async #mergeChanged(outage: Outage): Promise<{ groups: number; created: number }> {
    const ids = [...outage.changed];
    outage.changed.clear();
    try {
      const created = await this.#merge.merge(await outage.changes(ids), this.#clock());
      return { groups: ids.length, created };
    } catch (err) {
      for (const id of ids) outage.changed.add(id);
      throw err;
    }
  }
}

/** One spell on memory: the store serving it and what changed there, to merge into Redis. */
class Outage {
  readonly memory: Store;
  /**
   * Groups changed since they were last merged into Redis. A change is recorded once made, so a
   * merge round that takes the set cannot miss a change made after it loaded the group.
   */
  readonly changed = new Set<string>();
  /** Leases on memory whose flush has not committed: by group, the lease's end. */
  readonly #holds = new Map<string, number>();
  /** Commits of claims made on Redis, made while it was unavailable, in the order made. */
  #deferredCommits: { readonly claim: Claim; readonly outcome: FlushOutcome }[] = [];
  /** Resolved alerts deleted once notified, by group and fingerprint: the latest version. */
  readonly #removed = new Map<string, Map<string, Alert>>();
  #calls = 0;
  #onIdle: (() => void) | undefined;

  constructor(memory: Store) {
    this.memory = memory;
  }

  /** Runs a call on memory, counted from its first synchronous step until it settles. */
  async run<T>(call: (memory: Store) => Promise<T>): Promise<T> {
    this.#calls++;
    try {
      return await call(this.memory);
    } finally {
      if (--this.#calls === 0) this.#onIdle?.();
    }
  }

  /** Resolves once no call is in progress on memory. */
  idle(): Promise<void> {
    if (this.#calls === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = () => {
        this.#onIdle = undefined;
        resolve();
      };
    });
  }

  /**
   * A flush claimed on memory until `until` is under way. The group is merged with that lease, so
   * that Redis does not flush it too should the switch back come first; the flush's commit on
   * memory ends the hold and is merged in turn.
   */
  hold(groupId: string, until: number): void {
    this.#holds.set(groupId, until);
    this.changed.add(groupId);
  }

  deferCommit(claim: Claim, outcome: FlushOutcome): void {
    this.#deferredCommits.push({ claim, outcome });
  }

  takeDeferredCommits(): { readonly claim: Claim; readonly outcome: FlushOutcome }[] {
    const commits = this.#deferredCommits;
    this.#deferredCommits = [];
    return commits;
  }

  /** Puts back commits a failed replay did not get to, ahead of any deferred since. */
  restoreDeferredCommits(commits: readonly { readonly claim: Claim; readonly outcome: FlushOutcome }[]): void {
    this.#deferredCommits = [...commits, ...this.#deferredCommits];
  }

  commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    return this.run(async (memory) => {
      const slots = outcome.removeResolved.map(({ fingerprint }) => ({ groupId: claim.groupId, fingerprint }));
      const before = await memory.readSlots(slots);
      const committed = await memory.commit(claim, outcome);
      this.#holds.delete(claim.groupId);
      // A version that changed between the read and the commit was not deleted; its newer
      // version is in the group and wins the merge.
      if (committed) {
        outcome.removeResolved.forEach(({ updatedAt }, i) => {
          const alert = before[i].alert;
          if (alert?.updatedAt === updatedAt) this.#remember(claim.groupId, alert);
        });
        this.changed.add(claim.groupId);
      }
      return committed;
    });
  }

  #remember(groupId: string, alert: Alert): void {
    let removed = this.#removed.get(groupId);
    if (removed === undefined) this.#removed.set(groupId, (removed = new Map()));
    const known = removed.get(alert.fingerprint);
    if (known === undefined || known.updatedAt < alert.updatedAt) removed.set(alert.fingerprint, alert);
  }

  async changes(ids: readonly string[]): Promise<GroupChanges[]> {
    return Promise.all(
      ids.map(async (groupId) => ({
        groupId,
        group: await this.memory.loadGroup(groupId),
        removed: [...(this.#removed.get(groupId)?.values() ?? [])],
        heldUntil: this.#holds.get(groupId),
      })),
    );
  }
}

function isUnavailable(err: unknown): boolean {
  return err instanceof StoreError && err.code === 'UNAVAILABLE';
}
