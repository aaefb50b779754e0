import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startGrouper, type GrouperProcess } from '../helpers/grouper-process.ts';

/*
 * amtool 0.25 (Debian prometheus-alertmanager) against a real Grouper. Its go-swagger client
 * rejects responses lacking a required field or with a wrong type, so a command that succeeds
 * shows the shapes are right, not only the values.
 */

const PASSWORD = 'hunter2-not-for-status';

const CONFIG = `
route:
  receiver: default
  group_by: [alertname]
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
receivers:
  - name: default
    webhook_configs: [{ url: 'http://127.0.0.1:9/default' }]
  - name: pager
    webhook_configs:
      - url: 'http://127.0.0.1:9/pager'
        http_config: { basic_auth: { username: grouper, password: ${PASSWORD} } }
`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function amtool(url: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('amtool', [`--alertmanager.url=${url}`, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(url: string, ...args: string[]): Promise<string> {
  const run = await amtool(url, ...args);
  assert.equal(run.code, 0, `amtool ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}

/** The rows of amtool's simple table output, split on its column padding. */
function rows(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

async function status(grouper: GrouperProcess): Promise<{ cluster: { name: string }; config: { original: string } }> {
  return (await fetch(`${grouper.url}/api/v2/status`)).json() as Promise<{ cluster: { name: string }; config: { original: string } }>;
}

describe('amtool 0.25 against Grouper (memory store)', () => {
  let grouper: GrouperProcess;

  before(async () => {
    grouper = await startGrouper({ config: CONFIG });
    await ok(grouper.url, 'alert', 'add', 'alertname=DiskFull', 'severity=critical', 'instance=db1', '--annotation=summary=disk is full');
    await ok(grouper.url, 'alert', 'add', 'alertname=HighCpu', 'instance=web1');
  });
  after(() => grouper?.stop());

  it('alert query lists the alerts added with alert add', async () => {
    const table = rows(await ok(grouper.url, 'alert', 'query'));
    assert.deepEqual(table[0], ['Alertname', 'Starts At', 'Summary', 'State']);
    assert.deepEqual(
      table.slice(1).map((row) => [row[0], row.at(-1)]).sort(),
      [
        ['DiskFull', 'active'],
        ['HighCpu', 'active'],
      ],
    );
    assert.ok(table.some((row) => row[0] === 'DiskFull' && row[2] === 'disk is full'));

    const alerts = JSON.parse(await ok(grouper.url, 'alert', 'query', '-o', 'json'));
    const byName = new Map(alerts.map((a: { labels: { alertname: string } }) => [a.labels.alertname, a]));
    assert.deepEqual((byName.get('DiskFull') as { labels: object }).labels, {
      alertname: 'DiskFull',
      severity: 'critical',
      instance: 'db1',
    });
    assert.deepEqual((byName.get('DiskFull') as { receivers: object }).receivers, [{ name: 'pager' }]);
    assert.deepEqual((byName.get('HighCpu') as { receivers: object }).receivers, [{ name: 'default' }]);
  });

  it('alert query -r and matchers filter as Alertmanager does', async () => {
    const byReceiver = rows(await ok(grouper.url, 'alert', 'query', '-r', 'pager'));
    assert.deepEqual(byReceiver.slice(1).map((row) => row[0]), ['DiskFull']);
    const byMatcher = rows(await ok(grouper.url, 'alert', 'query', 'instance=~"web.*"'));
    assert.deepEqual(byMatcher.slice(1).map((row) => row[0]), ['HighCpu']);
    const none = rows(await ok(grouper.url, 'alert', 'query', '-r', 'nobody'));
    assert.equal(none.length, 1, 'the header only');
  });

  it('config show prints the loaded config with secrets hidden', async () => {
    const shown = await ok(grouper.url, 'config', 'show');
    assert.equal(shown.trimEnd(), (await status(grouper)).config.original.trimEnd());
    assert.match(shown, /receiver: pager/);
    assert.match(shown, /<secret>/);
    assert.doesNotMatch(shown, new RegExp(PASSWORD));
  });

  it('cluster show names this replica as the only, ready peer', async () => {
    const { name } = (await status(grouper)).cluster;
    assert.match(name, /^[0-9A-Z]{26}$/);
    const shown = await ok(grouper.url, 'cluster', 'show');
    assert.match(shown, /^Cluster Status:\s+ready$/m);
    assert.match(shown, new RegExp(`^Node Name:\\s+${name}$`, 'm'));
    const cluster = JSON.parse(await ok(grouper.url, 'cluster', 'show', '-o', 'json'));
    assert.deepEqual(cluster, { name, status: 'ready', peers: [{ name, address: cluster.peers[0]?.address }] });
    assert.match(cluster.peers[0].address, /^[^\s:]+:\d+$/, 'host:port');
  });

  it('silence query shows none and silence add says why it cannot', async () => {
    const table = rows(await ok(grouper.url, 'silence', 'query'));
    assert.deepEqual(table, [['ID', 'Matchers', 'Ends At', 'Created By', 'Comment']]);
    const added = await amtool(grouper.url, 'silence', 'add', 'alertname=DiskFull', '--comment=maintenance');
    assert.notEqual(added.code, 0);
    assert.match(added.stderr, /silences are not supported by Grouper/);
  });
});

describe('amtool 0.25 against two Grouper replicas sharing Redis', () => {
  const prefix = `grouper-test-amtool-${process.pid}-${Date.now().toString(36)}`;
  const replicas: GrouperProcess[] = [];

  before(async () => {
    const args = ['--storage.redis.url=redis://127.0.0.1:6379', `--storage.redis.prefix=${prefix}`];
    replicas.push(...(await Promise.all([startGrouper({ config: CONFIG, args }), startGrouper({ config: CONFIG, args })])));
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    const admin = new Redis('redis://127.0.0.1:6379');
    for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
      if ((keys as string[]).length > 0) await admin.unlink(...(keys as string[]));
    }
    await admin.quit();
  });

  it('cluster show lists both replicas, and an alert added through one is queried through the other', async () => {
    const names = await Promise.all(replicas.map(async (replica) => (await status(replica)).cluster.name));
    assert.notEqual(names[0], names[1]);
    for (const [i, replica] of replicas.entries()) {
      const cluster = JSON.parse(await ok(replica.url, 'cluster', 'show', '-o', 'json'));
      assert.equal(cluster.name, names[i]);
      assert.equal(cluster.status, 'ready');
      assert.deepEqual(cluster.peers.map((peer: { name: string }) => peer.name), [...names].sort());
      for (const peer of cluster.peers) assert.match(peer.address, /^[^\s:]+:\d+$/, 'host:port');
    }
    await ok(replicas[0].url, 'alert', 'add', 'alertname=Shared', 'instance=x');
    const seen = rows(await ok(replicas[1].url, 'alert', 'query'));
    assert.deepEqual(seen.slice(1).map((row) => row[0]), ['Shared']);
  });
});
