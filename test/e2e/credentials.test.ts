import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { startGrouper, type GrouperProcess } from '../helpers/grouper-process.ts';
import { failFirst, WebhookSink } from '../helpers/webhook-sink.ts';

/** ServiceProcess keeps the last 64 KiB of output: below that, it is the whole output. */
const OUTPUT_LIMIT = 64 * 1024;
const FAILED_ATTEMPTS = 2;
const WAIT_MS = 10_000;

const tag = randomBytes(6).toString('hex');
const secret = {
  smtpPassword: `smtp-pw-${tag}`,
  basicPassword: `basic-pw-${tag}`,
  filePassword: `file-pw-${tag}`,
  bearerToken: `bearer-token-${tag}`,
  credentials: `authz-credentials-${tag}`,
  urlToken: `url-token-${tag}`,
  urlPassword: `s3cr3t-${tag}`,
  refusedPassword: `refused-pw-${tag}`,
  incomingToken: `incoming-token-${tag}`,
};

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const basicAuth = (user: string, password: string): string => `Basic ${base64(`${user}:${password}`)}`;

/** Every secret as written and as it travels in an Authorization header. */
const forbidden = [
  ...Object.values(secret),
  base64(`alice:${secret.basicPassword}`),
  base64(`carol:${secret.filePassword}`),
  base64(`user:${secret.urlPassword}`),
  base64(`bob:${secret.refusedPassword}`),
];

function assertNoSecret(where: string, text: string): void {
  for (const value of forbidden) assert.ok(!text.includes(value), `${where} shows the secret ${value}`);
}

/** Each target label routes to the receiver of that name. */
const TARGETS = ['basic', 'basic-file', 'bearer', 'authz', 'userinfo', 'refused'] as const;
/** Where the sink sees each receiver's requests: the URL without its userinfo. */
const SINK_PATHS = { basic: '/basic', 'basic-file': '/basic-file', bearer: `/bearer?token=${secret.urlToken}`, authz: '/authz', userinfo: '/userinfo' };
/** Secret scalars of the config below: `original` shows each as <secret>. */
const SECRET_FIELDS = 10;

function config(sink: WebhookSink, refusedPort: number, passwordFile: string): string {
  const sinkHost = new URL(sink.url).host;
  return `global:
  resolve_timeout: 5m
  smtp_auth_password: ${secret.smtpPassword}
route:
  receiver: basic
  group_by: [alertname]
  group_wait: 50ms
  group_interval: 1h
  repeat_interval: 4h
  routes:
${TARGETS.map((target) => `    - { receiver: ${target}, matchers: ['target="${target}"'] }\n`).join('')}receivers:
  - name: basic
    webhook_configs:
      - url: ${sink.url}/basic
        http_config: { basic_auth: { username: alice, password: ${secret.basicPassword} } }
  - name: basic-file
    webhook_configs:
      - url: ${sink.url}/basic-file
        http_config: { basic_auth: { username: carol, password_file: ${passwordFile} } }
  - name: bearer
    webhook_configs:
      - url: ${sink.url}/bearer?token=${secret.urlToken}
        http_config: { bearer_token: ${secret.bearerToken} }
  - name: authz
    webhook_configs:
      - url: ${sink.url}/authz
        http_config: { authorization: { type: Token, credentials: ${secret.credentials} } }
  - name: userinfo
    webhook_configs:
      - url: http://user:${secret.urlPassword}@${sinkHost}/userinfo
  - name: refused
    webhook_configs:
      - url: http://bob:${secret.refusedPassword}@127.0.0.1:${refusedPort}/refused
`;
}

describe('credentials in the config', () => {
  let sink: WebhookSink;
  let grouper: GrouperProcess;
  let dir: string;
  let validConfig: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grouper-credentials-'));
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${secret.filePassword}\n`);
    sink = await WebhookSink.start(failFirst(FAILED_ATTEMPTS));
    // Nothing listens there: connections are refused.
    validConfig = config(sink, await freePort(), passwordFile);
    grouper = await startGrouper({ config: validConfig, logLevel: 'debug', args: ['--shutdown.timeout=1s'] });

    const now = Date.now();
    const alerts = TARGETS.map((target) => ({ labels: { alertname: `Cred-${target}`, target }, startsAt: new Date(now).toISOString() }));
    const posted = await fetch(`${grouper.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret.incomingToken}` },
      body: JSON.stringify(alerts),
    });
    assert.equal(posted.status, 200, await posted.text());
    // Every receiver but the refused one fails twice, then takes the notification.
    await sink.waitFor(
      (requests) => Object.values(SINK_PATHS).every((path) => requests.some((r) => r.path === path && r.status === 200)),
      WAIT_MS,
    );
  });
  after(async () => {
    await grouper?.stop();
    await sink?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends each receiver its credentials', () => {
    const authorization = (path: string): string[] => sink.requests.filter((r) => r.path === path).map((r) => String(r.headers.authorization));
    const expected = {
      basic: basicAuth('alice', secret.basicPassword),
      'basic-file': basicAuth('carol', secret.filePassword),
      bearer: `Bearer ${secret.bearerToken}`,
      authz: `Token ${secret.credentials}`,
      userinfo: basicAuth('user', secret.urlPassword),
    };
    for (const [receiver, path] of Object.entries(SINK_PATHS)) {
      const header = expected[receiver as keyof typeof expected];
      assert.deepEqual(authorization(path), Array(FAILED_ATTEMPTS + 1).fill(header), receiver);
    }
  });

  it('shows <secret> in place of each secret in the status', async () => {
    const status = await fetch(`${grouper.url}/api/v2/status`);
    const original: string = (await status.json()).config.original;
    assertNoSecret('config.original', original);
    assert.equal(original.match(/<secret>/g)?.length, SECRET_FIELDS, original);
    for (const field of ['smtp_auth_password', 'password', 'bearer_token', 'credentials', 'url']) {
      assert.match(original, new RegExp(`\\b${field}: <secret>`), field);
    }
    assert.ok(original.includes('password_file: '), 'a file name is not a secret');
  });

  it('keeps secrets out of every query answer', async () => {
    const get = (path: string): Promise<string> => fetch(`${grouper.url}${path}`).then((response) => response.text());
    const groups = JSON.parse(await get('/api/v1/groups')).groups as { id: string }[];
    assert.equal(groups.length, TARGETS.length);
    const paths = [
      '/metrics',
      '/api/v2/status',
      '/api/v2/receivers',
      '/api/v2/alerts',
      '/api/v2/alerts/groups',
      '/api/v1/groups',
      '/api/v1/timers',
      '/api/v1/timers/stats',
      ...groups.flatMap(({ id }) => [`/api/v1/groups/${id}`, `/api/v1/timers/${id}`]),
    ];
    for (const path of paths) assertNoSecret(path, await get(path));
    const metrics = await get('/metrics');
    assert.match(metrics, /^alertmanager_notification_requests_failed_total\{integration="webhook"\} [1-9]/m, 'failures happened');
  });

  it('keeps secrets out of error answers', async () => {
    const answers: Response[] = [
      await fetch(`${grouper.url}/api/v1/groups/${'0'.repeat(32)}`),
      await fetch(`${grouper.url}/api/v1/groups?filter=${encodeURIComponent('target=~"("')}`),
      await fetch(`${grouper.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"labels":{}}]' }),
    ];
    // Invalid configs next to or around secrets: the refusal quotes the file and the path only.
    const invalidConfigs = [
      validConfig.replace(`password: ${secret.basicPassword} }`, `password: ${secret.basicPassword}`),
      validConfig.replace(`${sink.url}/authz`, `"http://user:${secret.urlPassword}@[bad"`),
      validConfig.replace(`${sink.url}/basic\n`, `ftp://user:${secret.urlPassword}@127.0.0.1/\n`),
      validConfig.replace(`bearer_token: ${secret.bearerToken} }`, `bearer_token: ${secret.bearerToken}, basic_auth: { password: ${secret.basicPassword} } }`),
      validConfig.replace(`password: ${secret.basicPassword} }`, `password: [${secret.basicPassword}] }`),
    ];
    for (const invalid of invalidConfigs) {
      await writeFile(grouper.configFile, invalid);
      answers.push(await fetch(`${grouper.url}/-/reload`, { method: 'POST' }));
    }
    await writeFile(grouper.configFile, validConfig);
    answers.push(await fetch(`${grouper.url}/-/reload`, { method: 'POST' }));

    const statuses = answers.map((answer) => answer.status);
    assert.deepEqual(statuses, [404, 400, 400, ...invalidConfigs.map(() => 500), 200]);
    for (const answer of answers) assertNoSecret(`${answer.url} (${answer.status})`, await answer.text());
  });

  it('keeps secrets out of the logs, at debug level, through failures, reloads and shutdown', async () => {
    await grouper.stop();
    const output = grouper.output();
    assert.ok(output.length < OUTPUT_LIMIT, 'the whole output was kept');
    for (const logged of ['unexpected status code 500', 'ECONNREFUSED', 'Notify success', 'configuration reload failed', 'configuration reloaded', 'ignored: Grouper sends only webhook notifications', 'incoming request']) {
      assert.ok(output.includes(logged), `the log shows ${JSON.stringify(logged)}`);
    }
    assertNoSecret('the log', output);
  });
});
