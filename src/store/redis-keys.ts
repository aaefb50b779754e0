import { StoreError } from './store-errors.ts';

/** Fixed forever: changing it would strand every stored group in the wrong shard. */
export const SHARDS = 64;

export const ALL_SHARDS: readonly number[] = Array.from({ length: SHARDS }, (_, shard) => shard);

/** The shard of a group: FNV-1a 32 of its id, mod SHARDS. */
export function shardOf(groupId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < groupId.length; i++) {
    hash = Math.imul(hash ^ groupId.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0) % SHARDS;
}

/** The keys of one shard. `meta`, `alerts`, `log` and `retiredUntil` are prefixes to which a group id is appended. */
export interface ShardKeys {
  readonly due: string;
  /** Sorted set of the shard's group ids, all scored 0, so that it is ordered by id. */
  readonly ids: string;
  readonly tokens: string;
  /** Hash of the shard's counts for the limits (lua/shared.lua, count_group). */
  readonly counts: string;
  readonly meta: string;
  readonly alerts: string;
  readonly log: string;
  /** A retired alert: the group id, `:` and its fingerprint are appended (lua/shared.lua, retired_key). */
  readonly retired: string;
  /** Until when a deleted group's retired alerts may be read (lua/shared.lua, retired_until_key). */
  readonly retiredUntil: string;
}

export interface GroupKeys {
  readonly meta: string;
  readonly alerts: string;
  readonly log: string;
  /** Of the group's retired alerts, less the fingerprint. */
  readonly retired: string;
  readonly retiredUntil: string;
  readonly due: string;
  readonly ids: string;
  readonly counts: string;
}

/**
 * Key names: `<prefix>:{<shard>}:<kind>[:<group id>]`. The `{<shard>}` hash tag puts every key
 * of a shard in one Redis Cluster slot, so one script may touch all of them. Besides the
 * group's hashes: `r:<group id>:<fingerprint>`, a retired alert (store.ts, SlotState.retired;
 * lua/shared.lua), and `rg:<group id>`, which a deleted group leaves while its retired alerts
 * may be read.
 */
export class RedisKeys {
  readonly #shards: readonly ShardKeys[];
  /** `<prefix>:{`, from which scripts that take several shards name keys (lua/shared.lua, shard_key). */
  readonly tagPrefix: string;

  constructor(prefix: string) {
    if (/[{}]/.test(prefix)) {
      throw new StoreError('BAD_SETTINGS', `Redis key prefix ${JSON.stringify(prefix)} must not contain { or }`);
    }
    this.tagPrefix = `${prefix}:{`;
    this.#shards = ALL_SHARDS.map((shard) => {
      const tag = `${this.tagPrefix}${shard}}:`;
      return {
        due: `${tag}due`,
        ids: `${tag}ids`,
        tokens: `${tag}token`,
        counts: `${tag}counts`,
        meta: `${tag}g:`,
        alerts: `${tag}a:`,
        log: `${tag}n:`,
        retired: `${tag}r:`,
        retiredUntil: `${tag}rg:`,
      };
    });
  }

  shard(shard: number): ShardKeys {
    return this.#shards[shard];
  }

  group(groupId: string): GroupKeys {
    const shard = this.#shards[shardOf(groupId)];
    return {
      meta: shard.meta + groupId,
      alerts: shard.alerts + groupId,
      log: shard.log + groupId,
      retired: `${shard.retired}${groupId}:`,
      retiredUntil: shard.retiredUntil + groupId,
      due: shard.due,
      ids: shard.ids,
      counts: shard.counts,
    };
  }
}
