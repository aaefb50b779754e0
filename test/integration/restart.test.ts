import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { deletePrefix, postPaced, ReplicaSet, summarise, assertAllAccepted, type PostableAlert } from '../helpers/replica-set.ts';
import { WebhookSink, type SinkRequest } from '../helpers/webhook-sink.ts';

const REDIS_URL = process.env.GROUPER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const GROUPS = 200;
/** Half the groups get a new alert right before the stop: their next tick passes while no replica runs. */
const CHANGED = GROUPS / 2;
const GROUP_WAIT_MS = 1_000;
const GROUP_INTERVAL_MS = 2_000;
const REPEAT_INTERVAL_MS = 10_000;
/** How soon after the replicas are back a flush that fell due meanwhile must arrive. */
const RESUME_MS = 2_000;

function config(sinkUrl: string): string {
  return `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: ${GROUP_WAIT_MS / 1000}s
  group_interval: ${GROUP_INTERVAL_MS / 1000}s
  repeat_interval: ${REPEAT_INTERVAL_MS / 1000}s
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/hook
`;
}

interface Notified {
  readonly group: number;
  readonly members: string;
  readonly receivedAt: number;
}

function notified(request: SinkRequest): Notified {
  const body = request.body as { groupLabels: { group: string }; alerts: { labels: { member: string } }[] };
  return {
    group: Number(body.groupLabels.group),
    members: body.alerts.map((alert) => alert.labels.member).sort().join('+'),
    receivedAt: request.receivedAt,
  };
}

describe('all replicas restarting', { timeout: 90_000 }, () => {
  const prefix = `grouper-test-${randomUUID()}`;
  const name = `Restart${Date.now()}`;
  let sink: WebhookSink;
  let set: ReplicaSet;

  const alerts = (groups: readonly number[], member: string): PostableAlert[][] =>
    groups.map((group) => [{ labels: { alertname: name, group: String(group), member } }]);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

  before(async () => {
    sink = await WebhookSink.start();
    set = await ReplicaSet.start(2, {
      config: config(sink.url),
      args: [`--storage.redis.url=${REDIS_URL}`, `--storage.redis.prefix=${prefix}`],
    });
  });

  after(async () => {
    await set?.stop();
    await sink?.close();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('resumes groups and timers: flushes due while down are sent at once and once, repeats wait for repeat_interval', async (t: TestContext) => {
    const firstPostedAt = Date.now();
    assertAllAccepted(await postPaced(set.urls(), alerts(range(0, GROUPS), 'm0'), 400), 'first alerts');
    await sink.waitForCount(GROUPS, GROUP_WAIT_MS + 10_000);

    const changedPostedAt = Date.now();
    assertAllAccepted(await postPaced(set.urls(), alerts(range(0, CHANGED), 'm1'), 1_000), 'second alerts');
    await set.stop();
    const stoppedAt = Date.now();
    // Every changed group's next tick is at most one group_interval after its change.
    await new Promise((resolve) => setTimeout(resolve, changedPostedAt + GROUP_INTERVAL_MS + 500 - Date.now()));
    await set.restart();
    const readyAt = Date.now();

    const changedFlushes = (): Notified[] => sink.requests.map(notified).filter((n) => n.members === 'm0+m1');
    await sink.waitFor(() => changedFlushes().length >= CHANGED, RESUME_MS + 10_000);
    const dueWhileDown = changedFlushes().filter((n) => n.receivedAt > stoppedAt);
    const resumeMs = Math.max(...dueWhileDown.map((n) => n.receivedAt)) - readyAt;
    t.diagnostic(`${dueWhileDown.length} of ${CHANGED} changed groups fell due while no replica ran; the last was sent ${resumeMs} ms after the replicas were ready`);
    assert.ok(dueWhileDown.length > 0, 'no flush fell due while the replicas were down: the test did not test the restart');
    assert.ok(resumeMs <= RESUME_MS, `flushes due while down were sent up to ${resumeMs} ms after the restart`);

    // Unchanged groups repeat once repeat_interval has passed since their first flush.
    const repeatDueFrom = firstPostedAt + GROUP_WAIT_MS + REPEAT_INTERVAL_MS;
    const isRepeat = (n: Notified): boolean => n.group >= CHANGED && n.members === 'm0' && n.receivedAt > readyAt;
    await sink.waitFor((requests) => requests.map(notified).filter(isRepeat).length >= GROUPS - CHANGED, repeatDueFrom - Date.now() + 10_000);
    // Listen one more group_interval for anything sent twice.
    await new Promise((resolve) => setTimeout(resolve, GROUP_INTERVAL_MS));

    const problems: string[] = [];
    const all = sink.requests.map(notified);
    for (const group of range(0, GROUPS)) {
      const list = all.filter((n) => n.group === group);
      const sequence = list.map((n) => n.members).join(', ');
      if (group < CHANGED) {
        const wanted = 'm0, m0+m1';
        const early = list.slice(2).filter((n) => n.receivedAt < changedPostedAt + REPEAT_INTERVAL_MS);
        if (!sequence.startsWith(wanted) || early.length > 0) problems.push(`changed group ${group}: ${sequence}`);
      } else {
        const repeat = list[1];
        if (sequence !== 'm0, m0') problems.push(`unchanged group ${group}: ${sequence}`);
        else if (repeat.receivedAt < repeatDueFrom) problems.push(`unchanged group ${group}: repeated ${repeatDueFrom - repeat.receivedAt} ms early`);
      }
    }
    assert.equal(problems.length, 0, `notifications per group (first to last) not as expected:\n${summarise(problems)}`);
  });
});
