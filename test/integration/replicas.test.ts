import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import {
  assertNeverDegraded,
  countBySender,
  countBySignature,
  deletePrefix,
  replicaName,
  runFlushWorkload,
  summarise,
  transcriptDifferences,
  type FlushRun,
  type FlushRunOptions,
  type FlushWorkload,
} from '../helpers/replica-set.ts';

const REDIS_URL = process.env.GROUPER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Short, so that the kill test waits little for the victim's leases to run out. */
const LEASE_MS = 3_000;
/** The scheduler's poll interval, plus delivery and a busy machine. */
const TAKEOVER_SLACK_MS = 2_000;
/**
 * The sink stamps a request when its event loop gets to it. Requests the victim wrote just before
 * the kill are on the wire already, and with three replicas flushing into this one process the
 * stamp trails the wire by up to ~150 ms. A victim the kill missed would go on sending for the
 * rest of the phase, seconds.
 */
const SINK_LAG_MS = 1_000;

/** Runs the workload on a prefix of its own on the shared Redis, and removes the prefix after. */
async function onSharedRedis(options: Omit<FlushRunOptions, 'args'> & { readonly args?: readonly string[] }): Promise<FlushRun> {
  const prefix = `grouper-test-${randomUUID()}`;
  try {
    return await runFlushWorkload({
      ...options,
      args: [`--storage.redis.url=${REDIS_URL}`, `--storage.redis.prefix=${prefix}`, ...(options.args ?? [])],
    });
  } finally {
    await deletePrefix(REDIS_URL, prefix);
  }
}

function signatures(run: FlushRun): string[] {
  return [...new Set(run.flushes.map((flush) => flush.signature))].sort();
}

describe('replicas sharing one Redis', { timeout: 150_000 }, () => {
  it('3 replicas flush 1,000 groups exactly once per tick, and say what one replica says', async (t: TestContext) => {
    const workload: FlushWorkload = { name: `Replicas${Date.now()}`, groups: 1_000, groupsPerRequest: 8 };
    const three = await onSharedRedis({ replicas: 3, workload, ratePerSecond: 200, phaseTimeoutMs: 20_000 });
    assertNeverDegraded(three);
    const differences = transcriptDifferences(three.expected.flat(), three.flushes);
    assert.equal(differences.length, 0, `3 replicas: flushes not received exactly once:\n${summarise(differences)}`);
    const senders = countBySender(three.flushes);
    t.diagnostic(`3 replicas: ${three.flushes.length} flushes, by replica ${JSON.stringify(senders)}`);
    for (let i = 0; i < 3; i++) assert.ok((senders[replicaName(i)] ?? 0) > 0, `replica ${i} flushed nothing: the work was not shared`);

    const one = await onSharedRedis({ replicas: 1, workload, ratePerSecond: 200, phaseTimeoutMs: 20_000 });
    assert.deepEqual(signatures(three), signatures(one), "the transcript of 3 replicas differs from one replica's");
  });

  it('a replica killed mid-flush loses nothing: its groups flush once its lease ends', async (t: TestContext) => {
    const workload: FlushWorkload = { name: `Kill${Date.now()}`, groups: 600, groupsPerRequest: 4 };
    const victim = 2;
    let killedAt = 0;
    const run = await onSharedRedis({
      replicas: 3,
      workload,
      args: [`--scheduler.lease-duration=${LEASE_MS}ms`],
      ratePerSecond: 100,
      phaseTimeoutMs: LEASE_MS + 20_000,
      // Requests go to the survivors only: the kill is about flushes, not ingest.
      ingestOn: [0, 1],
      during: async (set, sink, phase) => {
        if (phase !== 0) return;
        await sink.waitForCount(workload.groups / 4, 20_000);
        killedAt = Date.now();
        set.kill(victim);
      },
    });
    assertNeverDegraded(run);
    const expected = run.expected.flat();
    const counts = countBySignature(run.flushes);
    const missing = expected.filter((signature) => !counts.has(signature));
    assert.equal(missing.length, 0, `flushes lost:\n${summarise(missing)}`);
    const wanted = new Set(expected);
    const unexpected = [...counts.keys()].filter((signature) => !wanted.has(signature));
    assert.equal(unexpected.length, 0, `flushes nobody asked for:\n${summarise(unexpected)}`);

    const victimName = replicaName(victim);
    const victimFlushes = run.flushes.filter((flush) => flush.sender === victimName);
    assert.ok(victimFlushes.length > 0, 'the killed replica had flushed nothing: the kill was not mid-run');
    const late = victimFlushes.filter((flush) => flush.receivedAt > killedAt + SINK_LAG_MS).map((flush) => flush.receivedAt - killedAt);
    assert.deepEqual(late, [], `the killed replica went on sending after SIGKILL: ${late.length} flushes received up to ${Math.max(0, ...late)} ms after it`);

    // A duplicate is a flush the victim delivered but had not committed when it died.
    const duplicates = [...counts].filter(([, count]) => count > 1);
    for (const [signature, count] of duplicates) {
      const copies = run.flushes.filter((flush) => flush.signature === signature);
      assert.equal(count, 2, `${signature} arrived ${count} times`);
      assert.equal(copies[0].sender, victimName, `${signature}: a duplicate whose first copy is not the victim's`);
    }
    const phase0 = new Set(run.expected[0]);
    const phase0Flushes = run.flushes.filter((flush) => phase0.has(flush.signature));
    const lastPhase0 = Math.max(...phase0Flushes.map((flush) => flush.receivedAt));
    const takenOver = phase0Flushes.filter((flush) => flush.receivedAt > killedAt + 500).length;
    t.diagnostic(
      `kill -9 of replica ${victim}: ${duplicates.length} duplicate(s) (flushes in flight at the kill), ` +
        `${takenOver} phase-0 flush(es) delivered > 0.5 s after the kill, the last ${lastPhase0 - killedAt} ms after it; ` +
        `by replica ${JSON.stringify(countBySender(run.flushes))}`,
    );
    assert.ok(
      lastPhase0 - killedAt <= LEASE_MS + TAKEOVER_SLACK_MS,
      `the victim's groups were flushed ${lastPhase0 - killedAt} ms after the kill, more than the ${LEASE_MS} ms lease (+${TAKEOVER_SLACK_MS} ms)`,
    );
  });
});
