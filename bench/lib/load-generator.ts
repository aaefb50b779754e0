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

/** Posts every body to /api/v2/alerts from `concurrency` senders, each waiting for its answer before its next request. */
export async function postAll(pool: Pool, bodies: readonly Buffer[], concurrency: number, timeoutMs: number): Promise<LoadResult> {
  const latencies = new Float64Array(bodies.length);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (message: string): void => {
    errors++;
    firstError ??= message;
  };
  const started = performance.now();
  const deadline = started + timeoutMs;
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++;
      if (performance.now() > deadline) {
        fail(`not sent within ${timeoutMs} ms`);
        continue;
      }
      const sent = performance.now();
      try {
        const response = await pool.request({ path: ALERTS_PATH, method: 'POST', headers: JSON_HEADERS, body: bodies[index] });
        const text = await response.body.text();
        if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
      } catch (error) {
        fail((error as Error).message);
      }
      latencies[index] = performance.now() - sent;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return { requests: bodies.length, elapsedMs: performance.now() - started, latenciesMs: latencies, errors, ...(firstError && { firstError }) };
}
