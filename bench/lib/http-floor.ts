/**
 * The machine's floor for flush lateness: a bare undici client that posts one webhook body per
 * group at the group's due time and does nothing else, no store, no grouping. bench/redis.ts runs
 * it as a child process, as it runs the systems it measures:
 * `node --import tsx bench/lib/http-floor.ts <sink url> <groups> <span ms> <batch>`.
 * First a burst of `groups` bodies (`Warmup`), as the systems get; then `groups` bodies
 * (`Lateness`) due over `span` ms from 200 ms on, `batch` at a time and the batches evenly, as
 * the groups the bench creates a batch per request fall due; each carries its due time as its
 * alert's startsAt. Prints the CPU milliseconds the paced part took, and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER } from '../../src/notify/webhook-notifier.ts';

const [url, groupsArg, spanArg, batchArg] = process.argv.slice(2);
const groups = Number(groupsArg);
const spanMs = Number(spanArg);
const batch = Number(batchArg);
const pool = new Pool(url, { connections: DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER, pipelining: 1 });

/** As large as the webhook payload Grouper sends for a group of one alert. */
function body(name: string, group: number, dueAt: number): string {
  const labels = { alertname: name, group: String(group), set: 'due' };
  return JSON.stringify({
    receiver: 'sink',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: {},
        startsAt: new Date(dueAt).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: group.toString(16).padStart(16, '0'),
      },
    ],
    groupLabels: { alertname: name, group: String(group) },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://conformance.test',
    version: '4',
    groupKey: `{}/{set="due"}:{alertname="${name}", group="${group}"}`,
    truncatedAlerts: 0,
  });
}

async function post(payload: string): Promise<void> {
  const response = await pool.request({ path: '/bench', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
  await response.body.dump();
  if (response.statusCode !== 200) throw new Error(`the sink answered ${response.statusCode}`);
}

const now = Date.now();
await Promise.all(Array.from({ length: groups }, (_, group) => post(body('Warmup', group, now))));

const first = Date.now() + 200;
const dueAt = (group: number): number => first + (Math.floor(group / batch) * batch * spanMs) / groups;
const cpuBefore = process.cpuUsage();
const sends: Promise<void>[] = [];
for (let next = 0; next < groups; ) {
  await sleep(Math.max(0, dueAt(next) - Date.now()));
  for (const at = Date.now(); next < groups && dueAt(next) <= at; next++) sends.push(post(body('Lateness', next, dueAt(next))));
}
await Promise.all(sends);
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(`${(cpu.user + cpu.system) / 1000}\n`);
await pool.close();
