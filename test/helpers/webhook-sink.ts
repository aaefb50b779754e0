import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the sink received, with the answer it gave. */
export interface SinkRequest {
  /** Epoch milliseconds at which the request's headers arrived. */
  readonly receivedAt: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  readonly body: unknown;
  readonly status: number;
}

export interface SinkAnswer {
  readonly status: number;
  readonly body?: string;
}

/** Picks the answer to a request; `index` counts every request, `indexOnPath` those on its path. */
export type Responder = (request: { readonly path: string; readonly index: number; readonly indexOnPath: number }) => SinkAnswer;

export const answerOk: Responder = () => ({ status: 200 });

/** Answers `status` to the first `count` requests on each path, then 200. */
export function failFirst(count: number, status = 500): Responder {
  return ({ indexOnPath }) => (indexOnPath < count ? { status, body: `failing on purpose (${status})` } : { status: 200 });
}

const IDLE_CONNECTION_MS = 10 * 60_000;

interface Waiter {
  readonly predicate: (requests: readonly SinkRequest[]) => boolean;
  readonly resolve: () => void;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers as programmed. */
export class WebhookSink {
  readonly url: string;
  readonly #server: Server;
  readonly #requests: SinkRequest[] = [];
  readonly #waiters = new Set<Waiter>();
  #responder: Responder;
  #started = 0;
  readonly #startedOnPath = new Map<string, number>();

  private constructor(server: Server, responder: Responder) {
    this.#server = server;
    this.#responder = responder;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req, res) => {
      const receivedAt = Date.now();
      const path = req.url ?? '/';
      const index = this.#started++;
      const indexOnPath = this.#startedOnPath.get(path) ?? 0;
      this.#startedOnPath.set(path, indexOnPath + 1);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const answer = this.#responder({ path, index, indexOnPath });
        this.#record({ receivedAt, method: req.method ?? '', path, headers: req.headers, raw, body: parseJson(raw), status: answer.status });
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      });
    });
  }

  static start(responder: Responder = answerOk): Promise<WebhookSink> {
    // Node closes idle keep-alive connections after 5 s; a client reusing one at that moment
    // sees a reset and retries, which would blur delivery times.
    const server = createServer({ keepAliveTimeout: IDLE_CONNECTION_MS });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new WebhookSink(server, responder)));
    });
  }

  get requests(): readonly SinkRequest[] {
    return this.#requests;
  }

  respondWith(responder: Responder): void {
    this.#responder = responder;
  }

  /** Resolves as soon as `predicate` holds for the requests received so far. */
  waitFor(predicate: (requests: readonly SinkRequest[]) => boolean, timeoutMs: number): Promise<readonly SinkRequest[]> {
    if (predicate(this.#requests)) return Promise.resolve(this.#requests);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.#requests);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`webhook sink: condition not met within ${timeoutMs} ms (${this.#requests.length} requests received)`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  waitForCount(count: number, timeoutMs = 5_000): Promise<readonly SinkRequest[]> {
    return this.waitFor((requests) => requests.length >= count, timeoutMs);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #record(request: SinkRequest): void {
    this.#requests.push(request);
    for (const waiter of this.#waiters) {
      if (waiter.predicate(this.#requests)) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
