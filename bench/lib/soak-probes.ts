import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Readings the soak takes every period: resident memory, Redis memory, Grouper's /metrics, its groups. */

const HTTP_TIMEOUT_MS = 10_000;
const GROUPS_PAGE = 1_000;

/** VmRSS: resident memory now (process-stats' peakRssBytes is the high-water mark), in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export interface RssRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Samples each process's RSS every `intervalMs`: a garbage-collected heap saw-tooths between
 * collections, so one reading per period says little; its range says more.
 */
export class RssSampler {
  readonly #pids: readonly number[];
  readonly #timer: NodeJS.Timeout;
  #ranges: { min: number; max: number }[] = [];

  constructor(pids: readonly number[], intervalMs: number) {
    this.#pids = pids;
    this.#reset();
    this.#timer = setInterval(() => {
      try {
        this.#sample();
      } catch {
        // A process that exited: the soak notices its exit code at the period's end.
      }
    }, intervalMs);
  }

  /** The range of each process's RSS since the previous call, a reading taken now included. */
  take(): RssRange[] {
    this.#sample();
    const ranges = this.#ranges;
    this.#reset();
    return ranges;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #reset(): void {
    this.#ranges = this.#pids.map(() => ({ min: Infinity, max: 0 }));
  }

  #sample(): void {
    this.#pids.forEach((pid, i) => {
      const rss = rssBytes(pid);
      this.#ranges[i].min = Math.min(this.#ranges[i].min, rss);
      this.#ranges[i].max = Math.max(this.#ranges[i].max, rss);
    });
  }
}

export interface RedisMemory {
  readonly usedBytes: number;
  readonly rssBytes: number;
  readonly keys: number;
}

export async function redisMemory(client: Redis): Promise<RedisMemory> {
  const [info, keys] = await Promise.all([client.info('memory'), client.dbsize()]);
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return { usedBytes: field('used_memory'), rssBytes: field('used_memory_rss'), keys };
}

/** One scrape: every sample by its series text (`name{labels}`). */
export type Scrape = ReadonlyMap<string, number>;

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${response.status}`);
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The sum over scrapes of one series, 0 where absent. */
export function total(scrapes: readonly Scrape[], series: string): number {
  return scrapes.reduce((sum, samples) => sum + (samples.get(series) ?? 0), 0);
}

const LATENESS_BUCKET = 'grouper_scheduler_flush_lateness_seconds_bucket{le="';

export interface Quantile {
  readonly seconds: number;
  /** The quantile lies past the largest finite bucket: `seconds` is that bucket's bound. */
  readonly beyond: boolean;
  readonly count: number;
}

/**
 * The `q` quantile of the flush-lateness observations made between two sets of scrapes (one
 * scrape per replica each), interpolated linearly inside its bucket as histogram_quantile does.
 */
export function latenessQuantile(before: readonly Scrape[], after: readonly Scrape[], q: number): Quantile {
  const bounds = [...after[0].keys()]
    .filter((series) => series.startsWith(LATENESS_BUCKET))
    .map((series) => series.slice(LATENESS_BUCKET.length, -2))
    .map((le) => ({ le, bound: le === '+Inf' ? Infinity : Number(le) }))
    .sort((a, b) => a.bound - b.bound);
  const cumulative = bounds.map(({ le }) => total(after, `${LATENESS_BUCKET}${le}"}`) - total(before, `${LATENESS_BUCKET}${le}"}`));
  const count = cumulative.at(-1) ?? 0;
  if (count === 0) return { seconds: 0, beyond: false, count };
  const rank = q * count;
  const index = cumulative.findIndex((cum) => cum >= rank);
  const upper = bounds[index].bound;
  const lower = index === 0 ? 0 : bounds[index - 1].bound;
  if (upper === Infinity) return { seconds: lower, beyond: true, count };
  const below = index === 0 ? 0 : cumulative[index - 1];
  return { seconds: lower + ((upper - lower) * (rank - below)) / (cumulative[index] - below), beyond: false, count };
}

interface GroupsPage {
  readonly groups: readonly { readonly groupKey: string; readonly createdAt: string }[];
  readonly nextCursor?: string | null;
}

/**
 * Each group's first tick: created + group_wait (the soak's alerts start when first posted, so
 * no group flushes at once). Later ticks are that plus multiples of group_interval, which lets
 * the sink tell how late each notification arrived.
 */
export async function groupOrigins(url: string, groupWaitMs: number): Promise<Map<string, number>> {
  const origins = new Map<string, number>();
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(GROUPS_PAGE), ...(cursor !== undefined && { cursor }) });
    const response = await fetch(`${url}/api/v1/groups?${query}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    if (response.status !== 200) throw new Error(`GET ${url}/api/v1/groups: HTTP ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as GroupsPage;
    for (const group of page.groups) origins.set(group.groupKey, Date.parse(group.createdAt) + groupWaitMs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return origins;
}
