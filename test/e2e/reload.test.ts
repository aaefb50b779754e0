import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startGrouper, type GrouperProcess } from '../helpers/grouper-process.ts';
import { WebhookSink, type SinkRequest } from '../helpers/webhook-sink.ts';

const HOUR = 3_600_000;
const WAIT_MS = 5_000;
/** How late after its due time a flush may reach the sink (poll interval 250 ms, a loaded machine). */
const FLUSH_SLACK_MS = 1_000;

interface Notification {
  receiver: string;
  groupKey: string;
  alerts: { labels: Record<string, string> }[];
}

interface ChildRoute {
  readonly receiver: string;
  readonly matcher: string;
  readonly repeatInterval?: string;
}

/** alertmanager.yml: a root route to `default`, a child route per entry, a receiver per sink path. */
function config(sink: WebhookSink, timing: { groupInterval: string; repeatInterval: string }, routes: readonly ChildRoute[] = []): string {
  const receivers = ['default', ...routes.map((r) => r.receiver)];
  return `route:
  receiver: default
  group_by: [alertname]
  group_wait: 100ms
  group_interval: ${timing.groupInterval}
  repeat_interval: ${timing.repeatInterval}
  routes:${routes.length === 0 ? ' []' : ''}
${routes
  .map(
    (r) =>
      `    - receiver: ${r.receiver}\n      matchers: [${JSON.stringify(r.matcher)}]\n` +
      (r.repeatInterval ? `      repeat_interval: ${r.repeatInterval}\n` : ''),
  )
  .join('')}receivers:
${receivers.map((name) => `  - name: ${name}\n    webhook_configs: [{ url: '${sink.url}/${name}' }]\n`).join('')}`;
}

/** By default firing from now with endsAt far ahead: only group_interval and repeat_interval time the groups. */
async function postAlert(grouper: GrouperProcess, labels: Record<string, string>, startsAt = Date.now(), endsAt = startsAt + 2 * HOUR): Promise<void> {
  const response = await fetch(`${grouper.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString() }]),
  });
  assert.equal(response.status, 200, await response.text());
}

async function get(grouper: GrouperProcess, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${grouper.url}${path}`);
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

async function reload(grouper: GrouperProcess, text: string): Promise<Response> {
  await writeFile(grouper.configFile, text);
  return fetch(`${grouper.url}/-/reload`, { method: 'POST' });
}

async function reloadOk(grouper: GrouperProcess, text: string): Promise<void> {
  const response = await reload(grouper, text);
  const body = await response.text();
  assert.equal(response.status, 200, body);
  assert.equal(body, '');
}

async function configOriginal(grouper: GrouperProcess): Promise<string> {
  return (await get(grouper, '/api/v2/status')).body.config.original;
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
async function until(what: string, condition: () => Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function alertnames(request: SinkRequest): string[] {
  return (request.body as Notification).alerts.map((alert) => alert.labels.alertname);
}

/** The first notification for `alertname`, whichever receiver got it. */
async function notificationOf(sink: WebhookSink, alertname: string): Promise<SinkRequest> {
  const requests = await sink.waitFor((all) => all.some((r) => alertnames(r).includes(alertname)), WAIT_MS);
  return requests.find((r) => alertnames(r).includes(alertname))!;
}

async function groupOf(grouper: GrouperProcess, receiver: string, alertname: string): Promise<any> {
  const { body } = await get(grouper, `/api/v1/groups?receiver=${receiver}&filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  assert.equal(body.groups.length, 1, JSON.stringify(body));
  return body.groups[0];
}

const FAST = { groupInterval: '1s', repeatInterval: '1h' };

/** Sends SIGHUP and polls until `condition` holds, failing with the output if the process exits instead. */
async function sighup(grouper: GrouperProcess, what: string, condition: () => Promise<boolean>): Promise<void> {
  process.kill(grouper.pid!, 'SIGHUP');
  await until(what, async () => {
    if (grouper.exitCode !== null) assert.fail(`grouper exited on SIGHUP (code ${grouper.exitCode}):\n${grouper.output().slice(-1_500)}`);
    return condition().catch(() => false);
  });
}

function reloadFailures(grouper: GrouperProcess): number {
  return grouper.output().match(/configuration reload failed/g)?.length ?? 0;
}

describe('POST /-/reload', () => {
  let sink: WebhookSink;
  let grouper: GrouperProcess;

  before(async () => {
    sink = await WebhookSink.start();
    grouper = await startGrouper({ config: config(sink, FAST) });
  });
  after(async () => {
    await grouper?.stop();
    await sink?.close();
  });

  it('puts a new route and receiver in force', async () => {
    await postAlert(grouper, { alertname: 'BeforePost', team: 'post' });
    assert.equal((await notificationOf(sink, 'BeforePost')).path, '/default', 'no route for team=post yet');

    await reloadOk(grouper, config(sink, FAST, [{ receiver: 'post', matcher: 'team="post"' }]));
    assert.match(await configOriginal(grouper), /- name: post\n/);
    await postAlert(grouper, { alertname: 'AfterPost', team: 'post' });
    const notification = await notificationOf(sink, 'AfterPost');
    assert.equal(notification.path, '/post');
    assert.equal((notification.body as Notification).receiver, 'post');
    assert.equal((notification.body as Notification).groupKey, '{}/{team="post"}:{alertname="AfterPost"}');
  });

  it('refuses an invalid config with a 500 naming the file and the path, and keeps the running one', async () => {
    const running = config(sink, FAST, [{ receiver: 'kept', matcher: 'team="kept"' }]);
    await reloadOk(grouper, running);
    const original = await configOriginal(grouper);
    const invalid = [
      { text: running.replace('receiver: kept', 'receiver: nobody'), reason: /:\d+: route\.routes\[0\]\.receiver: undefined receiver "nobody"\n$/ },
      { text: running.replace('group_wait: 100ms', 'group_wait: soon'), reason: /:4: route\.group_wait: / },
      { text: `${running}  - name: slack\n    slack_configs: [{ channel: '#a' }]\n`, reason: /:\d+: receivers\[2\]\.slack_configs: not supported/ },
      { text: `${running}  - name: [unclosed\n`, reason: /:\d+: \S/ },
    ];
    for (const { text, reason } of invalid) {
      const response = await reload(grouper, text);
      const body = await response.text();
      assert.equal(response.status, 500, body);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      assert.ok(body.startsWith(`failed to reload config: ${grouper.configFile}:`), body);
      assert.match(body, reason);
      assert.equal(await configOriginal(grouper), original, 'the running config stays');
    }
    assert.equal(reloadFailures(grouper), invalid.length, 'each failure is logged');
    assert.match((await get(grouper, '/metrics')).body, /^alertmanager_config_last_reload_successful 0$/m);

    await postAlert(grouper, { alertname: 'StillRouted', team: 'kept' });
    assert.equal((await notificationOf(sink, 'StillRouted')).path, '/kept', 'alerts are routed by the running config');
  });
});

describe('SIGHUP', () => {
  let sink: WebhookSink;

  before(async () => {
    sink = await WebhookSink.start();
  });
  after(async () => {
    await sink?.close();
  });

  it('puts a new route and receiver in force', async () => {
    const grouper = await startGrouper({ config: config(sink, FAST) });
    try {
      await postAlert(grouper, { alertname: 'BeforeHup', team: 'hup' });
      assert.equal((await notificationOf(sink, 'BeforeHup')).path, '/default', 'no route for team=hup yet');

      await writeFile(grouper.configFile, config(sink, FAST, [{ receiver: 'hup', matcher: 'team="hup"' }]));
      await sighup(grouper, 'the status shows the receiver SIGHUP loaded', async () => /- name: hup\n/.test(await configOriginal(grouper)));
      await postAlert(grouper, { alertname: 'AfterHup', team: 'hup' });
      const notification = await notificationOf(sink, 'AfterHup');
      assert.equal(notification.path, '/hup');
      assert.equal((notification.body as Notification).receiver, 'hup');
    } finally {
      await grouper.stop();
    }
  });

  it('refuses an invalid config, keeps the running one and the process', async () => {
    const running = config(sink, FAST, [{ receiver: 'kept', matcher: 'team="kept"' }]);
    const grouper = await startGrouper({ config: running });
    try {
      const original = await configOriginal(grouper);
      await writeFile(grouper.configFile, running.replace('receiver: kept', 'receiver: nobody'));
      await sighup(grouper, 'the reload failure is logged', async () => reloadFailures(grouper) === 1);
      const logged = JSON.parse(grouper.output().split('\n').find((line) => line.includes('configuration reload failed'))!);
      assert.equal(logged.file, grouper.configFile);
      assert.match(logged.err.message, /: route\.routes\[0\]\.receiver: undefined receiver "nobody"$/);
      assert.equal(await configOriginal(grouper), original);
      assert.match((await get(grouper, '/metrics')).body, /^alertmanager_config_last_reload_successful 0$/m);

      await postAlert(grouper, { alertname: 'StillRoutedAfterHup', team: 'kept' });
      assert.equal((await notificationOf(sink, 'StillRoutedAfterHup')).path, '/kept');
    } finally {
      await grouper.stop();
    }
  });
});

describe('groups across a reload', () => {
  let sink: WebhookSink;

  before(async () => {
    sink = await WebhookSink.start();
  });
  after(async () => {
    await sink?.close();
  });

  it('keep their timers when their route still exists', async (t) => {
    const timing = { groupInterval: '3s', repeatInterval: '1h' };
    const grouper = await startGrouper({ config: config(sink, timing) });
    try {
      await postAlert(grouper, { alertname: 'Ticking', instance: 'a' });
      const first = await notificationOf(sink, 'Ticking');
      const group = await groupOf(grouper, 'default', 'Ticking');
      const notifiedAt = Date.parse(group.lastNotification);
      assert.ok(first.receivedAt >= notifiedAt);
      const timer = async () => (await get(grouper, `/api/v1/timers/${group.id}`)).body;

      // Idle after its first notification: waiting on the repeat.
      const repeat = await timer();
      assert.deepEqual([repeat.type, Date.parse(repeat.dueAt)], ['repeat_interval', notifiedAt + HOUR]);
      await reloadOk(grouper, config(sink, timing, [{ receiver: 'other', matcher: 'team="other"' }]));
      assert.deepEqual(await timer(), repeat);

      // A new alert: due at the next group_interval tick, which a reload leaves where it is.
      await postAlert(grouper, { alertname: 'Ticking', instance: 'b' });
      const interval = await timer();
      const dueAt = Date.parse(interval.dueAt);
      assert.deepEqual([interval.type, dueAt], ['group_interval', notifiedAt + 3_000]);
      await reloadOk(grouper, config(sink, timing, [{ receiver: 'third', matcher: 'team="third"' }]));
      const reloadedAt = Date.now();
      assert.deepEqual(await timer(), interval);
      assert.ok(reloadedAt + 1_000 < dueAt, 'a timer restarted by the reload would fire well before the tick');

      const requests = await sink.waitFor((all) => all.filter((r) => alertnames(r).includes('Ticking')).length >= 2, WAIT_MS);
      const second = requests.filter((r) => alertnames(r).includes('Ticking'))[1];
      assert.deepEqual(alertnames(second), ['Ticking', 'Ticking']);
      assert.ok(second.receivedAt >= dueAt, `notified ${dueAt - second.receivedAt} ms before the tick`);
      assert.ok(second.receivedAt < dueAt + FLUSH_SLACK_MS, `notified ${second.receivedAt - dueAt} ms after the tick`);
      t.diagnostic(`reloaded ${dueAt - reloadedAt} ms before the tick; notified ${second.receivedAt - dueAt} ms after it`);
      await until('the second notification is committed', async () => (await groupOf(grouper, 'default', 'Ticking')).lastNotification === interval.dueAt);
    } finally {
      await grouper.stop();
    }
  });

  it("whose route is gone have their alerts filed into the new tree at the group's next flush", async (t) => {
    const timing = { groupInterval: '1s', repeatInterval: '1h' };
    const grouper = await startGrouper({ config: config(sink, timing, [{ receiver: 'db', matcher: 'team="db"', repeatInterval: '3s' }]) });
    try {
      await postAlert(grouper, { alertname: 'Moved', team: 'db' });
      assert.equal((await notificationOf(sink, 'Moved')).path, '/db');
      const stranded = await groupOf(grouper, 'db', 'Moved');
      const nextFlush = Date.parse(stranded.nextFlush);
      assert.equal(nextFlush, Date.parse(stranded.lastNotification) + 3_000, 'the repeat tick');

      await reloadOk(grouper, config(sink, timing));
      const reloadedAt = Date.now();
      const timer = await get(grouper, `/api/v1/timers/${stranded.id}`);
      assert.equal(timer.status, 404);
      assert.match(timer.body.message, /has no timer: the configuration in force has no route for it/);
      const kept = await get(grouper, `/api/v1/groups/${stranded.id}`);
      assert.equal(kept.status, 200, 'the group waits for its next flush');
      assert.equal(kept.body.nextFlush, stranded.nextFlush);

      // A new alert goes through the new tree at once.
      await postAlert(grouper, { alertname: 'Fresh', team: 'db' });
      const fresh = await notificationOf(sink, 'Fresh');
      assert.equal(fresh.path, '/default');
      assert.ok(fresh.receivedAt < nextFlush);

      // The stored alert moves at the group's next flush, its repeat tick: not at the reload.
      const moved = (await sink.waitFor((all) => all.some((r) => r.path === '/default' && alertnames(r).includes('Moved')), WAIT_MS)).find(
        (r) => r.path === '/default' && alertnames(r).includes('Moved'),
      )!;
      assert.ok(reloadedAt + 1_000 < nextFlush, 'filing at the reload would show well before the tick');
      assert.ok(moved.receivedAt >= nextFlush, `moved ${nextFlush - moved.receivedAt} ms before the group's next flush`);
      assert.ok(moved.receivedAt < nextFlush + FLUSH_SLACK_MS, `moved ${moved.receivedAt - nextFlush} ms after the group's next flush`);
      t.diagnostic(
        `reloaded ${nextFlush - reloadedAt} ms before the group's next flush; a new alert reached the new receiver ` +
          `${fresh.receivedAt - reloadedAt} ms after the reload, the stored one ${moved.receivedAt - nextFlush} ms after that flush`,
      );
      const body = moved.body as Notification;
      assert.equal(body.receiver, 'default');
      assert.equal(body.groupKey, '{}:{alertname="Moved"}');
      await until('the emptied group is deleted', async () => (await get(grouper, `/api/v1/groups/${stranded.id}`)).status === 404);
      assert.equal(sink.requests.filter((r) => r.path === '/db').length, 1, 'the old receiver is not notified again');
    } finally {
      await grouper.stop();
    }
  });

  // The resolve lands in the new tree and is flushed (nothing to send) before the old group files
  // its older firing copy again: the retired resolve is what that copy must lose to.
  it('whose route is gone do not undo, when filed again, a resolve received after the reload', async () => {
    const timing = { groupInterval: '1s', repeatInterval: '1h' };
    const grouper = await startGrouper({ config: config(sink, timing, [{ receiver: 'db', matcher: 'team="db"', repeatInterval: '2s' }]) });
    try {
      const labels = { alertname: 'ResolvedAfterReload', team: 'db' };
      const startsAt = Date.now();
      await postAlert(grouper, labels, startsAt);
      assert.equal((await notificationOf(sink, labels.alertname)).path, '/db');
      const stranded = await groupOf(grouper, 'db', labels.alertname);

      await reloadOk(grouper, config(sink, timing));
      // Prometheus resolves the alert (the same startsAt, endsAt now); the new tree files the resolve under default.
      await postAlert(grouper, labels, startsAt, Date.now());

      // The stranded group's next flush files its copy, older and still firing, into the new tree.
      await until('the stranded group is emptied', async () => (await get(grouper, `/api/v1/groups/${stranded.id}`)).status === 404);
      const firing = await get(grouper, `/api/v1/groups?state=firing&filter=${encodeURIComponent(`alertname="${labels.alertname}"`)}`);
      assert.deepEqual(firing.body.groups, [], 'the older copy must not bring back the alert the resolve ended');
    } finally {
      await grouper.stop();
    }
  });
});
