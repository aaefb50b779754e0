import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** One Grouper process, as /api/v2/status lists it among the cluster's peers. */
export interface Replica {
  /** Unique per process start (ULID-like: sortable by start time). */
  readonly name: string;
  /** Where it listens, `host:port`. */
  readonly address: string;
  readonly startedAt: number;
  /** Its latest heartbeat, epoch milliseconds. */
  readonly lastSeen: number;
}

export type ReplicaIdentity = Omit<Replica, 'lastSeen'>;

/** The replicas sharing one store, this one included. */
export interface ReplicaRegistry {
  readonly self: ReplicaIdentity;
  /** The live replicas, sorted by name. */
  peers(): Promise<Replica[]>;
  /** Announces this replica and keeps announcing it until stop(). */
  start(): Promise<void>;
  /** Stops announcing and withdraws this replica. */
  stop(): Promise<void>;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32 (26 characters). */
export function newReplicaName(now: number): string {
  let time = '';
  for (let rest = now, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = CROCKFORD[rest % 32] + time;
  let random = '';
  for (const byte of randomBytes(16)) random += CROCKFORD[byte % 32];
  return time + random;
}

/** A single replica with its state in memory: the only peer is itself. */
export class MemoryReplicaRegistry implements ReplicaRegistry {
  readonly self: ReplicaIdentity;
  readonly #clock: () => number;

  constructor(self: ReplicaIdentity, clock: () => number = Date.now) {
    this.self = self;
    this.#clock = clock;
  }

  async peers(): Promise<Replica[]> {
    return [{ ...this.self, lastSeen: this.#clock() }];
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

export interface RedisReplicaRegistryOptions {
  /** The store's key prefix: the registry is the hash `<prefix>:replicas`. */
  readonly prefix: string;
  readonly self: ReplicaIdentity;
  readonly clock?: () => number;
  /** Default 5 s. */
  readonly heartbeatMs?: number;
  /** A replica not heard from for this long is gone. Default 3 heartbeats. */
  readonly staleMs?: number;
  /** A heartbeat or withdrawal that failed (Redis unavailable); the next heartbeat retries. */
  readonly onError?: (err: unknown) => void;
}

/**
 * Replicas sharing a Redis store: each writes `{name, address, startedAt, lastSeen}` into one
 * hash every heartbeat and prunes entries that stopped beating; the hash expires when every
 * replica has gone.
 */
export class RedisReplicaRegistry implements ReplicaRegistry {
  readonly self: ReplicaIdentity;
  readonly #client: Redis | Cluster;
  readonly #key: string;
  readonly #clock: () => number;
  readonly #heartbeatMs: number;
  readonly #staleMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: Redis | Cluster, options: RedisReplicaRegistryOptions) {
    this.self = options.self;
    this.#client = client;
    this.#key = `${options.prefix}:replicas`;
    this.#clock = options.clock ?? Date.now;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#staleMs = options.staleMs ?? 3 * this.#heartbeatMs;
    this.#onError = options.onError ?? (() => {});
  }

  async peers(): Promise<Replica[]> {
    const now = this.#clock();
    const entries = await this.#client.hgetall(this.#key);
    return Object.values(entries)
      .map(parseReplica)
      .filter((replica): replica is Replica => replica !== undefined && !this.#isStale(replica, now))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Never fails: while Redis is unavailable the heartbeats report to onError and go on trying. */
  async start(): Promise<void> {
    if (this.#timer !== undefined) return;
    await this.heartbeat().catch(this.#onError);
    this.#timer = setInterval(() => void this.heartbeat().catch(this.#onError), this.#heartbeatMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#client.hdel(this.#key, this.self.name).catch(this.#onError);
  }

  /** Announces this replica now and drops the entries of replicas that stopped announcing. */
  async heartbeat(): Promise<void> {
    const now = this.#clock();
    const replica: Replica = { ...this.self, lastSeen: now };
    await this.#client
      .multi()
      .hset(this.#key, this.self.name, JSON.stringify(replica))
      .pexpire(this.#key, this.#staleMs)
      .exec();
    const entries = await this.#client.hgetall(this.#key);
    const stale = Object.entries(entries)
      .filter(([, text]) => {
        const entry = parseReplica(text);
        return entry === undefined || this.#isStale(entry, now);
      })
      .map(([name]) => name);
    if (stale.length > 0) await this.#client.hdel(this.#key, ...stale);
  }

  #isStale(replica: Replica, now: number): boolean {
    return replica.lastSeen < now - this.#staleMs;
  }
}

function parseReplica(text: string): Replica | undefined {
  try {
    const value = JSON.parse(text) as Partial<Replica>;
    const valid =
      typeof value.name === 'string' &&
      typeof value.address === 'string' &&
      typeof value.startedAt === 'number' &&
      typeof value.lastSeen === 'number';
    return valid ? (value as Replica) : undefined;
  } catch {
    return undefined;
  }
}
