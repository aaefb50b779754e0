import { NotifyError, abortError, type NotifyErrorCode } from './notify-error.ts';

export interface DeliverOptions {
  /** Epoch ms after which no attempt starts and the one in flight is aborted. */
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
// setTimeout fires at once for delays above 2^31 - 1 ms.
const MAX_TIMER = 2 ** 31 - 1;

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
 * passes or the signal aborts. `attempt` gets a signal that aborts at the deadline too, and
 * its 1-based number; it must fail with a NotifyError: any other error is a bug and rejects
 * the returned promise.
 */
export async function deliver(
  attempt: (signal: AbortSignal, attempt: number) => Promise<void>,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const { deadline, random, now, sleep } = options;
  const stop = stopSignal(options.signal, deadline - now());
  let attempts = 0;
  // The latest failure not caused by stopping, as Alertmanager reports it.
  let lastError: NotifyError | undefined;
  try {
    while (!stop.signal.aborted && now() < deadline) {
      const startedAt = now();
      attempts++;
      try {
        await attempt(stop.signal, attempts);
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
        if (!stop.signal.aborted) lastError = error;
      }
      const nextAt = startedAt + backoffDelay(attempts, random());
      if (nextAt >= deadline) break;
      await sleep(Math.max(nextAt - now(), 0), stop.signal).catch(() => undefined);
    }
    const cause = lastError ?? (stop.signal.aborted ? abortError(stop.signal) : deadlineError());
    return failure(cause, true, `notify retry canceled after ${attempts} attempts`, attempts);
  } finally {
    stop.dispose();
  }
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

function deadlineError(): NotifyError {
  return new NotifyError('GROUPER_NOTIFY_DEADLINE', 'deadline exceeded', true);
}

/** A signal that aborts with a NotifyError when `signal` aborts or after `ms`. */
function stopSignal(signal: AbortSignal, ms: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void =>
    controller.abort(new NotifyError('GROUPER_NOTIFY_ABORTED', 'notification canceled', true));
  const timer = setTimeout(
    () => controller.abort(deadlineError()),
    Math.min(Math.max(ms, 0), MAX_TIMER),
  );
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}
