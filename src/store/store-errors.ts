export type StoreErrorCode =
  /** A write expects its group to be absent but does not say how to create it. */
  | 'MISSING_CREATE'
  /** Stored data cannot be decoded. */
  | 'CORRUPT'
  /** The store cannot be reached or cannot take writes right now: worth failing over. */
  | 'UNAVAILABLE'
  /** Redis refused a command for another reason: a bug, not an outage. */
  | 'REDIS_ERROR'
  /** Store settings that cannot work. */
  | 'BAD_SETTINGS';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** Error codes that our Lua scripts raise with `redis.error_reply('<CODE> ...')`. */
const SCRIPT_CODES: Readonly<Record<string, StoreErrorCode>> = { CORRUPT: 'CORRUPT' };

/** Replies of a Redis that is loading, failing over, read-only, out of memory or busy. */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'OOM',
  'BUSY',
  'NOREPLICAS',
]);

/**
 * The one mapping from what a Redis call rejected with to a StoreError. Error replies carry a
 * leading code word; anything that is not a reply (closed connection, timeout, offline queue
 * disabled, retries exhausted) means Redis is unavailable.
 */
export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof Error) || err.name !== 'ReplyError') {
    return new StoreError('UNAVAILABLE', message, { cause: err });
  }
  const word = message.split(' ', 1)[0];
  if (UNAVAILABLE_REPLIES.has(word)) return new StoreError('UNAVAILABLE', message, { cause: err });
  return new StoreError(SCRIPT_CODES[word] ?? 'REDIS_ERROR', message, { cause: err });
}
