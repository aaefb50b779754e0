import { NotifyError, abortError, deadlineError, stoppedBy, type NotifyErrorCode } from './notify-error.ts';

export interface DeliverOptions {
  /** Epoch ms after which no attempt starts; the attempt in flight must end by then. */
  readonly deadline: number;
  /** Cancels the delivery (reload, shutdown). */
  readonly signal: AbortSignal;
  /** Uniform in [0, 1): the backoff jitter. */
  readonly random: () => number;
  readonly now: () => number;
  /** Waits `ms`; may return early or reject once `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type DeliveryResult =
  | { readonly ok: true; readonly attempts: number }
  | {
      readonly ok: false;
      /** False when the receiver refused for good (4xx, 3xx); the next flush tries again anyway. */
      readonly retryable: boolean;
      /** The code of the error that `error` describes. */
      readonly code: NotifyErrorCode;
      readonly error: string;
      /** The HTTP status of the last answer, when the receiver answered. */
      readonly status?: number;
      readonly attempts: number;
    };

const INITIAL_INTERVAL = 500;
const MULTIPLIER = 1.5;
const MAX_INTERVAL = 60_000;
const JITTER = 0.5;

/**
 * How long after the start of attempt number `attempt` (1-based) the next one starts:
 * 500 ms × 1.5^(attempt−1), at most 60 s, scaled by ±50% jitter (cenkalti/backoff defaults).
 */
export function backoffDelay(attempt: number, random: number): number {
  const interval = Math.min(INITIAL_INTERVAL * MULTIPLIER ** (attempt - 1), MAX_INTERVAL);
  return interval * (1 - JITTER + 2 * JITTER * random);
}

/**
 * Alertmanager's retry stage: attempts until one succeeds, one fails for good, the deadline
 * passes or the signal aborts. No attempt starts at or after the deadline; `attempt`, given the
 * caller's signal and its 1-based number, must itself end by the deadline (webhook-notifier.ts
 * times each request out at it) and stop when the signal aborts. It must fail with a NotifyError:
 * any other error is a bug and rejects the returned promise. Nothing here allocates a signal or
 * a timer of its own: this runs for every notification.
 */
export async function deliver(
  attempt: (signal: AbortSignal, attempt: number) => Promise<void>,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const { deadline, signal, random, now, sleep } = options;
  let attempts = 0;
  // The latest failure not caused by stopping, as Alertmanager reports it.
  let lastError: NotifyError | undefined;
  while (!signal.aborted && now() < deadline) {
    const startedAt = now();
    attempts++;
    try {
      await attempt(signal, attempts);
      return { ok: true, attempts };
    } catch (error) {
      if (!(error instanceof NotifyError)) throw error;
      if (!error.retryable) {
        return failure(
          error,
          false,
          `notify retry canceled due to unrecoverable error after ${attempts} attempts`,
          attempts,
        );
      }
      if (!stoppedBy(error, signal)) lastError = error;
    }
    const nextAt = startedAt + backoffDelay(attempts, random());
    if (nextAt >= deadline) break;
    await sleep(Math.max(nextAt - now(), 0), signal).catch(() => undefined);
  }
  const cause = lastError ?? (signal.aborted ? abortError(signal) : deadlineError());
  return failure(cause, true, `notify retry canceled after ${attempts} attempts`, attempts);
}

function failure(
  error: NotifyError,
  retryable: boolean,
  prefix: string,
  attempts: number,
): DeliveryResult {
  const { code, status } = error;
  return { ok: false, retryable, code, error: `${prefix}: ${error.message}`, attempts, ...(status !== undefined && { status }) };
}
