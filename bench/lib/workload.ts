/** The bench's alerts and alertmanager.yml: `groups` groups of alerts sharing {alertname, group}. */

const STARTED_AGO_MS = 2 * 60_000;
/** Prometheus sends endsAt = now + 4 × the evaluation interval (1 min by default). */
const ENDS_IN_MS = 4 * 60_000;
const SEVERITIES = ['critical', 'warning', 'info'];
const ALERTNAMES = 100;

export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

/**
 * Alert `index` of a set: consecutive alerts go to consecutive groups, so one batch touches
 * `batch` different groups, and `set` keeps warm-up alerts out of the measured groups.
 */
export function benchAlert(set: string, index: number, groups: number, now: number): PostableAlert {
  const group = index % groups;
  const member = Math.floor(index / groups);
  const alertname = `${set}${group % ALERTNAMES}`;
  return {
    labels: { alertname, group: String(group), instance: `i${member}`, job: 'bench', severity: SEVERITIES[member % SEVERITIES.length] },
    annotations: { summary: `${alertname} on i${member} in group ${group}` },
    startsAt: new Date(now - STARTED_AGO_MS).toISOString(),
    endsAt: new Date(now + ENDS_IN_MS).toISOString(),
    generatorURL: `http://prometheus.bench:9090/graph?g0.expr=bench_${group % ALERTNAMES}`,
  };
}

/** The request bodies of `count` alerts in batches of `batch`, serialised up front so that sending costs no JSON work. */
export function serialisedBatches(set: string, count: number, groups: number, batch: number, now: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let first = 0; first < count; first += batch) {
    const alerts: PostableAlert[] = [];
    for (let index = first; index < Math.min(first + batch, count); index++) alerts.push(benchAlert(set, index, groups, now));
    bodies.push(Buffer.from(JSON.stringify(alerts)));
  }
  return bodies;
}

/** group_wait of 1h: no notification fires while alerts are ingested, so only ingest is measured. */
export function benchConfig(webhookUrl: string): string {
  return `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: 1h
  group_interval: 1h
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
`;
}
