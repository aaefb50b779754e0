export type NotifyErrorCode =
  /** The receiver answered with a status other than 2xx (retryable for 5xx). */
  | 'GROUPER_NOTIFY_STATUS'
  /** Connecting, sending or reading failed, or redirects did not end. */
  | 'GROUPER_NOTIFY_TRANSPORT'
  /** The webhook's own per-request `timeout` passed. */
  | 'GROUPER_NOTIFY_TIMEOUT'
  /** The delivery deadline passed. */
  | 'GROUPER_NOTIFY_DEADLINE'
  /** The caller cancelled the delivery (reload, shutdown). */
  | 'GROUPER_NOTIFY_ABORTED'
  /** The payload cannot be encoded (a time outside the years 0–9999). */
  | 'GROUPER_NOTIFY_PAYLOAD';

/** Why one notification attempt failed. Messages never contain URLs or credentials. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
  readonly code: NotifyErrorCode;
  /** Whether another attempt within the same flush may succeed. */
  readonly retryable: boolean;
  /** The HTTP status, for GROUPER_NOTIFY_STATUS. */
  readonly status: number | undefined;

  constructor(code: NotifyErrorCode, message: string, retryable: boolean, status?: number) {
    super(message);
    this.code = code;
    this.retryable = retryable;
    this.status = status;
  }
}

/** The error to report for an aborted signal: its reason when that is a NotifyError. */
export function abortError(signal: AbortSignal): NotifyError {
  return signal.reason instanceof NotifyError
    ? signal.reason
    : new NotifyError('GROUPER_NOTIFY_ABORTED', 'notification canceled', true);
}

/**
 * Whether an attempt failed because its delivery was stopped (canceled, or out of time) rather
 * than through the receiver.
 */
export function stoppedBy(error: NotifyError, signal: AbortSignal): boolean {
  return signal.aborted || error.code === 'GROUPER_NOTIFY_DEADLINE';
}

export function deadlineError(): NotifyError {
  return new NotifyError('GROUPER_NOTIFY_DEADLINE', 'deadline exceeded', true);
}

// setTimeout fires at once for delays above 2^31 - 1 ms.
const MAX_TIMER = 2 ** 31 - 1;

/** A timer for `ms` from now that setTimeout can hold: longer delays are cut to its maximum. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), MAX_TIMER);
}
