/**
 * Records label/routing vectors from the real Alertmanager into test/fixtures/am-vectors.json:
 * each alert's fingerprint (GET /api/v2/alerts) and each notification's group key and group
 * labels (webhook payloads). Run: node --import tsx scripts/am-vectors.ts
 *
 * Alertmanager 0.25 only has the classic matcher parser and classic label names, so names here
 * are plain; values carry the unicode, quotes, backslashes and control characters. Child routes
 * never say `group_by: []`, which 0.25 reads as "inherit" and current Alertmanager as "none".
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { startAlertmanager } from '../test/helpers/alertmanager-process.ts';
import { WebhookSink } from '../test/helpers/webhook-sink.ts';

const OUTPUT = new URL('../test/fixtures/am-vectors.json', import.meta.url);

interface RouteSpec {
  readonly receiver?: string;
  readonly group_by?: readonly string[];
  readonly matchers?: readonly string[];
  readonly match?: Readonly<Record<string, string>>;
  readonly match_re?: Readonly<Record<string, string>>;
  readonly continue?: boolean;
  readonly routes?: readonly RouteSpec[];
}

const ROUTE: RouteSpec = {
  receiver: 'root',
  group_by: ['alertname'],
  routes: [
    {
      receiver: 'team-db',
      matchers: ['team="db"'],
      group_by: ['alertname', 'instance'],
      routes: [
        { receiver: 'db-page', matchers: ['severity=~"crit.*|page"'] },
        { receiver: 'db-quoted', matchers: ['msg="say \\"hi\\", ok"', 'path=~"C:\\\\\\\\.*"', 'note!="a\\nb"'] },
      ],
    },
    {
      receiver: 'legacy',
      match: { team: 'legacy' },
      match_re: { severity: 'warn.*|info' },
      group_by: ['...'],
      continue: true,
    },
    { receiver: 'legacy-sibling', match: { team: 'legacy' }, group_by: ['severity', 'zone'] },
    { receiver: 'unicode', matchers: ['city=~"Zürich|東京.*"', 'mood!="😀"'], group_by: ['city', 'note'] },
    {
      receiver: 'multi',
      matchers: ['zone!~"eu-.*"', 'tier=~".+"', 'app!=""'],
      group_by: ['tier', 'quote'],
      continue: true,
      routes: [{ receiver: 'multi-child', matchers: ['tier="front"'], group_by: ['...'] }],
    },
    { receiver: 'order', matchers: ['case="order"'], group_by: ['case'] },
  ],
};

const many: Record<string, string> = { alertname: 'ManyLabels' };
for (let i = 0; i < 40; i++) many[`label_${String(i).padStart(2, '0')}`] = `value-${i * 7919}`;

const ALERTS: readonly Record<string, string>[] = [
  { alertname: 'DbDown', team: 'db', severity: 'critical', instance: 'db1:9100', job: 'mysql' },
  { alertname: 'DbDown', team: 'db', severity: 'page', instance: 'db2:9100', job: 'mysql' },
  { alertname: 'DbSlow', team: 'db', severity: 'warning', instance: 'db1:9100' },
  { alertname: 'Quoted', team: 'db', msg: 'say "hi", ok', path: 'C:\\temp\\x', instance: 'back\\slash "quoted"' },
  { alertname: 'Legacy', team: 'legacy', severity: 'warning', zone: '' },
  { alertname: 'Legacy2', team: 'legacy', severity: 'info' },
  { alertname: 'LegacyCrit', team: 'legacy', severity: 'critical' },
  { alertname: 'Unicode', city: 'Zürich', note: 'tab\there\nnewline\r', mood: 'ok' },
  {
    alertname: 'Unicode',
    city: '東京都',
    note: 'nbsp\u00a0zwsp\u200b nel\u0085 del\x7f ctl\x01\x1b bell\x07 😀 tag\u{e0001} repl\ufffd é e\u0301 pua\ue000 ls\u2028',
    mood: 'ok',
  },
  { alertname: 'Unicode', city: 'Zürich', mood: '😀' },
  { alertname: 'Multi', tier: 'front', app: 'web', zone: 'us-1', quote: 'back\\slash "q"' },
  { alertname: 'Multi', tier: 'back', app: 'api', zone: 'eu-1' },
  { alertname: 'Multi', tier: 'back', app: 'api', quote: '' },
  many,
  { alertname: 'Surrogate', v: 'lone\ud800surrogate' },
  { alertname: 'Empty', team: '', tier: '' },
  { alertname: 'Order', case: 'order', v: '\uff61' },
  { alertname: 'Order', case: 'order', v: '😀' },
  { alertname: 'Order', case: 'order', w: 'a' },
  { alertname: 'Order', case: 'order' },
  { alertname: 'Order', case: 'order', v: 'b', x: '1' },
  { alertname: 'Order', case: 'order', job: 'j2' },
  { alertname: 'Order', case: 'order', job: 'j1', z: '1' },
  { alertname: 'Order', case: 'order', instance: 'i1' },
  { alertname: 'Order', case: 'order', v: 'a' },
  { alertname: 'Order', case: 'order', v: 'a\u00e9' },
  { alertname: 'Order', case: 'order', v: 'a\u{10000}' },
];

function receiverNames(route: RouteSpec): string[] {
  return [...(route.receiver ? [route.receiver] : []), ...(route.routes ?? []).flatMap(receiverNames)];
}

function configYaml(sinkUrl: string): string {
  return stringify({
    route: { ...ROUTE, group_wait: '1s', group_interval: '1h', repeat_interval: '24h' },
    receivers: receiverNames(ROUTE).map((name) => ({ name, webhook_configs: [{ url: `${sinkUrl}/${name}` }] })),
  });
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface ApiAlert {
  readonly fingerprint: string;
  readonly labels: Record<string, string>;
}

interface WebhookBody {
  readonly receiver: string;
  readonly groupKey: string;
  readonly groupLabels: Record<string, string>;
  readonly alerts: readonly { readonly fingerprint: string; readonly labels: Record<string, string> }[];
}

async function main(): Promise<void> {
  const sink = await WebhookSink.start();
  const config = configYaml(sink.url);
  const am = await startAlertmanager({ config });
  try {
    const posted = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ALERTS.map((labels) => ({ labels }))),
    });
    if (!posted.ok) throw new Error(`POST alerts: ${posted.status} ${await posted.text()}`);
    const stored = await getJson<ApiAlert[]>(`${am.url}/api/v2/alerts`);
    if (stored.length !== ALERTS.length) throw new Error(`Alertmanager holds ${stored.length} alerts, ${ALERTS.length} were posted`);
    const groups = await getJson<unknown[]>(`${am.url}/api/v2/alerts/groups`);
    const requests = await sink.waitForCount(groups.length, 15_000);

    const fingerprintOf = new Map(stored.map((a) => [JSON.stringify(sortedEntries(a.labels)), a]));
    const alerts = ALERTS.map((labels) => {
      const kept = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
      const match = fingerprintOf.get(JSON.stringify(sortedEntries(kept)));
      if (match === undefined) throw new Error(`no stored alert for ${JSON.stringify(labels)}`);
      return { posted: labels, labels: match.labels, fingerprint: match.fingerprint };
    });
    const notifications = requests
      .map((r) => r.body as WebhookBody)
      .map((b) => ({ receiver: b.receiver, groupKey: b.groupKey, groupLabels: b.groupLabels, alerts: b.alerts.map((a) => a.fingerprint) }))
      .sort((a, b) => (a.receiver + a.groupKey < b.receiver + b.groupKey ? -1 : 1));

    const version = (await getJson<{ versionInfo: { version: string } }>(`${am.url}/api/v2/status`)).versionInfo.version;
    const fixture = { recordedWith: `Alertmanager ${version} by scripts/am-vectors.ts`, config, alerts, notifications };
    await writeFile(OUTPUT, JSON.stringify(fixture, null, 2) + '\n');
    console.log(`wrote ${alerts.length} alerts and ${notifications.length} notifications to ${OUTPUT.pathname}`);
  } finally {
    await am.stop();
    await sink.close();
  }
}

/** Label sets compared as JSON of their entries in a fixed order (the lone surrogate becomes U+FFFD in Go). */
function sortedEntries(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels)
    .map(([k, v]): [string, string] => [k, Buffer.from(v).toString()])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

await main();
