import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load-config.ts';
import { wireEngine } from '../../src/engine/engine.ts';
import type { Notifier, NotifyRequest } from '../../src/engine/notifier.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import type { SchedulerOptions } from '../../src/engine/scheduler.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { silentLogger, type Logger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { makeAlert } from '../helpers/core-fixtures.ts';

const CONFIG = `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 10ms
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9/unused
`;

/** Holds deliveries of groups named `Slow*` until released; the others succeed at once. */
class HeldNotifier implements Notifier {
  readonly calls: string[] = [];
  readonly #awaited = new Map<string, () => void>();
  readonly #started: Promise<void>;
  readonly #release: Promise<void>;
  #onStart!: () => void;
  release!: () => void;

  constructor() {
    this.#started = new Promise((resolve) => (this.#onStart = resolve));
    this.#release = new Promise((resolve) => (this.release = resolve));
  }

  /** Resolves once a held delivery has started. */
  started(): Promise<void> {
    return this.#started;
  }

  /** Resolves once the group `alertname` has been notified. */
  notified(alertname: string): Promise<void> {
    if (this.calls.includes(alertname)) return Promise.resolve();
    return new Promise((resolve) => this.#awaited.set(alertname, resolve));
  }

  async notify(request: NotifyRequest, _deadline: number, signal: AbortSignal): Promise<boolean> {
    const name = request.group.labels.alertname;
    this.calls.push(name);
    this.#awaited.get(name)?.();
    if (!name.startsWith('Slow')) return true;
    this.#onStart();
    // As a webhook request does while it runs.
    const onAbort = (): void => {};
    signal.addEventListener('abort', onAbort);
    await this.#release;
    signal.removeEventListener('abort', onAbort);
    return true;
  }
}

interface Engine {
  readonly store: MemoryStore;
  readonly notifier: HeldNotifier;
  post(...alertnames: string[]): Promise<void>;
  stop(): Promise<void>;
}

function startEngine(options: Partial<SchedulerOptions>, deps: { store?: MemoryStore; logger?: Logger } = {}): Engine {
  const runtime = buildRuntime(parseConfig(CONFIG, 'scheduler.test.yml'));
  const store = deps.store ?? new MemoryStore();
  const notifier = new HeldNotifier();
  const metrics = new Metrics({ version: 'test', collectDefault: false });
  const { scheduler, dispatcher } = wireEngine({
    store,
    notifier,
    runtime: () => runtime,
    clock: Date.now,
    logger: deps.logger ?? silentLogger,
    metrics,
    scheduler: { pollMs: 50, ...options },
  });
  scheduler.start();
  return {
    store,
    notifier,
    async post(...alertnames) {
      const now = Date.now();
      await dispatcher.ingest(alertnames.map((alertname) => makeAlert({ alertname }, { startsAt: now, endsAt: now + 3_600_000, updatedAt: now })), now);
    },
    async stop() {
      notifier.release();
      await scheduler.stop(1_000);
    },
  };
}

test('a flush whose delivery outlasts its lease keeps renewing it: no other replica can claim the group', { timeout: 30_000 }, async () => {
  const LEASE_MS = 300;
  const engine = startEngine({ leaseMs: LEASE_MS });
  try {
    await engine.post('Slow');
    await engine.notifier.started();
    // Three leases pass while the delivery is held: unrenewed, the lease would have lapsed twice.
    await delay(3 * LEASE_MS);
    assert.deepEqual(await engine.store.claimDue(Date.now(), LEASE_MS, 10), [], 'another replica claimed the group');
    assert.deepEqual(engine.notifier.calls, ['Slow'], 'the group was flushed again while its flush was in progress');
  } finally {
    await engine.stop();
  }
});

test('flushes held up by a slow receiver stop counting against the active limit, so other groups still flush', { timeout: 10_000 }, async () => {
  const engine = startEngine({ maxActive: 2, slowAfterMs: 200 });
  try {
    await engine.post('Slow1');
    await engine.post('Slow2');
    await engine.notifier.started();
    await engine.post('Fast');
    // If held flushes counted for good, Fast would wait for their release, and the test time out.
    await engine.notifier.notified('Fast');
    assert.deepEqual(new Set(engine.notifier.calls), new Set(['Slow1', 'Slow2', 'Fast']));
  } finally {
    await engine.stop();
  }
});

test('at most maxActive flushes start before the first of them becomes slow', { timeout: 30_000 }, async () => {
  const engine = startEngine({ maxActive: 2, slowAfterMs: 60_000 });
  try {
    for (const name of ['Slow1', 'Slow2', 'Slow3']) await engine.post(name);
    await engine.notifier.started();
    // The third group is due within 10 ms; give the loop a few polls to (wrongly) start it.
    await delay(300);
    assert.equal(engine.notifier.calls.length, 2);
  } finally {
    await engine.stop();
  }
});

test('flushes claimed together share a signal without a listener-leak warning', { timeout: 30_000 }, async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  const engine = startEngine({});
  try {
    const names = Array.from({ length: 20 }, (_, i) => `Slow${i}`);
    await engine.post(...names);
    await engine.notifier.notified('Slow19');
    assert.equal(new Set(engine.notifier.calls).size, 20);
    await new Promise(setImmediate);
    assert.deepEqual(warnings.map((warning) => warning.name), []);
  } finally {
    process.off('warning', onWarning);
    await engine.stop();
  }
});

/** Commits at once, as a store does, but answers only once released: a reply still on its way. */
class SlowReplyStore extends MemoryStore {
  /** Resolves once a commit has been applied. */
  readonly applied: Promise<void>;
  readonly #reply: Promise<void>;
  #onApplied!: () => void;
  release!: () => void;

  constructor() {
    super();
    this.applied = new Promise((resolve) => (this.#onApplied = resolve));
    this.#reply = new Promise((resolve) => (this.release = resolve));
  }

  override async commit(...args: Parameters<MemoryStore['commit']>): Promise<boolean> {
    const committed = await super.commit(...args);
    this.#onApplied();
    await this.#reply;
    return committed;
  }
}

test('a flush whose commit is on its way renews no lease, so it reports no lost lease', { timeout: 30_000 }, async () => {
  const LEASE_MS = 300;
  const warnings: string[] = [];
  const ignore = (): void => {};
  const logger = { debug: ignore, info: ignore, error: ignore, fatal: ignore, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) } as unknown as Logger;
  const store = new SlowReplyStore();
  const engine = startEngine({ leaseMs: LEASE_MS }, { store, logger });
  try {
    await engine.post('Fast');
    await store.applied;
    // Three renewals pass while the commit's reply is held: the committed lease is gone by then.
    await delay(LEASE_MS);
    assert.deepEqual(warnings, []);
  } finally {
    store.release();
    await engine.stop();
  }
});
