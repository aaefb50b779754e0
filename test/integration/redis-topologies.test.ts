import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { startRedisCluster } from '../helpers/redis-server.ts';
import { startRedisSentinel } from '../helpers/redis-sentinel.ts';
import {
  assertNeverDegraded,
  countBySender,
  countBySignature,
  runFlushWorkload,
  summarise,
  transcriptDifferences,
  type FlushWorkload,
} from '../helpers/replica-set.ts';

const PREFIX = 'grouper-topology';
const LEASE_MS = 3_000;

function addresses(nodes: readonly { host: string; port: number }[]): string {
  return nodes.map(({ host, port }) => `${host}:${port}`).join(',');
}

describe('replicas on Redis Cluster and Sentinel', { timeout: 150_000 }, () => {
  it('on a 3-primary Cluster, 3 replicas flush 200 groups exactly once per tick', async (t: TestContext) => {
    const cluster = await startRedisCluster(3);
    try {
      const workload: FlushWorkload = { name: `Cluster${Date.now()}`, groups: 200, groupsPerRequest: 4 };
      const run = await runFlushWorkload({
        replicas: 3,
        workload,
        args: [`--storage.redis.cluster-nodes=${addresses(cluster.nodes)}`, `--storage.redis.prefix=${PREFIX}`],
        ratePerSecond: 100,
        phaseTimeoutMs: 20_000,
      });
      assertNeverDegraded(run);
      const differences = transcriptDifferences(run.expected.flat(), run.flushes);
      assert.equal(differences.length, 0, `flushes not received exactly once:\n${summarise(differences)}`);
      t.diagnostic(`Cluster: ${run.flushes.length} flushes, by replica ${JSON.stringify(countBySender(run.flushes))}`);
    } finally {
      await cluster.stop();
    }
  });

  it('through a Sentinel failover mid-flush, 3 replicas deliver every flush, duplicates bounded', async (t: TestContext) => {
    const sentinel = await startRedisSentinel();
    try {
      const workload: FlushWorkload = { name: `Sentinel${Date.now()}`, groups: 200, groupsPerRequest: 4 };
      let failoverStarted = 0;
      let failoverDone = 0;
      const run = await runFlushWorkload({
        replicas: 3,
        workload,
        args: [
          `--storage.redis.sentinels=${addresses(sentinel.sentinels)}`,
          `--storage.redis.sentinel-master=${sentinel.masterName}`,
          `--storage.redis.prefix=${PREFIX}`,
          `--scheduler.lease-duration=${LEASE_MS}ms`,
        ],
        ratePerSecond: 100,
        phaseTimeoutMs: LEASE_MS + 20_000,
        during: async (_set, sink, phase) => {
          if (phase !== 0) return;
          // Every request of the phase has been answered by now: only flushes meet the failover.
          await sink.waitForCount(workload.groups / 4, 20_000);
          failoverStarted = Date.now();
          await sentinel.failover();
          failoverDone = Date.now();
        },
      });
      // Switching to memory while the master changes is allowed; still serving from memory is not.
      const stuck = run.failover.filter((state) => state.inMemory).length;
      assert.equal(stuck, 0, `${stuck} replica(s) still serve from memory after the failover: they did not reach the new master`);
      const expected = run.expected.flat();
      const counts = countBySignature(run.flushes);
      const missing = expected.filter((signature) => !counts.has(signature));
      assert.equal(missing.length, 0, `flushes lost:\n${summarise(missing)}`);
      const wanted = new Set(expected);
      const unexpected = [...counts.keys()].filter((signature) => !wanted.has(signature));
      assert.equal(unexpected.length, 0, `flushes nobody asked for:\n${summarise(unexpected)}`);

      // A duplicate is a flush delivered around the failover whose commit did not survive it.
      const duplicates = [...counts].filter(([, count]) => count > 1);
      const phase0 = new Set(run.expected[0]);
      for (const [signature, count] of duplicates) {
        const first = run.flushes.find((flush) => flush.signature === signature)!;
        assert.equal(count, 2, `${signature} arrived ${count} times`);
        assert.ok(phase0.has(signature) && first.receivedAt <= failoverDone, `${signature}: a duplicate not in flight at the failover`);
      }
      const afterFailover = run.flushes.filter((flush) => phase0.has(flush.signature) && flush.receivedAt > failoverStarted).length;
      t.diagnostic(
        `Sentinel failover took ${failoverDone - failoverStarted} ms; ${afterFailover} phase-0 flushes arrived after it began; ` +
          `${duplicates.length} duplicate(s) of ${expected.length} flushes; ` +
          `switches to memory per replica ${JSON.stringify(run.failover.map((state) => state.switchesToMemory))}; ` +
          `by replica ${JSON.stringify(countBySender(run.flushes))}`,
      );
    } finally {
      await sentinel.stop();
    }
  });
});
