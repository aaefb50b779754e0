import type { Cluster, Redis } from 'ioredis';
import type { FlushOutcome } from '../core/group.ts';
import { DEFAULT_ALERT_GC_INTERVAL_MS } from '../core/merge-alerts.ts';
import { checkWrites } from './check-writes.ts';
import { fairShares } from './fair-shares.ts';
import { defineScripts, scripts } from './lua-scripts.ts';
import { execBatch, type RedisCall } from './redis-batch.ts';
import { decodeAlert, decodeGroup, decodeIncarnation, encodeAlert, encodeLogEntry, type GroupHashes } from './redis-codec.ts';
import { ALL_SHARDS, RedisKeys, SHARDS, shardOf } from './redis-keys.ts';
import { StoreError } from './store-errors.ts';
import { TurnBatch } from './turn-batch.ts';
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

const DAY = 24 * 60 * 60 * 1000;
const COUNTS_MAX_AGE_MS = 50;

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

export interface RedisStoreOptions {
  /** Namespace of every key, e.g. `grouper`; must not contain `{` or `}`. */
  readonly prefix: string;
  /**
   * A group's keys expire this long after its due time (or after now, if that is later). Every
   * write, claim and commit moves the expiry along with the due time, so only a group that no
   * replica has looked at for this long (all replicas down, or a bug) expires. Default 7 days:
   * bounds garbage while outliving any outage of the replicas that is worth surviving.
   */
  readonly graceMs?: number;
  /**
   * Whether each write that adds an alert or a group counts it in usage() at once (true, the
   * default), or only the group's next commit does (false): usage() then lags by what was added
   * since, at most about a group interval, and adding costs Redis nothing more. Only the limits
   * on groups per route and on all alerts need it at once.
   */
  readonly countUsage?: boolean;
  /** How long a retired alert (SlotState.retired) is kept after its removal: `--alerts.gc-interval`, 30 minutes by default. */
  readonly retiredTtlMs?: number;
}

/**
 * The Store in Redis, shared by all replicas (data model in design.md). Each change is one Lua
 * script (on a Cluster, on the keys of one shard); each batch is one round trip. Takes ownership
 * of the client: close() quits it.
 */
export class RedisStore implements Store {
  readonly #client: Redis | Cluster;
  readonly #keys: RedisKeys;
  readonly #grace: number;
  readonly #retiredTtl: string;
  /** ARGV of write-alerts: '1' to count usage as it writes. */
  readonly #countUsage: string;
  /** Where fairShares starts handing out what cannot be split evenly; moves on every claim. */
  #rotation = 0;
  /** The due groups per shard as last counted at `at`, less those claimed since (#dueCounts). */
  #counted: { readonly at: number; readonly counts: number[] } | undefined;
  /** Commits go to Redis a turn's worth at a time: a commit's reply is not urgent, its round trip costs both sides. */
  readonly #commits = new TurnBatch<PackedCommit, boolean>((commits) => this.#sendCommits(commits));

  constructor(client: Redis | Cluster, options: RedisStoreOptions) {
    this.#client = client;
    this.#keys = new RedisKeys(options.prefix);
    this.#grace = options.graceMs ?? 7 * DAY;
    this.#retiredTtl = String(options.retiredTtlMs ?? DEFAULT_ALERT_GC_INTERVAL_MS);
    this.#countUsage = options.countUsage === false ? '' : '1';
    defineScripts(client);
  }

  async readSlots(slots: readonly AlertSlot[], options?: ReadOptions): Promise<SlotState[]> {
    const sizes = options?.groupSizes === true;
    const shards = slots.map((slot) => shardOf(slot.groupId));
    const calls = this.#callsFor(shards);
    const replies = (await execBatch(
      this.#client,
      calls.map(({ shard, items }): RedisCall => {
        const call: [string, ...string[]] = [scripts.readSlots.command, this.#keys.shard(shard).due, this.#keys.tagPrefix, sizes ? '1' : ''];
        for (const index of items) call.push(`${shards[index]}\0${slots[index].groupId}\0${slots[index].fingerprint}`);
        return call;
      }),
    )) as (string | number | null)[][];
    const states = new Array<SlotState>(slots.length);
    calls.forEach(({ items }, c) => {
      const reply = replies[c];
      items.forEach((index, k) => {
        const { fingerprint } = slots[index];
        const encodedRetired = reply[5 * k + 4] as string | null;
        const retired = encodedRetired === null ? undefined : decodeAlert(fingerprint, encodedRetired);
        const group = decodeIncarnation(reply[5 * k] as string | null, reply[5 * k + 1] as string | null);
        let state: SlotState = {};
        if (group !== undefined) {
          const stored = reply[5 * k + 2] as string | null;
          const alert = stored === null ? undefined : decodeAlert(fingerprint, stored);
          state = sizes ? { alert, group, groupSize: reply[5 * k + 3] as number } : { alert, group };
        }
        states[index] = retired === undefined ? state : { ...state, retired };
      });
    });
    return states;
  }

  async writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    checkWrites(writes);
    const shards = writes.map((write) => shardOf(write.group.id));
    const calls = this.#callsFor(shards);
    const replies = (await execBatch(
      this.#client,
      calls.map(({ shard, items }): RedisCall => {
        const { command } = scripts.writeAlerts;
        const call: [string, ...string[]] = [command, this.#keys.shard(shard).due, this.#keys.tagPrefix, String(this.#grace), this.#countUsage];
        for (const index of items) call.push(packWrite(shards[index], writes[index]));
        return call;
      }),
    )) as number[][];
    const applied = new Array<boolean>(writes.length);
    calls.forEach(({ items }, c) => items.forEach((index, k) => (applied[index] = replies[c][k] === 1)));
    return applied;
  }

  /**
   * How items of the given shards go to a batch script (read-slots, write-alerts, claim-due,
   * commit), in order: on one Redis, all in one call, which costs both sides far less than a call
   * per shard; on a Cluster, one call per shard, since one script may only touch one slot's keys
   * there.
   */
  #callsFor(shards: readonly number[]): ScriptCall[] {
    if (shards.length === 0) return [];
    if (!this.#client.isCluster) return [{ shard: shards[0], items: shards.map((_, index) => index) }];
    const byShard = new Map<number, number[]>();
    shards.forEach((shard, index) => {
      const same = byShard.get(shard);
      if (same === undefined) byShard.set(shard, [index]);
      else same.push(index);
    });
    return [...byShard].map(([shard, items]) => ({ shard, items }));
  }


  async claimDue(now: number, leaseMs: number, limit: number): Promise<Claim[]> {
    if (limit <= 0) return [];
    const counts = await this.#dueCounts(now, limit);
    const shares = fairShares(counts, limit, this.#rotation);
    this.#rotation = (this.#rotation + limit) % SHARDS;
    const claiming = ALL_SHARDS.filter((shard) => shares[shard] > 0);
    const leaseEnd = String(now + leaseMs);
    const replies = await execBatch(
      this.#client,
      this.#callsFor(claiming).map(({ shard, items }): RedisCall => {
        const call: [string, ...(string | number)[]] = [scripts.claimDue.command, this.#keys.shard(shard).due, this.#keys.tagPrefix, now, leaseEnd, this.#grace];
        for (const index of items) call.push(claiming[index], shares[claiming[index]]);
        return call;
      }),
    );
    const claims: Claim[] = [];
    for (const reply of replies as (string | number | GroupHashes)[][]) {
      for (let i = 0; i < reply.length; i += 4) {
        const groupId = String(reply[i]);
        const group = decodeGroup(groupId, reply[i + 3] as GroupHashes, leaseEnd);
        if (group === undefined) throw new StoreError('CORRUPT', `claimed group ${groupId} has no createdAt`);
        claims.push({ groupId, token: Number(reply[i + 1]), takenOver: reply[i + 2] === 1, group });
        counts[shardOf(groupId)]--;
      }
    }
    // Counted groups that were not there (claimed by another replica, say): count again next time.
    if (claims.length < limit) this.#counted = undefined;
    return claims;
  }

  /**
   * How many groups are due in each shard. Counting costs a command per shard, so while groups
   * are claimed faster than they fall due, one count serves the claims of COUNTS_MAX_AGE_MS, less
   * what they claimed. Groups that fell due since wait at most that long, which matters only
   * when more are due than this replica can flush at once; a claim that finds fewer than its
   * limit drops the count.
   */
  async #dueCounts(now: number, limit: number): Promise<number[]> {
    const counted = this.#counted;
    if (counted !== undefined && now >= counted.at && now - counted.at < COUNTS_MAX_AGE_MS && sum(counted.counts) >= limit) {
      return counted.counts;
    }
    this.#counted = undefined;
    const counts = (await execBatch(
      this.#client,
      ALL_SHARDS.map((shard): RedisCall => ['zcount', this.#keys.shard(shard).due, '-inf', now]),
    )) as number[];
    this.#counted = { at: now, counts };
    return counts;
  }

  async loadGroup(groupId: string): Promise<StoredGroup | undefined> {
    const [group] = await this.#loadGroups([groupId]);
    return group;
  }

  async extendLease(claim: Claim, now: number, leaseMs: number): Promise<boolean> {
    const keys = this.#keys.group(claim.groupId);
    const { command } = scripts.extendLease;
    const [reply] = await execBatch(this.#client, [
      [command, keys.meta, keys.alerts, keys.log, keys.due, claim.groupId, String(claim.token), now + leaseMs, this.#grace],
    ]);
    return reply === 1;
  }

  /**
   * Reads every shard's id index from `after` on. A shard whose reply was cut short may hold ids
   * beyond its reply, so the page stops at the lowest such cut: every id up to the page's end was
   * in some reply, and a group that exists throughout a scan is in exactly one page, whatever is
   * created or deleted meanwhile. Each shard is asked for twice its even share of the page plus a
   * few, so that uneven shards seldom cut a page short, and for one id more, which tells whether
   * it was cut. Ids are hex, so JavaScript and Redis (bytewise) order them alike.
   */
  async scanGroups(after: string | undefined, limit: number): Promise<GroupPage> {
    const share = Math.min(limit, Math.ceil((2 * limit) / SHARDS) + 4);
    const from = after === undefined ? '-' : `(${after}`;
    const replies = (await execBatch(
      this.#client,
      ALL_SHARDS.map((shard): RedisCall => ['zrangebylex', this.#keys.shard(shard).ids, from, '+', 'LIMIT', 0, share + 1]),
    )) as string[][];
    let complete: string | undefined;
    for (const ids of replies) {
      if (ids.length > share && (complete === undefined || ids[share - 1] < complete)) complete = ids[share - 1];
    }
    const seen = replies.flat().sort();
    const page = seen.filter((id) => complete === undefined || id <= complete).slice(0, limit);
    const groups = await this.#loadGroups(page);
    return {
      groups: groups.filter((group) => group !== undefined),
      ...(seen.length > page.length ? { next: page.at(-1) } : {}),
    };
  }

  async #loadGroups(groupIds: readonly string[]): Promise<(StoredGroup | undefined)[]> {
    const replies = await execBatch(
      this.#client,
      groupIds.map((id): RedisCall => {
        const keys = this.#keys.group(id);
        return [scripts.loadGroup.command, keys.meta, keys.alerts, keys.log, keys.due, id];
      }),
    );
    return replies.map((reply, i) => {
      if (reply === null) return undefined;
      const [hashes, due] = reply as [GroupHashes, string | null];
      return decodeGroup(groupIds[i], hashes, due);
    });
  }

  commit(claim: Claim, outcome: FlushOutcome): Promise<boolean> {
    const shard = shardOf(claim.groupId);
    return this.#commits.add({ shard, packed: packCommit(shard, claim, outcome) });
  }

  #sendCommits(commits: readonly PackedCommit[]): Promise<boolean>[] {
    const committed = new Array<Promise<boolean>>(commits.length);
    for (const { shard, items } of this.#callsFor(commits.map((commit) => commit.shard))) {
      const call: [string, ...string[]] = [scripts.commit.command, this.#keys.shard(shard).due, this.#keys.tagPrefix, String(this.#grace), this.#retiredTtl];
      for (const index of items) call.push(commits[index].packed);
      // Each call on its own: on a Cluster, one shard's node failing fails only its commits.
      const replies = execBatch(this.#client, [call]).then(([reply]) => reply as number[]);
      items.forEach((index, k) => (committed[index] = replies.then((reply) => reply[k] === 1)));
    }
    return committed;
  }

  async nextDue(): Promise<number | undefined> {
    const replies = await execBatch(
      this.#client,
      ALL_SHARDS.map((shard): RedisCall => ['zrange', this.#keys.shard(shard).due, 0, 0, 'WITHSCORES']),
    );
    let earliest: number | undefined;
    for (const reply of replies as string[][]) {
      if (reply.length > 0) earliest = Math.min(earliest ?? Infinity, Number(reply[1]));
    }
    return earliest;
  }

  /** Sums the shards' counts (lua/shared.lua, count_group) in one round trip. */
  async usage(routeIds: readonly string[]): Promise<StoreUsage> {
    const fields = ['alerts', ...routeIds.map((id) => `route:${id}`)];
    const replies = (await execBatch(
      this.#client,
      ALL_SHARDS.map((shard): RedisCall => ['hmget', this.#keys.shard(shard).counts, ...fields]),
    )) as (string | null)[][];
    const sums = fields.map((_, i) => replies.reduce((sum, counts) => sum + Number(counts[i] ?? 0), 0));
    return { alerts: sums[0], groupsByRoute: new Map(routeIds.map((id, i) => [id, sums[i + 1]])) };
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}

/** A batch script call: the shard whose key routes it, and its items' indexes in the batch. */
interface ScriptCall {
  readonly shard: number;
  readonly items: readonly number[];
}

interface PackedCommit {
  readonly shard: number;
  readonly packed: string;
}

/** One commit's argument of lua/commit-1.lua: its fields joined by NUL bytes, as in packWrite. */
function packCommit(shard: number, claim: Claim, { tick, nextDue, log, removeResolved }: FlushOutcome): string {
  const entries = Object.entries(log);
  let packed = `${shard}\0${claim.groupId}\0${claim.token}\0${tick}\0${nextDue}\0${entries.length}`;
  for (const [integration, entry] of entries) packed += `\0${integration}\0${encodeLogEntry(entry)}`;
  for (const { fingerprint, updatedAt } of removeResolved) packed += `\0${fingerprint}\0${updatedAt}`;
  return packed;
}

/**
 * One write's argument of lua/write-alerts-1.lua: its fields joined by NUL bytes, which none
 * holds (JSON and group keys escape them; config loading refuses them in receiver names).
 */
function packWrite(shard: number, { group, alert, expected, create, wakeAt, maxGroupAlerts }: AlertWrite): string {
  const fields =
    `${shard}\0${group.id}\0${alert.fingerprint}\0${encodeAlert(alert)}\0${optional(expected.alertUpdatedAt)}\0` +
    `${optional(expected.groupCreatedAt)}\0${optional(wakeAt)}\0${optional(maxGroupAlerts)}\0${optional(expected.retiredUpdatedAt)}\0`;
  if (create === undefined) return fields;
  const labels = JSON.stringify(group.labels);
  return `${fields}1\0${group.key}\0${group.routeId}\0${group.receiver}\0${labels}\0${create.createdAt}\0${create.origin}`;
}

/** How an optional number crosses into Lua: '' for absent, else as String() writes it. */
function optional(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}
