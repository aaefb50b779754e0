import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, startGrouper, type GrouperProcess } from '../helpers/grouper-process.ts';
import { WebhookSink } from '../helpers/webhook-sink.ts';

interface Notification {
  status: string;
  groupKey: string;
  alerts: { status: string; labels: Record<string, string>; fingerprint: string }[];
}

function config(sinkUrl: string): string {
  return `
route:
  receiver: sink
  group_by: [alertname]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: ${sinkUrl}/hook
`;
}

async function post(url: string, alerts: unknown): Promise<Response> {
  return fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'server.ts'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('grouper process', () => {
  let sink: WebhookSink;
  let grouper: GrouperProcess;

  before(async () => {
    sink = await WebhookSink.start();
    grouper = await startGrouper({ config: config(sink.url) });
  });
  after(async () => {
    await grouper?.stop();
    await sink?.close();
  });

  it('notifies a group after group_wait, then the resolve on the next tick', async () => {
    const startsAt = new Date().toISOString();
    const labels = { alertname: 'E2EDown', instance: 'a:9100', job: 'node' };
    assert.equal((await post(grouper.url, [{ labels, startsAt }])).status, 200);

    const [firing] = await sink.waitForCount(1, 5_000);
    const body = firing.body as Notification;
    assert.equal(firing.path, '/hook');
    assert.equal(firing.headers['content-type'], 'application/json');
    assert.equal(body.status, 'firing');
    assert.equal(body.groupKey, '{}:{alertname="E2EDown"}');
    assert.deepEqual(body.alerts.map((a) => a.labels), [labels]);

    const endsAt = new Date(Date.now() - 10).toISOString();
    assert.equal((await post(grouper.url, [{ labels, startsAt, endsAt }])).status, 200);
    const requests = await sink.waitForCount(2, 5_000);
    const resolved = requests[1].body as Notification;
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.alerts[0].fingerprint, body.alerts[0].fingerprint);
  });

  it('answers the probes', async () => {
    assert.equal(await (await fetch(`${grouper.url}/-/healthy`)).text(), 'OK');
    assert.equal(await (await fetch(`${grouper.url}/-/ready`)).text(), 'OK');
  });

  it('rejects a malformed body without storing anything', async () => {
    const response = await post(grouper.url, [{ labels: { alertname: 'x' }, startsAt: 'yesterday' }]);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /parsing alerts body/);
  });
});

describe('grouper command line', () => {
  it('--help lists the flags with their environment variables', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    for (const flag of ['--config.file', '--web.listen-address', '--web.external-url', '--log.level', '--storage.redis.url']) {
      assert.ok(stdout.includes(flag), `help mentions ${flag}`);
    }
    assert.match(stdout, /GROUPER_CONFIG_FILE/);
  });

  it('refuses a config it cannot send, naming the file and the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grouper-e2e-'));
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, 'route:\n  receiver: x\nreceivers:\n  - name: x\n    slack_configs:\n      - channel: "#a"\n');
    try {
      const { code, stdout, stderr } = await run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0']);
      assert.equal(code, 1);
      const output = stdout + stderr;
      assert.ok(output.includes(file), 'names the file');
      assert.match(output, /receivers\[0\]\.slack_configs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown flag', async () => {
    const { code, stderr } = await run(['--no.such-flag=1']);
    assert.equal(code, 2);
    assert.match(stderr, /no\.such-flag/);
  });

  it('exits cleanly on SIGTERM', async () => {
    const sink = await WebhookSink.start();
    const grouper = await startGrouper({ config: config(sink.url) });
    try {
      await grouper.stop();
      assert.equal(grouper.exitCode, 0);
    } finally {
      await sink.close();
    }
  });
});
