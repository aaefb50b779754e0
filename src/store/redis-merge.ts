import type { Cluster, Redis } from 'ioredis';
import type { Alert } from '../core/alert.ts';
import { DEFAULT_ALERT_GC_INTERVAL_MS } from '../core/merge-alerts.ts';
import { defineScripts, scripts } from './lua-scripts.ts';
import { execBatch, type RedisCall } from './redis-batch.ts';
import { encodeAlert, encodeLogEntry } from './redis-codec.ts';
import { RedisKeys } from './redis-keys.ts';
import type { StoredGroup } from './store.ts';

/** What a memory store knows of one group it changed while Redis was unavailable. */
export interface GroupChanges {
  readonly groupId: string;
  /** The group as memory holds it; undefined when memory deleted it, emptied by a flush. */
  readonly group?: StoredGroup;
  /** Alerts memory retired (resolved alerts it deleted once notified), each at the version it deleted. */
  readonly removed: readonly Alert[];
  /** When memory holds a lease on the group (its flush still sending): the lease's end. */
  readonly heldUntil?: number;
}

/** Writes back into Redis the groups a memory store changed during an outage. */
export interface GroupMerge {
  /** Merges each group atomically; resolves to how many of them Redis did not have. */
  merge(changes: readonly GroupChanges[], now: number): Promise<number>;
}

export interface RedisMergeOptions {
  /** The RedisStore's key prefix. */
  readonly prefix: string;
  /** The RedisStore's grace: merged groups expire as its groups do. */
  readonly graceMs: number;
  /** The RedisStore's retiredTtlMs: alerts memory retired are kept as its retired alerts are. */
  readonly retiredTtlMs?: number;
}

/** Groups per round trip: each carries all its alerts, so batches stay well under timeouts. */
const BATCH = 100;

/**
 * Merges by the rules of design.md, one Lua script per group (lua/merge-group-6.lua):
 * - alerts by latest updatedAt, an alert Redis lacks is added; notify log entries per
 *   integration by later tick; lastTick by max; due time by earliest, honouring a lease held in
 *   Redis the way an alert write does, and not before the end of a lease memory holds on the
 *   group while its flush still sends;
 * - a group Redis lacks is created as memory holds it. A group Redis has keeps Redis's
 *   incarnation: it is the one other replicas' compare-and-set writes expect and that Redis's
 *   due times and ticks are aligned to, and it is the older one unless Redis lost its data,
 *   because memory starts empty and could only start a new life for a group it did not know;
 * - nothing is deleted. Memory starts empty, so it deletes only what it learnt during the outage;
 *   deleting Redis's copy of a group or an alert could drop what other replicas accepted. Instead
 *   an alert memory retired (a resolved alert it notified and deleted) replaces an older copy
 *   Redis still holds, so the resolution accepted during the outage is not lost; one Redis lacks
 *   becomes the slot's retired alert, as a commit on Redis would have left it, unless Redis keeps
 *   one as new; a group memory deleted is woken at `now`, and Redis's next flush notifies or
 *   dedupes it.
 */
export class RedisMerge implements GroupMerge {
  readonly #client: Redis | Cluster;
  readonly #keys: RedisKeys;
  readonly #grace: number;
  readonly #retiredTtl: number;

  constructor(client: Redis | Cluster, options: RedisMergeOptions) {
    this.#client = client;
    this.#keys = new RedisKeys(options.prefix);
    this.#grace = options.graceMs;
    this.#retiredTtl = options.retiredTtlMs ?? DEFAULT_ALERT_GC_INTERVAL_MS;
    defineScripts(client);
  }

  async merge(changes: readonly GroupChanges[], now: number): Promise<number> {
    let created = 0;
    for (let i = 0; i < changes.length; i += BATCH) {
      const calls = changes.slice(i, i + BATCH).map((change) => this.#mergeCall(change, now));
      for (const reply of await execBatch(this.#client, calls)) created += reply as number;
    }
    return created;
  }

  #mergeCall({ groupId, group, removed, heldUntil }: GroupChanges, now: number): RedisCall {
    const keys = this.#keys.group(groupId);
    const held = group
      ? [group.key, group.routeId, group.receiver, JSON.stringify(group.labels), group.createdAt, group.origin, group.lastTick]
      : Array<string>(7).fill('');
    const alerts = group?.alerts ?? [];
    const log = Object.entries(group?.log ?? {});
    return [
      scripts.mergeGroup.command,
      keys.meta,
      keys.alerts,
      keys.log,
      keys.due,
      keys.ids,
      keys.retiredUntil,
      groupId,
      this.#grace,
      group?.due ?? now,
      heldUntil === undefined ? '' : heldUntil,
      ...held,
      this.#retiredTtl,
      keys.retired,
      alerts.length,
      log.length,
      ...alerts.flatMap((alert) => [alert.fingerprint, encodeAlert(alert)]),
      ...log.flatMap(([integration, entry]) => [integration, encodeLogEntry(entry)]),
      ...removed.flatMap((alert) => [alert.fingerprint, encodeAlert(alert)]),
    ];
  }
}
