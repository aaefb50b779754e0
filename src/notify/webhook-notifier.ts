import { setTimeout as delay } from 'node:timers/promises';
import type { WebhookConfig } from '../config/config.ts';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';
import {
  HttpDispatchers,
  MAX_FOLLOWED_REDIRECTS,
  type DispatcherSource,
} from './http-dispatchers.ts';
import { NotifyError, abortError, deadlineError, stoppedBy, timerDelay } from './notify-error.ts';
import { deliver, type DeliveryResult } from './retry.ts';
import type { WebhookMessage } from './webhook-message.ts';
import { buildWebhookPayload } from './webhook-payload.ts';
import { postWebhook, type WebhookAnswer, type WebhookTarget } from './webhook-post.ts';
import { webhookRequest } from './webhook-request.ts';
import type { NotificationOutcome, NotifyMetrics } from '../telemetry/metrics.ts';

/** The part of a pino logger the notifier uses. */
export interface NotifyLogger {
  warn(details: Record<string, unknown>, message: string): void;
  debug(details: Record<string, unknown>, message: string): void;
}

export interface WebhookNotifierOptions {
  /** Grouper's version: requests carry `User-Agent: Grouper/<version>`. */
  readonly version: string;
  readonly logger: NotifyLogger;
  /** Default: HttpDispatchers owned by the notifier and closed by close(). */
  readonly dispatchers?: DispatcherSource;
  /** Per receiver name. Default: 32 requests in flight. */
  readonly limiter?: ConcurrencyLimiter;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly metrics?: NotifyMetrics;
}

export const DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER = 32;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRY_MESSAGE = 'Notify attempt failed, will retry later';

/** Sends Alertmanager webhook notifications (payload version 4) over HTTP with undici. */
export class WebhookNotifier {
  readonly #userAgent: string;
  readonly #logger: NotifyLogger;
  readonly #dispatchers: DispatcherSource;
  readonly #ownedDispatchers: HttpDispatchers | undefined;
  readonly #limiter: ConcurrencyLimiter;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #metrics: NotifyMetrics | undefined;
  readonly #targets = new WeakMap<WebhookConfig, WebhookTarget>();

  constructor(options: WebhookNotifierOptions) {
    this.#userAgent = `Grouper/${options.version}`;
    this.#logger = options.logger;
    if (options.dispatchers === undefined) {
      this.#ownedDispatchers = new HttpDispatchers();
      this.#dispatchers = this.#ownedDispatchers;
    } else {
      this.#ownedDispatchers = undefined;
      this.#dispatchers = options.dispatchers;
    }
    this.#limiter = options.limiter ?? new ConcurrencyLimiter(DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.#metrics = options.metrics;
  }

  /**
   * Delivers `message` with Alertmanager's retries until `deadline` (epoch ms) or `signal`.
   * The scheduler's deadline is the flush tick + max(group_interval, 10 s).
   */
  async notify(
    config: WebhookConfig,
    message: WebhookMessage,
    options: { readonly deadline: number; readonly signal: AbortSignal },
  ): Promise<DeliveryResult> {
    let body: Buffer;
    try {
      body = payload(config, message);
    } catch (error) {
      const { code, message: text } = error as NotifyError;
      return { ok: false, retryable: false, code, error: text, attempts: 0 };
    }
    const { receiver, groupKey } = message;
    let previousError: string | undefined;
    const result = await deliver(
      async (signal, attempt) => {
        const startedAt = performance.now();
        try {
          await this.#post(config, message.receiver, body, signal, options.deadline);
          this.#metrics?.notificationRequest('webhook', true, (performance.now() - startedAt) / 1000);
        } catch (error) {
          this.#metrics?.notificationRequest('webhook', false, (performance.now() - startedAt) / 1000);
          if (error instanceof NotifyError && error.retryable && !stoppedBy(error, signal)) {
            // Alertmanager warns when the error changes, not on every attempt.
            const details = { receiver, groupKey, attempts: attempt, code: error.code, err: error.message };
            if (error.message === previousError) this.#logger.debug(details, RETRY_MESSAGE);
            else this.#logger.warn(details, RETRY_MESSAGE);
            previousError = error.message;
          }
          throw error;
        }
      },
      // Spelt out rather than spread, as below: this runs for every notification.
      { deadline: options.deadline, signal: options.signal, random: this.#random, now: this.#now, sleep: this.#sleep },
    );
    if (result.ok) this.#logger.debug({ receiver, groupKey, attempts: result.attempts }, 'Notify success');
    this.#metrics?.notification('webhook', outcomeOf(result));
    return result;
  }

  /** One attempt: resolves on 2xx, otherwise rejects with a NotifyError. */
  async send(config: WebhookConfig, message: WebhookMessage, signal: AbortSignal): Promise<void> {
    await this.#post(config, message.receiver, payload(config, message), signal, Infinity);
  }

  /** Closes the connections if the notifier created its dispatchers. */
  async close(): Promise<void> {
    await this.#ownedDispatchers?.close();
  }

  #post(config: WebhookConfig, receiver: string, body: Buffer, signal: AbortSignal, deadline: number): Promise<void> {
    return this.#limiter.run(receiver, signal, deadline - this.#now(), () => this.#request(config, body, signal, deadline));
  }

  /** One POST, stopped when `signal` aborts, at the deadline, or after the webhook's own timeout. */
  async #request(config: WebhookConfig, body: Buffer, signal: AbortSignal, deadline: number): Promise<void> {
    if (signal.aborted) throw abortError(signal);
    const left = deadline - this.#now();
    if (left <= 0) throw deadlineError();
    const post = postWebhook(this.#dispatchers.dispatcherFor(config.httpConfig), this.#target(config), body);
    const onAbort = (): void => post.stop(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    // One timer for both limits: whichever comes first.
    const timedOut = config.timeout > 0 && config.timeout <= left;
    const timer =
      left < Infinity || timedOut
        ? setTimeout(
            () => post.stop(timedOut ? timeoutError(config.timeout) : deadlineError()),
            timerDelay(timedOut ? config.timeout : left),
          )
        : undefined;
    let answer: WebhookAnswer;
    try {
      answer = await post.answer;
    } catch (error) {
      if (error instanceof NotifyError) throw error;
      throw new NotifyError('GROUPER_NOTIFY_TRANSPORT', `Post "<redacted>": ${detail(error)}`, true);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    check(answer, config.httpConfig.followRedirects);
  }

  /** A config's origin, path and headers, worked out once: configs are immutable and reloads replace them. */
  #target(config: WebhookConfig): WebhookTarget {
    let target = this.#targets.get(config);
    if (target === undefined) {
      const { url, headers } = webhookRequest(config, this.#userAgent);
      const { origin, pathname, search } = new URL(url);
      target = { origin, path: `${pathname}${search}`, headers };
      this.#targets.set(config, target);
    }
    return target;
  }
}

/** Alertmanager's failure reasons for alertmanager_notifications_failed_total. */
function outcomeOf(result: DeliveryResult): NotificationOutcome {
  if (result.ok) return 'ok';
  switch (result.code) {
    case 'GROUPER_NOTIFY_DEADLINE':
      return 'contextDeadlineExceeded';
    case 'GROUPER_NOTIFY_ABORTED':
      return 'contextCanceled';
    case 'GROUPER_NOTIFY_STATUS':
      if (result.status !== undefined && result.status >= 400 && result.status < 500) return 'clientError';
      if (result.status !== undefined && result.status >= 500) return 'serverError';
      return 'other';
    default:
      return 'other';
  }
}

/**
 * Encoded at once, while the freshly built string is in cache: a notification may wait its turn
 * behind others to the same receiver, and a string held meanwhile is copied by every GC.
 */
function payload(config: WebhookConfig, message: WebhookMessage): Buffer {
  try {
    return Buffer.from(buildWebhookPayload(message, config.maxAlerts));
  } catch (error) {
    const text = `cannot encode payload: ${(error as Error).message}`;
    throw new NotifyError('GROUPER_NOTIFY_PAYLOAD', text, false);
  }
}

/** Alertmanager's reading of a webhook response. */
function check({ statusCode, hasLocation, body }: WebhookAnswer, followRedirects: boolean): void {
  if (statusCode >= 200 && statusCode < 300) return;
  if (followRedirects && REDIRECT_STATUSES.has(statusCode) && hasLocation) {
    const text = `Post "<redacted>": stopped after ${MAX_FOLLOWED_REDIRECTS + 1} redirects`;
    throw new NotifyError('GROUPER_NOTIFY_TRANSPORT', text, true);
  }
  const text = `unexpected status code ${statusCode}${body === '' ? '' : `: ${body}`}`;
  throw new NotifyError('GROUPER_NOTIFY_STATUS', text, statusCode >= 500 && statusCode < 600, statusCode);
}

function timeoutError(timeout: number): NotifyError {
  return new NotifyError('GROUPER_NOTIFY_TIMEOUT', `Post "<redacted>": configured webhook timeout reached (${timeout}ms)`, true);
}

/** An undici or socket error's message, with its code when the message lacks it. */
function detail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}
