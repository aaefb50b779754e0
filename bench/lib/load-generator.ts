import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

const ALERTS_PATH = '/api/v2/alerts';
const JSON_HEADERS = { 'content-type': 'application/json' };
const REQUEST_TIMEOUT_MS = 30_000;

export interface LoadResult {
  readonly requests: number;
  readonly elapsedMs: number;
  /** Per request, from sending to the end of the response body. */
  readonly latenciesMs: Float64Array;
  /** Answers other than 200, failed requests, and requests not sent before the deadline. */
  readonly errors: number;
  readonly firstError?: string;
}

/** Keep-alive connections to `url`, one per sender, no pipelining (as Prometheus sends). */
export function senderPool(url: string, concurrency: number): Pool {
  return new Pool(url, {
    connections: concurrency,
    pipelining: 1,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 5 * 60_000,
  });
}

/** Counts failures and times requests for a LoadResult. */
class LoadRecorder {
  readonly latencies: Float64Array;
  readonly started = performance.now();
  errors = 0;
  firstError: string | undefined;

  constructor(requests: number) {
    this.latencies = new Float64Array(requests);
  }

  fail(message: string): void {
    this.errors++;
    this.firstError ??= message;
  }

  async post(pool: Pool, bodies: readonly Buffer[], index: number): Promise<void> {
    const sent = performance.now();
    try {
      const response = await pool.request({ path: ALERTS_PATH, method: 'POST', headers: JSON_HEADERS, body: bodies[index] });
      const text = await response.body.text();
      if (response.statusCode !== 200) this.fail(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
    } catch (error) {
      this.fail((error as Error).message);
    }
    this.latencies[index] = performance.now() - sent;
  }

  result(): LoadResult {
    const { latencies: latenciesMs, errors, firstError } = this;
    return { requests: latenciesMs.length, elapsedMs: performance.now() - this.started, latenciesMs, errors, ...(firstError && { firstError }) };
  }
}

/** Posts every body to /api/v2/alerts from `concurrency` senders, each waiting for its answer before its next request. */
export async function postAll(pool: Pool, bodies: readonly Buffer[], concurrency: number, timeoutMs: number): Promise<LoadResult> {
  const recorder = new LoadRecorder(bodies.length);
  const deadline = recorder.started + timeoutMs;
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++;
      if (performance.now() > deadline) recorder.fail(`not sent within ${timeoutMs} ms`);
      else await recorder.post(pool, bodies, index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return recorder.result();
}

/** Posts the bodies evenly spread over `spanMs`, each on time whether or not earlier ones were answered. */
export async function postPaced(pool: Pool, bodies: readonly Buffer[], spanMs: number): Promise<LoadResult> {
  const recorder = new LoadRecorder(bodies.length);
  const posts = bodies.map(async (_, index) => {
    await sleep(recorder.started + (index * spanMs) / bodies.length - performance.now());
    await recorder.post(pool, bodies, index);
  });
  await Promise.all(posts);
  return recorder.result();
}
