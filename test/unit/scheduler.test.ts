import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { parseConfig } from '../../src/config/load-config.ts';
import { Dispatcher } from '../../src/engine/dispatcher.ts';
import type { Notifier } from '../../src/engine/notifier.ts';
import { buildRuntime } from '../../src/engine/runtime.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';
import { makeAlert } from '../helpers/core-fixtures.ts';

const LEASE_MS = 300;

/** A notifier whose deliveries last until the test releases them. */
class HeldNotifier implements Notifier {
  calls = 0;
  readonly #started: Promise<void>;
  readonly #release: Promise<void>;
  #onStart!: () => void;
  release!: () => void;

  constructor() {
    this.#started = new Promise((resolve) => (this.#onStart = resolve));
    this.#release = new Promise((resolve) => (this.release = resolve));
  }

  started(): Promise<void> {
    return this.#started;
  }

  async notify(): Promise<boolean> {
    this.calls++;
    this.#onStart();
    await this.#release;
    return true;
  }
}

test('a flush whose delivery outlasts its lease keeps renewing it: no other replica can claim the group', { timeout: 30_000 }, async () => {
  const config = parseConfig(
    `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 10ms
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:9/unused
`,
    'scheduler.test.yml',
  );
  const runtime = buildRuntime(config);
  const store = new MemoryStore();
  const notifier = new HeldNotifier();
  const metrics = new Metrics({ version: 'test', collectDefault: false });
  const scheduler: Scheduler = new Scheduler({
    store,
    notifier,
    runtime: () => runtime,
    clock: Date.now,
    rehome: (alerts, at) => dispatcher.ingest(alerts, at),
    logger: silentLogger,
    metrics,
    options: { leaseMs: LEASE_MS, pollMs: 50 },
  });
  const dispatcher = new Dispatcher({ store, runtime: () => runtime, onWake: (at) => scheduler.poke(at), metrics });
  scheduler.start();
  try {
    await dispatcher.ingest([makeAlert({ alertname: 'Slow' }, { startsAt: Date.now(), endsAt: Date.now() + 3_600_000, updatedAt: Date.now() })], Date.now());
    await notifier.started();
    // Three leases pass while the delivery is held: unrenewed, the lease would have lapsed twice.
    await delay(3 * LEASE_MS);
    assert.deepEqual(await store.claimDue(Date.now(), LEASE_MS, 10), [], 'another replica claimed the group');
    assert.equal(notifier.calls, 1, 'the group was flushed again while its flush was in progress');
  } finally {
    notifier.release();
    await scheduler.stop(1_000);
  }
});
