import type { Dispatcher } from 'undici';

/** What a receiver answered to one POST. */
export interface WebhookAnswer {
  readonly statusCode: number;
  readonly hasLocation: boolean;
  /** For an answer other than 2xx, the first bytes of its body as text (a cut last character dropped). */
  readonly body: string;
}

/** Where one webhook POSTs. */
export interface WebhookTarget {
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WebhookPost {
  readonly answer: Promise<WebhookAnswer>;
  /** Aborts the request; `answer` rejects with `reason`. */
  stop(reason: Error): void;
}

/** Of an error body, what is kept for the message. */
const KEPT_BYTES = 1024;
/** Past this much of an error body, closing the connection is cheaper than reading on. */
const DISCARD_AFTER = 64 * 1024;

/**
 * One POST through undici's dispatch API: notifications need the status and, on failure, the
 * start of the body, so the response is read in place, without a stream or promise per body.
 * A 2xx body is read away so the connection can be reused.
 */
export function postWebhook(dispatcher: Dispatcher, target: WebhookTarget, body: Buffer): WebhookPost {
  let controller: Dispatcher.DispatchController | undefined;
  let stopped: Error | undefined;
  let statusCode = 0;
  let hasLocation = false;
  let failed = false;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  let discarded = false;
  const { promise: answer, resolve, reject } = settled<WebhookAnswer>();
  const answered = (): void => {
    const text = failed ? new TextDecoder().decode(Buffer.concat(kept).subarray(0, KEPT_BYTES), { stream: true }) : '';
    resolve({ statusCode, hasLocation, body: text });
  };

  const options = { origin: target.origin, path: target.path, method: 'POST' as const, headers: target.headers, body };
  try {
    dispatcher.dispatch(options, {
      onRequestStart(started) {
        controller = started;
        if (stopped) started.abort(stopped);
      },
      onResponseStart(_, status, headers) {
        statusCode = status;
        hasLocation = headers.location !== undefined;
        failed = status < 200 || status >= 300;
      },
      onResponseData(current, chunk) {
        if (!failed) return;
        if (keptBytes < KEPT_BYTES) {
          kept.push(chunk);
          keptBytes += chunk.length;
        }
        readBytes += chunk.length;
        if (readBytes > DISCARD_AFTER) {
          discarded = true;
          current.abort(new Error('error body discarded'));
        }
      },
      onResponseEnd: answered,
      onResponseError(_, error) {
        if (discarded && stopped === undefined) answered();
        else reject(stopped ?? error);
      },
    });
  } catch (error) {
    reject(error as Error);
  }

  return {
    answer,
    stop(reason) {
      if (stopped) return;
      stopped = reason;
      controller?.abort(reason);
    },
  };
}

/** Promise.withResolvers, which Node 20 lacks. */
function settled<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
