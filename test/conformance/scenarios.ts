import { failFirst, type Responder } from '../helpers/webhook-sink.ts';
import type { AlertSpec, Scenario } from './harness.ts';

// Timing rules every scenario keeps: a group's first tick is its creation + group_wait (or its
// creation when the creating alert is older than group_wait), then every group_interval. Each
// POST lands ≥ 500 ms away from every tick of the group it joins, each `until` ≥ 500 ms away
// from every tick, and repeat_interval is never a multiple of group_interval (AM 0.25's repeat
// decision races with the tick otherwise). Alerts are named by their `id` label. A time the
// server invents (startsAt = now, endsAt = now + resolve_timeout) is never earlier than its POST,
// so every time a scenario sends lies before any POST that leaves a time out: the harness tells
// sent times (compared exactly) from invented ones (compared within a tolerance) by value.

const RECEIVER_DEFAULT = `
  - name: default
    webhook_configs: [{ url: '{{SINK}}/default' }]`;

function fire(id: string, startsAt: number | undefined, labels: Record<string, string> = {}, rest: Partial<AlertSpec> = {}): AlertSpec {
  return { labels: { alertname: id.replace(/\d+$/, ''), id, ...labels }, startsAt, ...rest };
}

/** The same alert resolved: it keeps its startsAt and ends 100 ms before the POST (a resolve "now" must lie in the past). */
function resolve(alert: AlertSpec, postedAt: number): AlertSpec {
  return { ...alert, endsAt: postedAt - 100 };
}

const g = (labels: string): string => `{}:{${labels}}`;

const A1 = fire('A1', 0);
const A2 = fire('A2', 0);

const groupWaitBatching: Scenario = {
  name: 'group_wait batches alerts arriving before the first flush',
  notes: 'group_wait 1.5s: A1,B1 at 0, A2,A3 (A3 without startsAt) and B2 at 500 → one notification per group at 1.5s; nothing at the 4.5s tick.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1500ms
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1, fire('B1', 0)] },
    { at: 500, alerts: [fire('A2', 450), fire('A3', undefined), fire('B2', 400)] },
  ],
  until: 5_500,
  expected: {
    notifications: [
      { at: 1_500, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2', 'A3'] },
      { at: 1_500, path: '/default', groupKey: g('alertname="B"'), firing: ['B1', 'B2'] },
    ],
  },
};

const oldAlertFlushesAtOnce: Scenario = {
  name: 'an alert older than group_wait creates a group that flushes at once',
  notes: 'group_wait 2s, group_interval 3s: A1 started 60s ago → flush at 0, ticks 3s, 6s; A2 joins at 1s → flushed at 3s. B1 is fresh → first flush at 2s.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 2s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [fire('A1', -60_000), fire('B1', 0)] },
    { at: 1_000, alerts: [fire('A2', 1_000)] },
  ],
  until: 4_500,
  expected: {
    notifications: [
      { at: 0, path: '/default', groupKey: g('alertname="A"'), firing: ['A1'] },
      { at: 2_000, path: '/default', groupKey: g('alertname="B"'), firing: ['B1'] },
      { at: 3_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
    ],
  },
};

const groupIntervalBatching: Scenario = {
  name: 'group_interval batches alerts added after the first flush',
  notes: 'group_wait 1s, group_interval 3s: ticks 1s, 4s, 7s, 10s. A2 at 2s and A3 at 2.5s go out together at 4s, A4 at 5.5s at 7s; nothing changes before the 10s tick.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1] },
    { at: 2_000, alerts: [fire('A2', 2_000)] },
    { at: 2_500, alerts: [fire('A3', 2_500)] },
    { at: 5_500, alerts: [fire('A4', 5_500)] },
  ],
  until: 10_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1'] },
      { at: 4_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2', 'A3'] },
      { at: 7_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2', 'A3', 'A4'] },
    ],
  },
};

const repeatInterval: Scenario = {
  name: 'repeat_interval resends an unchanged group, counted from the last notification',
  notes: 'group_wait 1s, group_interval 2s, repeat_interval 5s: ticks 1s, 3s, 5s, …; A2 at 4s → sent at 5s; the repeat is due after 10s → first tick 11s.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 5s
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1] },
    { at: 4_000, alerts: [fire('A2', 4_000)] },
  ],
  until: 12_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1'] },
      { at: 5_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 11_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
    ],
  },
};

const resolveSent: Scenario = {
  name: 'resolved alerts are notified with send_resolved true, then leave the group',
  notes: 'ticks 1s, 4s, 7s. A1 resolves at 2s → 4s lists A1 resolved + A2 firing; A2 resolves at 5s → 7s "all resolved". Gone1 arrives already resolved and is never notified.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1, A2, fire('Gone1', -10_000, {}, { endsAt: -5_000 })] },
    { at: 2_000, alerts: [resolve(A1, 2_000)] },
    { at: 5_000, alerts: [resolve(A2, 5_000)] },
  ],
  until: 8_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 4_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A2'], resolved: ['A1'] },
      { at: 7_000, path: '/default', groupKey: g('alertname="A"'), resolved: ['A2'] },
    ],
  },
};

const repostIntoSentResolve: Scenario = {
  name: 'a post inside an episode whose resolve was sent merges with it: the kept startsAt is notified',
  notes:
    'ticks 1s, 4s, 7s. A1 resolves at 2s (ends 1.9s) and is sent resolved and dropped from the group at 4s. At 5s another ' +
    "sender's view of the same episode (startsAt 0.5s) arrives: the store still holds the resolved A1 and merges, so the 7s " +
    'notification shows A1 firing from 0 s, not from 0.5 s.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1, A2] },
    { at: 2_000, alerts: [resolve(A1, 2_000)] },
    { at: 5_000, alerts: [fire('A1', 500)] },
  ],
  until: 8_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 4_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A2'], resolved: ['A1'] },
      { at: 7_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
    ],
  },
};

const resolveNotSent: Scenario = {
  name: 'send_resolved false: resolves are not sent, and a re-fire of a still-notified alert is not resent',
  notes:
    'ticks 1s, 4s, 7s. Group A: A1 resolves at 2s (nothing at 4s, the notification log keeps A1 as firing), re-fires at 5s → nothing at 7s. ' +
    'Group B: B1 resolves at 2s → "all resolved" at 4s is decided but not sent.',
  config: `
route:
  receiver: quiet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:
  - name: quiet
    webhook_configs: [{ url: '{{SINK}}/quiet', send_resolved: false }]
`,
  steps: [
    { at: 0, alerts: [A1, A2, fire('B1', 0)] },
    { at: 2_000, alerts: [resolve(A1, 2_000), resolve(fire('B1', 0), 2_000)] },
    { at: 5_000, alerts: [fire('A1', 5_000)] },
  ],
  until: 8_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/quiet', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 1_000, path: '/quiet', groupKey: g('alertname="B"'), firing: ['B1'] },
    ],
  },
};

const resolveTimeout: Scenario = {
  name: 'alerts without endsAt resolve after resolve_timeout; re-posting extends them',
  notes:
    'resolve_timeout 3s, ticks 1s, 4s, 7s. A1, A2 (A2 without startsAt) end ≈3s → resolved at the 4s tick with invented endsAt. ' +
    'B1 is re-posted at 2s → ends ≈5s → resolved at 7s.',
  config: `
global:
  resolve_timeout: 3s
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [fire('A1', -500), fire('A2', undefined), fire('B1', -500)] },
    { at: 2_000, alerts: [fire('B1', -500)] },
  ],
  until: 7_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 1_000, path: '/default', groupKey: g('alertname="B"'), firing: ['B1'] },
      { at: 4_000, path: '/default', groupKey: g('alertname="A"'), resolved: ['A1', 'A2'] },
      { at: 7_000, path: '/default', groupKey: g('alertname="B"'), resolved: ['B1'] },
    ],
  },
};

const continueRoutes: Scenario = {
  name: 'continue: one alert notified through two routes and receivers',
  notes: 'X1 matches team="a" (continue) and severity="critical" → two receivers; the third route repeats the second and is never reached. Receiver names are regex-quoted in payloads (team\\.a).',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['team="a"']
      receiver: team.a
      continue: true
    - matchers: ['severity="critical"']
      receiver: pager
    - matchers: ['severity="critical"']
      receiver: never
receivers:${RECEIVER_DEFAULT}
  - name: team.a
    webhook_configs: [{ url: '{{SINK}}/team-a' }]
  - name: pager
    webhook_configs: [{ url: '{{SINK}}/pager' }]
  - name: never
    webhook_configs: [{ url: '{{SINK}}/never' }]
`,
  steps: [
    {
      at: 0,
      alerts: [
        fire('X1', 0, { team: 'a', severity: 'critical' }),
        fire('X2', 0, { team: 'a', severity: 'warning' }),
        fire('X3', 0, { team: 'b', severity: 'critical' }),
        fire('X4', 0, { team: 'b' }),
      ],
    },
  ],
  until: 4_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/team-a', groupKey: '{}/{team="a"}:{alertname="X"}', firing: ['X1', 'X2'] },
      { at: 1_000, path: '/pager', groupKey: '{}/{severity="critical"}:{alertname="X"}', firing: ['X1', 'X3'] },
      { at: 1_000, path: '/default', groupKey: g('alertname="X"'), firing: ['X4'] },
    ],
  },
};

const nestedInheritance: Scenario = {
  name: 'nested routes inherit receiver, group_by and timings',
  notes:
    'db child inherits group_by/timings; its regex child overrides only group_wait (2s) and inherits receiver db; its info child (legacy match) groups by instance too; ' +
    'web has group_interval 4s: W2 at 3s is sent at 5s (not 4s).',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['team="db"']
      receiver: db
      routes:
        - matchers: ['severity=~"crit|page"']
          group_wait: 2s
        - match: { severity: info }
          group_by: [alertname, instance]
    - match: { team: web }
      receiver: web
      group_interval: 4s
receivers:${RECEIVER_DEFAULT}
  - name: db
    webhook_configs: [{ url: '{{SINK}}/db' }]
  - name: web
    webhook_configs: [{ url: '{{SINK}}/web' }]
`,
  steps: [
    {
      at: 0,
      alerts: [
        fire('D1', 0, { alertname: 'Disk', team: 'db', severity: 'warning', instance: 'i1' }),
        fire('D2', 0, { alertname: 'Disk', team: 'db', severity: 'crit', instance: 'i1' }),
        fire('D3', 0, { alertname: 'Disk', team: 'db', severity: 'page', instance: 'i2' }),
        fire('D4', 0, { alertname: 'Disk', team: 'db', severity: 'info', instance: 'i1' }),
        fire('D5', 0, { alertname: 'Disk', team: 'db', severity: 'info', instance: 'i2' }),
        fire('W1', 0, { alertname: 'Slow', team: 'web' }),
        fire('N1', 0, { alertname: 'Other' }),
      ],
    },
    { at: 3_000, alerts: [fire('W2', 3_000, { alertname: 'Slow', team: 'web' })] },
  ],
  until: 6_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/db', groupKey: '{}/{team="db"}:{alertname="Disk"}', firing: ['D1'] },
      { at: 2_000, path: '/db', groupKey: '{}/{team="db"}/{severity=~"crit|page"}:{alertname="Disk"}', firing: ['D2', 'D3'] },
      { at: 1_000, path: '/db', groupKey: '{}/{team="db"}/{severity="info"}:{alertname="Disk", instance="i1"}', firing: ['D4'] },
      { at: 1_000, path: '/db', groupKey: '{}/{team="db"}/{severity="info"}:{alertname="Disk", instance="i2"}', firing: ['D5'] },
      { at: 1_000, path: '/web', groupKey: '{}/{team="web"}:{alertname="Slow"}', firing: ['W1'] },
      { at: 5_000, path: '/web', groupKey: '{}/{team="web"}:{alertname="Slow"}', firing: ['W1', 'W2'] },
      { at: 1_000, path: '/default', groupKey: g('alertname="Other"'), firing: ['N1'] },
    ],
  },
};

const groupByAll: Scenario = {
  name: "group_by ['...']: every label set is its own group; annotation changes never notify",
  notes: 'ticks 1s, 4s, 7s for E1/E2; E1 gets a new annotation at 2s (carried, but nothing sent at 4s or 7s); E3 at 5s → its own group, flushed at 6s.',
  config: `
route:
  receiver: default
  group_by: ['...']
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [fire('E1', 0, { instance: 'a' }, { annotations: { summary: 'v1' } }), fire('E2', 0, { instance: 'b' })] },
    { at: 2_000, alerts: [fire('E1', 0, { instance: 'a' }, { annotations: { summary: 'v2' } })] },
    { at: 5_000, alerts: [fire('E3', 5_000, { instance: 'a' })] },
  ],
  until: 7_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: g('alertname="E", id="E1", instance="a"'), firing: ['E1'] },
      { at: 1_000, path: '/default', groupKey: g('alertname="E", id="E2", instance="b"'), firing: ['E2'] },
      { at: 6_000, path: '/default', groupKey: g('alertname="E", id="E3", instance="a"'), firing: ['E3'] },
    ],
  },
};

const regexMatchers: Scenario = {
  name: 'regex matchers: =~ and !~ (anchored, missing label = ""), legacy match_re, (?i)',
  notes: 'One flush at 1s per route; legacy match_re shows its anchored form in the group key.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['service=~"api|web"', 'env!~"dev.*"']
      receiver: frontend
    - match_re: { service: 'db-.*' }
      receiver: database
    - matchers: ['service=~"(?i)CACHE"']
      receiver: cache
receivers:${RECEIVER_DEFAULT}
  - name: frontend
    webhook_configs: [{ url: '{{SINK}}/frontend' }]
  - name: database
    webhook_configs: [{ url: '{{SINK}}/database' }]
  - name: cache
    webhook_configs: [{ url: '{{SINK}}/cache' }]
`,
  steps: [
    {
      at: 0,
      alerts: [
        fire('R1', 0, { service: 'api', env: 'prod' }),
        fire('R2', 0, { service: 'web', env: 'dev-1' }),
        fire('R3', 0, { service: 'api' }),
        fire('R4', 0, { service: 'db-main' }),
        fire('R5', 0, { service: 'xdb-main' }),
        fire('R6', 0, { service: 'apix' }),
        fire('R7', 0, { service: 'cache' }),
        fire('R8', 0, { service: 'Cache' }),
      ],
    },
  ],
  until: 2_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/frontend', groupKey: '{}/{env!~"dev.*",service=~"api|web"}:{alertname="R"}', firing: ['R1', 'R3'] },
      { at: 1_000, path: '/database', groupKey: '{}/{service=~"^(?:db-.*)$"}:{alertname="R"}', firing: ['R4'] },
      { at: 1_000, path: '/cache', groupKey: '{}/{service=~"(?i)CACHE"}:{alertname="R"}', firing: ['R7', 'R8'] },
      { at: 1_000, path: '/default', groupKey: g('alertname="R"'), firing: ['R2', 'R5', 'R6'] },
    ],
  },
};

const T1 = fire('T1', 0, { job: 'a', instance: '1', severity: 'critical' }, { annotations: { runbook: 'r1' } });
const T2 = fire('T2', 0, { job: 'a', instance: '2', severity: 'critical' }, { annotations: { runbook: 'r1' } });
const maxAlerts: Scenario = {
  name: 'max_alerts truncates after sorting by job, instance, labels; status and common fields come from the kept alerts',
  notes: 'Sorted T1..T5; /limited keeps 2 (truncatedAlerts 3). At 4s T1,T2 are resolved → /limited says "resolved" while /all says "firing".',
  config: `
route:
  receiver: both
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:
  - name: both
    webhook_configs:
      - url: '{{SINK}}/limited'
        max_alerts: 2
      - url: '{{SINK}}/all'
`,
  steps: [
    {
      at: 0,
      alerts: [
        fire('T5', 0, { severity: 'warning' }),
        fire('T3', 0, { job: 'b', instance: '1', severity: 'warning' }),
        T2,
        fire('T4', 0, { instance: '1', severity: 'warning' }),
        T1,
      ],
    },
    { at: 2_000, alerts: [resolve(T1, 2_000), resolve(T2, 2_000)] },
  ],
  until: 5_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/limited', groupKey: g('alertname="T"'), firing: ['T1', 'T2'] },
      { at: 1_000, path: '/all', groupKey: g('alertname="T"'), firing: ['T1', 'T2', 'T3', 'T4', 'T5'] },
      { at: 4_000, path: '/limited', groupKey: g('alertname="T"'), resolved: ['T1', 'T2'] },
      { at: 4_000, path: '/all', groupKey: g('alertname="T"'), firing: ['T3', 'T4', 'T5'], resolved: ['T1', 'T2'] },
    ],
  },
};

const fail5xxOnce = failFirst(1, 500);
const fail4xxOnce = failFirst(1, 400);
const failOnceByStatus: Responder = (request) => (request.path === '/r5xx' ? fail5xxOnce : fail4xxOnce)(request);
const retries: Scenario = {
  name: 'a 5xx is retried within the flush; a 4xx fails the flush and is retried at the next tick',
  notes:
    '/r5xx answers 500 once → delivered after one backoff (0.25–0.75s after the 1s tick, so this scenario allows ±700 ms); ' +
    '/r4xx answers 400 once → delivered at the 4s tick. F2 at 5.5s → sent at 7s.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['kind="5xx"']
      receiver: flaky
    - matchers: ['kind="4xx"']
      receiver: rejecting
receivers:${RECEIVER_DEFAULT}
  - name: flaky
    webhook_configs: [{ url: '{{SINK}}/r5xx' }]
  - name: rejecting
    webhook_configs: [{ url: '{{SINK}}/r4xx' }]
`,
  responder: failOnceByStatus,
  deliveryToleranceMs: 700,
  steps: [
    { at: 0, alerts: [fire('F1', 0, { kind: '5xx' }), fire('G1', 0, { kind: '4xx' })] },
    { at: 5_500, alerts: [fire('F2', 5_500, { kind: '5xx' })] },
  ],
  until: 7_800,
  expected: {
    notifications: [
      { at: 1_500, path: '/r5xx', groupKey: '{}/{kind="5xx"}:{alertname="F"}', firing: ['F1'] },
      { at: 7_000, path: '/r5xx', groupKey: '{}/{kind="5xx"}:{alertname="F"}', firing: ['F1', 'F2'] },
      { at: 4_000, path: '/r4xx', groupKey: '{}/{kind="4xx"}:{alertname="G"}', firing: ['G1'] },
    ],
  },
};

const A3 = fire('A3', 5_000);
const twoWebhooks: Scenario = {
  name: 'two webhook_configs on one receiver with different send_resolved keep separate notification logs',
  notes:
    'ticks 1s, 4s, 7s, 10s. A1 resolves at 2s → only /all at 4s; A3 at 5s → both at 7s (/firing lists firing only); ' +
    'A2, A3 resolve at 8s → /all at 10s, /firing nothing.',
  config: `
route:
  receiver: both
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:
  - name: both
    webhook_configs:
      - url: '{{SINK}}/all'
        send_resolved: true
      - url: '{{SINK}}/firing'
        send_resolved: false
`,
  steps: [
    { at: 0, alerts: [A1, A2] },
    { at: 2_000, alerts: [resolve(A1, 2_000)] },
    { at: 5_000, alerts: [A3] },
    { at: 8_000, alerts: [resolve(A2, 8_000), resolve(A3, 8_000)] },
  ],
  until: 11_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/all', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 1_000, path: '/firing', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] },
      { at: 4_000, path: '/all', groupKey: g('alertname="A"'), firing: ['A2'], resolved: ['A1'] },
      { at: 7_000, path: '/all', groupKey: g('alertname="A"'), firing: ['A2', 'A3'] },
      { at: 7_000, path: '/firing', groupKey: g('alertname="A"'), firing: ['A2', 'A3'] },
      { at: 10_000, path: '/all', groupKey: g('alertname="A"'), resolved: ['A2', 'A3'] },
    ],
  },
};

const unicodeLabels: Scenario = {
  name: 'unicode, quotes, backslashes and control characters in labels, matchers and annotations',
  notes: 'Group keys Go-quote label values (\\a, \\u00ad, \\u2028 escaped; printable unicode raw); route keys escape only \\, " and newline.',
  config: String.raw`
route:
  receiver: default
  group_by: [alertname, team]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['region="zürich"']
      receiver: zurich
    - matchers: ['quote="say \"hi\""']
      receiver: quotes
receivers:
  - name: default
    webhook_configs: [{ url: '{{SINK}}/default' }]
  - name: zurich
    webhook_configs: [{ url: '{{SINK}}/zurich' }]
  - name: quotes
    webhook_configs: [{ url: '{{SINK}}/quotes' }]
`,
  steps: [
    {
      at: 0,
      alerts: [
        {
          labels: { alertname: 'Disk "full" ✓', team: 'ops\\east', region: 'zürich', id: 'U1' },
          annotations: { summary: '<b>&amp;</b> "quoted"\nnext line' },
          generatorURL: 'http://prom.test/graph?g0.expr=up<1&g0.tab=1',
          startsAt: 0,
        },
        { labels: { alertname: 'Disk "full" ✓', team: 'ops\\east', region: 'zürich', id: 'U2', emoji: '😀🚀' }, startsAt: 0 },
        { labels: { alertname: 'ctrl\u0007bell\u00adsoft\u2028sep', team: 'tab\there\nnewline', quote: 'say "hi"', id: 'U3' }, startsAt: 0 },
        { labels: { alertname: 'Ünïcödé', team: '日本語', id: 'U4' }, startsAt: 0 },
      ],
    },
  ],
  until: 2_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/zurich', groupKey: String.raw`{}/{region="zürich"}:{alertname="Disk \"full\" ✓", team="ops\\east"}`, firing: ['U1', 'U2'] },
      { at: 1_000, path: '/quotes', groupKey: String.raw`{}/{quote="say \"hi\""}:{alertname="ctrl\abell\u00adsoft\u2028sep", team="tab\there\nnewline"}`, firing: ['U3'] },
      { at: 1_000, path: '/default', groupKey: '{}:{alertname="Ünïcödé", team="日本語"}', firing: ['U4'] },
    ],
  },
};

const sortOrder: Scenario = {
  name: 'no group_by: one group {}:{} whose alerts are sorted by job, instance, then label set (UTF-8 byte order)',
  notes:
    'Alerts posted scrambled; the order between the two systems is compared. job values "😀" and "～" sort by UTF-8 bytes ' +
    '(JS string order would swap them). N1 goes to a receiver without integrations and is never sent.',
  config: `
route:
  receiver: default
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['alertname="N"']
      receiver: blackhole
receivers:${RECEIVER_DEFAULT}
  - name: blackhole
`,
  steps: [
    {
      at: 0,
      alerts: [
        fire('P9', 0, { c: '1' }),
        fire('P1', 0, { job: '～' }),
        fire('P5', 0, { instance: 'b' }),
        fire('P2', 0, { job: '😀' }),
        fire('P7', 0),
        fire('P4', 0, { job: 'é' }),
        fire('P6', 0, { instance: 'a', extra: '1' }),
        fire('P3', 0, { job: 'z' }),
        fire('P8', 0, { b: '1' }),
        fire('O1', 0),
        fire('N1', 0),
      ],
    },
  ],
  until: 2_500,
  expected: {
    notifications: [{ at: 1_000, path: '/default', groupKey: '{}:{}', firing: ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9', 'O1'] }],
  },
};

// Documented differences: Alertmanager 0.25 is checked against `expected`, the candidate
// against `current` (what current Alertmanager does, which Grouper follows).

const childGroupByEmpty: Scenario = {
  name: 'difference: a child route with group_by: [] (0.25 inherits; current = no grouping labels)',
  notes: 'X1, Y1 on the team="a" child whose group_by is [] while the root groups by alertname.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: ['team="a"']
      group_by: []
receivers:${RECEIVER_DEFAULT}
`,
  steps: [{ at: 0, alerts: [fire('X1', 0, { team: 'a' }), fire('Y1', 0, { team: 'a' })] }],
  until: 2_500,
  expected: {
    notifications: [
      { at: 1_000, path: '/default', groupKey: '{}/{team="a"}:{alertname="X"}', firing: ['X1'] },
      { at: 1_000, path: '/default', groupKey: '{}/{team="a"}:{alertname="Y"}', firing: ['Y1'] },
    ],
  },
  current: {
    difference: 'an explicit empty group_by means "no grouping labels": one group {}/{team="a"}:{} holding X1 and Y1',
    notifications: [{ at: 1_000, path: '/default', groupKey: '{}/{team="a"}:{}', firing: ['X1', 'Y1'] }],
  },
};

const oldAlertJoiningUnflushedGroup: Scenario = {
  name: 'difference: an old alert joining a group before its first flush (0.25 flushes at once; current waits)',
  notes: 'group_wait 3s, group_interval 4s: A1 (fresh) creates the group at 0; A2, started 60s ago, joins at 1s.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 3s
  group_interval: 4s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [
    { at: 0, alerts: [A1] },
    { at: 1_000, alerts: [fire('A2', -60_000)] },
  ],
  until: 4_500,
  expected: { notifications: [{ at: 1_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] }] },
  current: {
    difference: 'the old-alert rule applies only when the group is created ([≥0.30]): the first flush stays at group_wait, 3s',
    notifications: [{ at: 3_000, path: '/default', groupKey: g('alertname="A"'), firing: ['A1', 'A2'] }],
  },
};

const refireIntoEmptiedGroup: Scenario = {
  name: 'difference: "all resolved" with send_resolved false is logged, and a re-fire after the group emptied (0.25 joins the old group; current starts a new one)',
  notes:
    'ticks 1s, 4s. A1 resolves at 2s → at 4s "all resolved" is decided, not sent, and clears the log; the group empties. ' +
    'A1 re-fires at 5s and is notified again (it would be suppressed had the log kept it).',
  config: `
route:
  receiver: quiet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:
  - name: quiet
    webhook_configs: [{ url: '{{SINK}}/quiet', send_resolved: false }]
`,
  steps: [
    { at: 0, alerts: [A1] },
    { at: 2_000, alerts: [resolve(A1, 2_000)] },
    { at: 5_000, alerts: [fire('A1', 5_000)] },
  ],
  until: 8_000,
  expected: {
    notifications: [
      { at: 1_000, path: '/quiet', groupKey: g('alertname="A"'), firing: ['A1'] },
      { at: 7_000, path: '/quiet', groupKey: g('alertname="A"'), firing: ['A1'] },
    ],
  },
  referenceMayMatchCurrent:
    "0.25 sweeps emptied groups every 30 s from its start; when a sweep falls between 4s and 5s it too starts a new group",
  current: {
    difference: 'an emptied group is destroyed at once ([≥0.32]): the re-fire creates a new group with a fresh group_wait → sent at 6s',
    notifications: [
      { at: 1_000, path: '/quiet', groupKey: g('alertname="A"'), firing: ['A1'] },
      { at: 6_000, path: '/quiet', groupKey: g('alertname="A"'), firing: ['A1'] },
    ],
  },
};

const partlyInvalidBatch: Scenario = {
  name: 'difference: a partly invalid batch stores the valid alerts and answers 400 (0.25 joins errors with "; ", current with "\\n")',
  notes: 'V1 is valid and notified at 1s; the other two members are rejected.',
  config: `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
receivers:${RECEIVER_DEFAULT}
`,
  steps: [{ at: 0, alerts: [fire('V1', 0), fire('B1', 0, {}, { endsAt: -1_000 }), { labels: {}, startsAt: 0 }] }],
  until: 2_500,
  expected: {
    notifications: [{ at: 1_000, path: '/default', groupKey: g('alertname="V"'), firing: ['V1'] }],
    responses: [{ status: 400, body: 'start time must be before end time; at least one label pair required' }],
  },
  current: {
    difference: 'the error texts are joined with a newline ([≥0.32])',
    notifications: [{ at: 1_000, path: '/default', groupKey: g('alertname="V"'), firing: ['V1'] }],
    responses: [{ status: 400, body: 'start time must be before end time\nat least one label pair required' }],
  },
};

export const scenarios: readonly Scenario[] = [
  groupWaitBatching,
  oldAlertFlushesAtOnce,
  groupIntervalBatching,
  repeatInterval,
  resolveSent,
  repostIntoSentResolve,
  resolveNotSent,
  resolveTimeout,
  continueRoutes,
  nestedInheritance,
  groupByAll,
  regexMatchers,
  maxAlerts,
  retries,
  twoWebhooks,
  unicodeLabels,
  sortOrder,
  childGroupByEmpty,
  oldAlertJoiningUnflushedGroup,
  refireIntoEmptiedGroup,
  partlyInvalidBatch,
];
