import { setMaxListeners } from 'node:events';
import { planFlush, settleFlush } from '../core/flush.ts';
import type { Claim, Store } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { SchedulerMetrics } from '../telemetry/metrics.ts';
import type { IngestResult } from './dispatcher.ts';
import type { Notifier } from './notifier.ts';
import type { Alert } from '../core/alert.ts';
import type { FlushOutcome } from '../core/group.ts';
import { integrationsOf, placeGroup, type Runtime } from './runtime.ts';

export interface SchedulerOptions {
  /** How long a claim keeps other replicas off a group before they may take it over. */
  readonly leaseMs: number;
  /** Upper bound on sleeping, so groups made due by other replicas are seen. */
  readonly pollMs: number;
  /** Flushes in progress at once on this replica, slow ones included: bounds their memory. */
  readonly maxInFlight: number;
  /**
   * Flushes started less than `slowAfterMs` ago, at once. Few suffice to keep receivers busy,
   * and each flush waiting its turn costs memory and GC time.
   */
  readonly maxActive: number;
  /** After this long a flush is slow (a slow or failing receiver): it no longer counts as active, so it holds up no other group. */
  readonly slowAfterMs: number;
}

export const defaultSchedulerOptions: SchedulerOptions = {
  leaseMs: 15_000,
  pollMs: 250,
  maxInFlight: 4096,
  maxActive: 128,
  slowAfterMs: 1_000,
};

/** Alertmanager bounds every flush's delivery, retries included, by at least this. */
const MIN_FLUSH_TIMEOUT = 10_000;

/**
 * Claims due groups, flushes them through core, sends what core decided and commits the result.
 * Every replica runs one; the store's leases and fencing tokens make each tick flush once.
 */
export class Scheduler {
  readonly #store: Store;
  readonly #notifier: Notifier;
  readonly #runtime: () => Runtime;
  readonly #clock: () => number;
  readonly #rehome: (alerts: readonly Alert[], now: number) => Promise<IngestResult>;
  readonly #log: Logger;
  readonly #metrics: SchedulerMetrics;
  readonly #options: SchedulerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  /** Flushes in progress that are not yet slow. */
  #active = 0;
  /** The loop sleeps until this many slots are free: each claim costs a round of store calls. */
  readonly #claimBatch: number;
  /** The loop sleeps because every slot was taken, not because nothing was due. */
  #full = false;
  /**
   * One per batch of claims with a flush in progress: stop() aborts them all. Not one for all
   * flushes, because an AbortSignal's listeners are a list that each add and remove walks; not
   * one per flush either, because making a signal costs more than a flush's other bookkeeping.
   */
  readonly #deliveries = new Set<AbortController>();
  /** The claims of the flushes in progress, whose leases are renewed while they run. */
  readonly #held = new Set<Claim>();
  #renewal: ReturnType<typeof setInterval> | undefined;
  #aborted = false;
  #running = false;
  #loopDone: Promise<void> = Promise.resolve();
  #sleepUntil = 0;
  /** The earliest due time poked since the loop last began claiming. */
  #pokedAt = Infinity;
  #wake: (() => void) | undefined;

  constructor(deps: {
    store: Store;
    notifier: Notifier;
    runtime: () => Runtime;
    clock: () => number;
    /** Files alerts again through the route tree: those the config in force puts elsewhere. */
    rehome: (alerts: readonly Alert[], now: number) => Promise<IngestResult>;
    logger: Logger;
    metrics: SchedulerMetrics;
    options?: Partial<SchedulerOptions>;
  }) {
    this.#store = deps.store;
    this.#notifier = deps.notifier;
    this.#runtime = deps.runtime;
    this.#clock = deps.clock;
    this.#rehome = deps.rehome;
    this.#log = deps.logger;
    this.#metrics = deps.metrics;
    this.#options = { ...defaultSchedulerOptions, ...deps.options };
    this.#claimBatch = Math.ceil(this.#options.maxActive / 4);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loopDone = this.#loop();
    // One timer for all flushes rather than one each: a flush rarely lasts a third of a lease.
    this.#renewal = setInterval(() => this.#renewLeases(), this.#options.leaseMs / 3);
  }

  /** Something became due at `at`: wake the loop if it sleeps past that. */
  poke(at: number): void {
    // While the loop is claiming it is not asleep, and its read of the next due time may
    // predate this write: kept for the sleep that follows.
    this.#pokedAt = Math.min(this.#pokedAt, at);
    if (at < this.#sleepUntil) this.#wake?.();
  }

  /**
   * Stops claiming, lets flushes in progress finish and commit, and after `timeoutMs` aborts
   * their deliveries and hands their groups back so another replica flushes them at once.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loopDone;
    const timer = setTimeout(() => {
      this.#aborted = true;
      for (const delivery of this.#deliveries) delivery.abort();
    }, timeoutMs);
    await Promise.allSettled([...this.#inFlight]);
    clearTimeout(timer);
    clearInterval(this.#renewal);
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const now = this.#clock();
      this.#pokedAt = Infinity;
      let sleepTo = now + this.#options.pollMs;
      try {
        const free = this.#freeSlots();
        this.#full = free <= 0;
        if (free > 0) {
          const claims = await this.#store.claimDue(now, this.#options.leaseMs, free);
          this.#metrics.claims(claims.length);
          if (claims.length > 0) this.#flushAll(claims);
          if (claims.length === free) continue;
          const next = await this.#store.nextDue();
          if (next !== undefined) sleepTo = Math.min(sleepTo, next);
        }
      } catch (err) {
        this.#log.error({ err }, 'claiming due groups failed');
      }
      await this.#sleep(Math.min(sleepTo, this.#pokedAt));
    }
  }

  #flushAll(claims: readonly Claim[]): void {
    const delivery = new AbortController();
    // Each request of the batch listens on it: more than Node's default ten is no leak.
    setMaxListeners(0, delivery.signal);
    if (this.#aborted) delivery.abort();
    this.#deliveries.add(delivery);
    const flushes = claims.map((claim) => this.#flush(claim, delivery.signal));
    for (const flush of flushes) this.#track(flush);
    void Promise.allSettled(flushes).then(() => this.#deliveries.delete(delivery));
  }

  #freeSlots(): number {
    return Math.min(this.#options.maxInFlight - this.#inFlight.size, this.#options.maxActive - this.#active);
  }

  #track(flush: Promise<void>): void {
    this.#inFlight.add(flush);
    this.#active++;
    let active = true;
    const settle = (): void => {
      if (active) this.#active--;
      active = false;
      if (this.#full && this.#freeSlots() >= this.#claimBatch) this.#wake?.();
    };
    const slow = setTimeout(settle, this.#options.slowAfterMs);
    void flush.finally(() => {
      clearTimeout(slow);
      this.#inFlight.delete(flush);
      settle();
    });
  }

  #sleep(until: number): Promise<void> {
    const delay = until - this.#clock();
    if (!this.#running) return Promise.resolve();
    // Even with work due at once, give the event loop a turn so that requests are served.
    if (delay <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#sleepUntil = 0;
        resolve();
      };
      const timer = setTimeout(done, delay);
      this.#sleepUntil = until;
      this.#wake = done;
    });
  }

  /** Webhook retries may outlast a lease: renew the leases of flushes in progress so no replica steps in. */
  #renewLeases(): void {
    const now = this.#clock();
    for (const claim of this.#held) {
      this.#store.extendLease(claim, now, this.#options.leaseMs).then(
        // A flush that committed meanwhile no longer needs its lease.
        (held) => held || !this.#held.has(claim) || this.#log.warn({ groupId: claim.groupId }, 'lease lost while delivering'),
        (err) => this.#held.has(claim) && this.#log.warn({ err, groupId: claim.groupId }, 'could not extend lease'),
      );
    }
  }

  /**
   * Once its commit is sent a flush holds no lease to renew: the commit ends it, or finds it taken
   * over. Renewing it while the reply is on its way would report a lost lease that was not.
   */
  #commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    this.#held.delete(claim);
    return this.#store.commit(claim, outcome);
  }

  async #flush(claim: Claim, signal: AbortSignal): Promise<void> {
    if (claim.takenOver) this.#metrics.leaseTakeover();
    this.#held.add(claim);
    try {
      const { group } = claim;
      const runtime = this.#runtime();
      const now = this.#clock();
      const { route, strays } = placeGroup(runtime, group);
      const receiver = route && runtime.receivers.get(route.receiver);
      if (strays.length > 0) {
        const { refused } = await this.#rehome(strays, now);
        if (refused.length > 0) {
          const limits = [...new Set(refused.map((refusal) => refusal.limit))];
          this.#log.warn({ group: group.key, refused: refused.length, limits }, 'alerts the configuration in force files elsewhere were refused there by a limit and leave this group');
        }
      }
      const leaving = strays.map((a) => ({ fingerprint: a.fingerprint, updatedAt: a.updatedAt }));
      if (route === undefined || receiver === undefined) {
        this.#log.info({ group: group.key, alerts: strays.length }, 'group has no route in the config in force; its alerts were filed again');
        await this.#commit(claim, { tick: group.lastTick, log: {}, removeResolved: leaving, nextDue: now });
        return;
      }
      const integrations = integrationsOf(receiver);
      const astray = new Set(strays);
      const staying = strays.length === 0 ? group : { ...group, alerts: group.alerts.filter((a) => !astray.has(a)) };
      const plan = planFlush(staying, route, integrations, now);
      const deadline = now + Math.max(route.groupInterval, MIN_FLUSH_TIMEOUT);
      const succeeded = await Promise.all(
        plan.sends.map((send) =>
          send.alerts.length === 0
            ? true
            : this.#notifier.notify(
                {
                  receiver,
                  integration: send.integration,
                  group,
                  alerts: send.alerts,
                  tick: plan.tick,
                  reason: send.reason,
                },
                deadline,
                signal,
              ),
        ),
      );
      if (signal.aborted) {
        // Shutting down mid-delivery: hand the tick back untouched for another replica.
        await this.#commit(claim, { tick: group.lastTick, log: {}, removeResolved: leaving, nextDue: now });
        return;
      }
      const settled = settleFlush(staying, route, integrations, plan, succeeded);
      // Alerts filed elsewhere leave this group, on the same terms as sent resolved alerts.
      const outcome = leaving.length === 0 ? settled : { ...settled, removeResolved: [...settled.removeResolved, ...leaving] };
      if (plan.due) {
        const result = plan.sends.length === 0 ? 'quiet' : succeeded.every(Boolean) ? 'sent' : 'failed';
        this.#metrics.flush(result, Math.max(0, now - plan.tick) / 1000);
      }
      if (!(await this.#commit(claim, outcome))) {
        this.#metrics.commitConflict();
        this.#log.warn({ group: group.key, token: claim.token }, 'flush commit refused: lease was taken over');
      }
    } catch (err) {
      this.#log.error({ err, groupId: claim.groupId }, 'flush failed');
    } finally {
      this.#held.delete(claim);
    }
  }
}
