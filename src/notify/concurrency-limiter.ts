import { abortError, deadlineError, timerDelay } from './notify-error.ts';

interface Waiter {
  readonly start: () => void;
}

interface Lane {
  running: number;
  /** In arrival order (a Set iterates in insertion order). */
  readonly waiting: Set<Waiter>;
}

/** At most `limit` tasks run at once per key; the others wait in arrival order. */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #lanes = new Map<string, Lane>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    }
    this.#limit = limit;
  }

  /**
   * Runs `task` once a slot for `key` is free; rejects with a NotifyError if `signal` aborts or
   * `maxWaitMs` (the delivery's deadline) passes first.
   */
  async run<T>(key: string, signal: AbortSignal, maxWaitMs: number, task: () => Promise<T>): Promise<T> {
    await this.#acquire(key, signal, maxWaitMs);
    try {
      return await task();
    } finally {
      this.#release(key);
    }
  }

  /** Tasks of `key` running and waiting. */
  load(key: string): { readonly running: number; readonly waiting: number } {
    const lane = this.#lanes.get(key);
    return { running: lane?.running ?? 0, waiting: lane?.waiting.size ?? 0 };
  }

  #acquire(key: string, signal: AbortSignal, maxWaitMs: number): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { running: 0, waiting: new Set() };
      this.#lanes.set(key, lane);
    }
    if (lane.running < this.#limit) {
      lane.running++;
      return Promise.resolve();
    }
    const { waiting } = lane;
    return new Promise((resolve, reject) => {
      const giveUp = (error: Error): void => {
        waiting.delete(waiter);
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => giveUp(abortError(signal));
      const timer = maxWaitMs < Infinity ? setTimeout(() => giveUp(deadlineError()), timerDelay(maxWaitMs)) : undefined;
      const waiter: Waiter = {
        start() {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      waiting.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(key: string): void {
    const lane = this.#lanes.get(key);
    if (lane === undefined) return;
    const next = lane.waiting.values().next();
    if (!next.done) {
      lane.waiting.delete(next.value);
      next.value.start();
    } else if (--lane.running === 0) {
      this.#lanes.delete(key);
    }
  }
}
