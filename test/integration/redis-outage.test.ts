import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { fingerprint } from '../../src/core/fingerprint.ts';
import { createRedisClient } from '../../src/store/redis-client.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import { CuttableProxy } from '../helpers/cuttable-proxy.ts';
import { startGrouper, type GrouperProcess } from '../helpers/grouper-process.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { postPaced, summarise, type PostableAlert } from '../helpers/replica-set.ts';
import { WebhookSink, type SinkRequest } from '../helpers/webhook-sink.ts';

const PREFIX = `grouper-outage-${Date.now()}`;
const RATE = 200;
const ALERTS_PER_REQUEST = 64;
const BEFORE_MS = 3_000;
const OUTAGE_MS = 10_000;
const AFTER_MS = 4_000;
/** From Redis's return: the failover store notices it, merges what memory took, and switches back. */
const MERGE_DEADLINE_MS = 20_000;
const GROUP_WAIT_MS = 1_000;
/** Short, so that flushes whose commit the outage swallowed are repeated soon after Redis is back. */
const LEASE_MS = 3_000;

/**
 * Every request is one new group of 64 alerts, so each accepted request must show up as one
 * group in Redis and be notified, whichever store took it.
 */
function requestAlerts(request: number): PostableAlert[] {
  return Array.from({ length: ALERTS_PER_REQUEST }, (_, i) => ({ labels: { alertname: 'Outage', request: `r${request}`, instance: `i${i}` } }));
}

function groupOf(notification: SinkRequest): string {
  return (notification.body as { groupLabels: { request: string } }).groupLabels.request;
}

function config(sinkUrl: string): string {
  return `route:
  receiver: sink
  group_by: [alertname, request]
  group_wait: ${GROUP_WAIT_MS / 1000}s
  group_interval: 1h
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/hook
`;
}


/** The fingerprint of every alert in Redis under `prefix`, read back through the Redis store. */
async function fingerprintsInRedis(url: string, prefix: string): Promise<Set<string>> {
  const client = createRedisClient({ url, prefix });
  await client.connect();
  const store = new RedisStore(client, { prefix });
  try {
    const found = new Set<string>();
    let after: string | undefined;
    do {
      const page = await store.scanGroups(after, 500);
      for (const group of page.groups) for (const alert of group.alerts) found.add(alert.fingerprint);
      after = page.next;
    } while (after !== undefined);
    return found;
  } finally {
    await store.close();
  }
}

describe('a Redis outage under ingest load', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let proxy: CuttableProxy;
  let sink: WebhookSink;
  let grouper: GrouperProcess;

  before(async () => {
    redis = await startRedisServer();
    proxy = await CuttableProxy.start(redis.port);
    sink = await WebhookSink.start();
    grouper = await startGrouper({
      config: config(sink.url),
      args: [`--storage.redis.url=redis://127.0.0.1:${proxy.port}`, `--storage.redis.prefix=${PREFIX}`, `--scheduler.lease-duration=${LEASE_MS}ms`],
    });
  });

  after(async () => {
    await grouper?.stop();
    await sink?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('loses no request, no alert and no notification when Redis is away for 10 s', async (t: TestContext) => {
    const requests = Math.round(((BEFORE_MS + OUTAGE_MS + AFTER_MS) / 1000) * RATE);
    const bodies = Array.from({ length: requests }, (_, i) => requestAlerts(i));
    let restoredAt = 0;
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
      proxy.cut();
      // A restarted Redis has forgotten the scripts Grouper loaded.
      const admin = new Redis(redis.url);
      await admin.script('FLUSH');
      admin.disconnect();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      proxy.restore();
      restoredAt = Date.now();
    })();
    const [load] = await Promise.all([postPaced([grouper.url], bodies, RATE), outage]);
    t.diagnostic(`${load.accepted.length} of ${requests} requests accepted (${RATE} req/s of ${ALERTS_PER_REQUEST} alerts)`);
    const sentAt = (request: number): number => (request * 1000) / RATE;
    const when = load.failures.map(({ index }) => (sentAt(index) < BEFORE_MS ? 'before' : sentAt(index) < BEFORE_MS + OUTAGE_MS ? 'during' : 'after'));
    const count = (period: string): number => when.filter((w) => w === period).length;
    assert.equal(
      load.failures.length,
      0,
      `${load.failures.length} ingest request(s) failed (sent before the outage: ${count('before')}, during: ${count('during')}, ` +
        `after: ${count('after')}), e.g.\n${summarise(load.failures.map((f) => `request ${f.index}: ${f.reason}`), 3)}\n` +
        `--- grouper output (tail) ---\n${grouper.output().slice(-1_500)}`,
    );

    const accepted = load.accepted.flatMap((request) => requestAlerts(request).map((alert) => fingerprint(alert.labels)));
    let missing: string[] = accepted;
    const deadline = Date.now() + MERGE_DEADLINE_MS;
    while (missing.length > 0 && Date.now() < deadline) {
      const stored = await fingerprintsInRedis(redis.url, PREFIX);
      missing = accepted.filter((alert) => !stored.has(alert));
      if (missing.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(missing.length, 0, `${missing.length} of ${accepted.length} accepted alerts are not in Redis ${MERGE_DEADLINE_MS} ms after it came back`);

    const unnotified = new Set(load.accepted.map((request) => `r${request}`));
    let seen = 0;
    const allNotified = (received: readonly SinkRequest[]): boolean => {
      for (const notification of received.slice(seen)) unnotified.delete(groupOf(notification));
      seen = received.length;
      return unnotified.size === 0;
    };
    await sink.waitFor(allNotified, GROUP_WAIT_MS + MERGE_DEADLINE_MS).catch(() => {
      assert.fail(`${unnotified.size} of ${load.accepted.length} groups were never notified, e.g. ${[...unnotified].slice(0, 5).join(', ')}`);
    });
    // Wait out the lease of any flush whose commit the outage held back: were it not replayed,
    // its group would be flushed again then.
    await new Promise((resolve) => setTimeout(resolve, restoredAt + LEASE_MS + 1_000 - Date.now()));
    const afterRecovery = sink.requests.filter((request) => request.receivedAt > restoredAt + GROUP_WAIT_MS).length;
    // One replica: a flush in flight when Redis went away commits once Redis answers, so nothing
    // is sent twice, during the outage or after it.
    const copies = new Map<string, number[]>();
    for (const notification of sink.requests) {
      copies.set(groupOf(notification), [...(copies.get(groupOf(notification)) ?? []), notification.receivedAt]);
    }
    const duplicated = [...copies].filter(([, times]) => times.length > 1);
    t.diagnostic(
      `${sink.requests.length} notifications for ${load.accepted.length} groups: ${duplicated.length} group(s) notified twice, ` +
        `${afterRecovery} notification(s) sent after Redis came back`,
    );
    assert.ok(afterRecovery > 0, 'no notification after Redis came back');
    assert.equal(duplicated.length, 0, `sent twice: ${summarise(duplicated.map(([group, times]) => `${group} at ${times.join(', ')}`))}`);
  });
});
