import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { metricsRoutes, recordHttpMetrics } from '../../src/api/metrics-routes.ts';
import { Metrics, type StoreStats } from '../../src/telemetry/metrics.ts';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Scrape {
  readonly samples: readonly Sample[];
  readonly help: ReadonlyMap<string, string>;
  readonly type: ReadonlyMap<string, string>;
}

function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? help : type).set(comment[2], comment[3]);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[name] = value;
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { samples, help, type };
}

/** The value of the one sample named `name` whose labels are exactly `labels`. */
function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = scrape.samples.filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

function labelNamesOf(scrape: Scrape, family: string): string[] {
  const names = new Set<string>();
  for (const sample of scrape.samples) {
    if (![family, `${family}_bucket`, `${family}_sum`, `${family}_count`].includes(sample.name)) continue;
    for (const label of Object.keys(sample.labels)) if (label !== 'le' && label !== 'quantile') names.add(label);
  }
  return [...names].sort();
}

function assertClose(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);
}

class FakeClock {
  ms = 1_000;
  readonly now = (): number => this.ms;
}

function newMetrics(clock = new FakeClock()): Metrics {
  return new Metrics({ version: '1.2.3', collectDefault: false, now: clock.now });
}

async function appWith(metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify();
  app.decorate('metrics', metrics);
  recordHttpMetrics(app);
  await app.register(metricsRoutes);
  app.get('/things/:id', async () => ({ ok: true }));
  await app.ready();
  return app;
}

async function scrape(app: FastifyInstance): Promise<Scrape> {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  return parseExposition(response.body);
}

const STATS: StoreStats = { alertsFiring: 7, alertsResolved: 2, groups: 3 };

describe('Metrics: Alertmanager compatibility', () => {
  it('exposes the Alertmanager metrics under their names, types, labels and help', async () => {
    const app = await appWith(newMetrics());
    const result = await scrape(app);
    const expected: [name: string, type: string, labels: string[], help: string][] = [
      ['alertmanager_alerts', 'gauge', ['state'], 'How many alerts by state.'],
      ['alertmanager_alerts_received_total', 'counter', ['status', 'version'], 'The total number of received alerts.'],
      ['alertmanager_alerts_invalid_total', 'counter', ['version'], 'The total number of received alerts that were invalid.'],
      ['alertmanager_notifications_total', 'counter', ['integration'], 'The total number of attempted notifications.'],
      ['alertmanager_notifications_failed_total', 'counter', ['integration', 'reason'], 'The total number of failed notifications.'],
      ['alertmanager_notification_requests_total', 'counter', ['integration'], 'The total number of attempted notification requests.'],
      ['alertmanager_notification_requests_failed_total', 'counter', ['integration'], 'The total number of failed notification requests.'],
      ['alertmanager_notification_latency_seconds', 'histogram', ['integration'], 'The latency of notifications in seconds.'],
      ['alertmanager_dispatcher_aggregation_groups', 'gauge', [], 'Number of active aggregation groups'],
      ['alertmanager_dispatcher_alert_processing_duration_seconds', 'summary', [], 'Summary of latencies for the processing of alerts.'],
      ['alertmanager_config_last_reload_successful', 'gauge', [], 'Whether the last configuration reload attempt was successful.'],
      ['alertmanager_config_last_reload_success_timestamp_seconds', 'gauge', [], 'Timestamp of the last successful configuration reload.'],
      [
        'alertmanager_config_hash',
        'gauge',
        [],
        'Hash of the currently loaded alertmanager configuration. Note that this is not a cryptographically strong hash.',
      ],
    ];
    for (const [name, type, labels, help] of expected) {
      assert.equal(result.type.get(name), type, name);
      assert.equal(result.help.get(name), help, name);
      assert.deepEqual(labelNamesOf(result, name), labels, name);
    }
    const buckets = result.samples
      .filter((s) => s.name === 'alertmanager_notification_latency_seconds_bucket')
      .map((s) => s.labels.le);
    assert.deepEqual(buckets, ['1', '5', '10', '15', '20', '+Inf']);
    // Alertmanager's summary has no quantiles, only a sum and a count.
    assert.deepEqual(
      result.samples.filter((s) => s.name.startsWith('alertmanager_dispatcher_alert_processing')).map((s) => s.name),
      ['alertmanager_dispatcher_alert_processing_duration_seconds_sum', 'alertmanager_dispatcher_alert_processing_duration_seconds_count'],
    );
    await app.close();
  });

  it('creates every series with fixed labels at zero before anything is recorded', async () => {
    const app = await appWith(newMetrics());
    const result = await scrape(app);
    for (const state of ['active', 'suppressed', 'unprocessed']) assert.equal(valueOf(result, 'alertmanager_alerts', { state }), 0);
    for (const status of ['firing', 'resolved']) {
      assert.equal(valueOf(result, 'alertmanager_alerts_received_total', { status, version: 'v2' }), 0);
    }
    assert.equal(valueOf(result, 'alertmanager_alerts_invalid_total', { version: 'v2' }), 0);
    const webhook = { integration: 'webhook' };
    assert.equal(valueOf(result, 'alertmanager_notifications_total', webhook), 0);
    for (const reason of ['other', 'clientError', 'serverError', 'contextCanceled', 'contextDeadlineExceeded']) {
      assert.equal(valueOf(result, 'alertmanager_notifications_failed_total', { ...webhook, reason }), 0);
    }
    assert.equal(valueOf(result, 'alertmanager_notification_requests_total', webhook), 0);
    assert.equal(valueOf(result, 'alertmanager_notification_requests_failed_total', webhook), 0);
    assert.equal(valueOf(result, 'alertmanager_notification_latency_seconds_count', webhook), 0);
    assert.equal(valueOf(result, 'alertmanager_dispatcher_aggregation_groups'), 0);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_successful'), 0);
    assert.equal(valueOf(result, 'grouper_build_info', { version: '1.2.3' }), 1);
    for (const store of ['memory', 'redis']) {
      for (const operation of ['read_slots', 'write_alerts', 'claim_due', 'load_group', 'commit', 'next_due', 'stats']) {
        assert.equal(valueOf(result, 'grouper_store_errors_total', { store, operation }), 0);
        assert.equal(valueOf(result, 'grouper_store_operation_duration_seconds_count', { store, operation }), 0);
      }
      assert.equal(valueOf(result, 'grouper_store_failover_switches_total', { to: store }), 0);
    }
    for (const result_ of ['sent', 'quiet', 'failed']) {
      assert.equal(valueOf(result, 'grouper_scheduler_flushes_total', { result: result_ }), 0);
    }
    await app.close();
  });
});

describe('Metrics: recording', () => {
  it('moves each metric by exactly what was recorded', async () => {
    const metrics = newMetrics();
    const app = await appWith(metrics);

    metrics.alertsReceived(3, 1);
    metrics.alertsReceived(2, 0);
    metrics.alertsInvalid(2);
    metrics.notification('webhook', 'ok');
    metrics.notification('webhook', 'serverError');
    metrics.notification('webhook', 'contextDeadlineExceeded');
    metrics.notificationRequest('webhook', true, 0.5);
    metrics.notificationRequest('webhook', false, 7);
    metrics.ingested(4, 0.004);
    metrics.ingestConflicts(2);
    metrics.claims(4);
    metrics.claims(1);
    metrics.flush('sent', 0.002);
    metrics.flush('quiet', -0.5);
    metrics.flush('failed', 3);
    metrics.leaseTakeover();
    metrics.commitConflict();
    metrics.commitConflict();

    const result = await scrape(app);
    const webhook = { integration: 'webhook' };
    assert.equal(valueOf(result, 'alertmanager_alerts_received_total', { status: 'firing', version: 'v2' }), 5);
    assert.equal(valueOf(result, 'alertmanager_alerts_received_total', { status: 'resolved', version: 'v2' }), 1);
    assert.equal(valueOf(result, 'alertmanager_alerts_invalid_total', { version: 'v2' }), 2);
    assert.equal(valueOf(result, 'alertmanager_notifications_total', webhook), 3);
    assert.equal(valueOf(result, 'alertmanager_notifications_failed_total', { ...webhook, reason: 'serverError' }), 1);
    assert.equal(
      valueOf(result, 'alertmanager_notifications_failed_total', { ...webhook, reason: 'contextDeadlineExceeded' }),
      1,
    );
    assert.equal(valueOf(result, 'alertmanager_notifications_failed_total', { ...webhook, reason: 'clientError' }), 0);
    assert.equal(valueOf(result, 'alertmanager_notification_requests_total', webhook), 2);
    assert.equal(valueOf(result, 'alertmanager_notification_requests_failed_total', webhook), 1);
    assert.equal(valueOf(result, 'alertmanager_notification_latency_seconds_bucket', { ...webhook, le: '1' }), 1);
    assert.equal(valueOf(result, 'alertmanager_notification_latency_seconds_bucket', { ...webhook, le: '5' }), 1);
    assert.equal(valueOf(result, 'alertmanager_notification_latency_seconds_bucket', { ...webhook, le: '10' }), 2);
    assert.equal(valueOf(result, 'alertmanager_notification_latency_seconds_sum', webhook), 7.5);

    // A batch of 4 alerts counts as 4 processed alerts sharing the batch's time.
    assert.equal(valueOf(result, 'alertmanager_dispatcher_alert_processing_duration_seconds_count'), 4);
    assertClose(valueOf(result, 'alertmanager_dispatcher_alert_processing_duration_seconds_sum'), 0.004);
    assert.equal(valueOf(result, 'grouper_ingest_batch_size_bucket', { le: '2' }), 0);
    assert.equal(valueOf(result, 'grouper_ingest_batch_size_bucket', { le: '5' }), 1);
    assert.equal(valueOf(result, 'grouper_ingest_batch_size_sum'), 4);
    assert.equal(valueOf(result, 'grouper_ingest_conflict_retries_total'), 2);

    assert.equal(valueOf(result, 'grouper_scheduler_claims_total'), 5);
    for (const flushResult of ['sent', 'quiet', 'failed']) {
      assert.equal(valueOf(result, 'grouper_scheduler_flushes_total', { result: flushResult }), 1);
    }
    // The early flush counts as on time.
    assert.equal(valueOf(result, 'grouper_scheduler_flush_lateness_seconds_bucket', { le: '0.001' }), 1);
    assert.equal(valueOf(result, 'grouper_scheduler_flush_lateness_seconds_bucket', { le: '0.0025' }), 2);
    assert.equal(valueOf(result, 'grouper_scheduler_flush_lateness_seconds_bucket', { le: '2.5' }), 2);
    assert.equal(valueOf(result, 'grouper_scheduler_flush_lateness_seconds_bucket', { le: '5' }), 3);
    assertClose(valueOf(result, 'grouper_scheduler_flush_lateness_seconds_sum'), 3.002);
    assert.equal(valueOf(result, 'grouper_scheduler_lease_takeovers_total'), 1);
    assert.equal(valueOf(result, 'grouper_scheduler_commit_conflicts_total'), 2);
    await app.close();
  });

  it('timeStore times each operation, passes its result through and counts a rejection as an error', async () => {
    const clock = new FakeClock();
    const metrics = newMetrics(clock);
    const app = await appWith(metrics);

    const value = await metrics.timeStore('redis', 'commit', async () => {
      clock.ms += 3;
      return 'committed';
    });
    assert.equal(value, 'committed');
    const failure = new Error('connection lost');
    await assert.rejects(
      metrics.timeStore('redis', 'commit', async () => {
        clock.ms += 2;
        throw failure;
      }),
      (error) => error === failure,
    );
    metrics.storeOperation('memory', 'claim_due', 0.0004, true);

    const result = await scrape(app);
    const redisCommit = { store: 'redis', operation: 'commit' };
    assert.equal(valueOf(result, 'grouper_store_operation_duration_seconds_count', redisCommit), 2);
    assertClose(valueOf(result, 'grouper_store_operation_duration_seconds_sum', redisCommit), 0.005);
    assert.equal(valueOf(result, 'grouper_store_operation_duration_seconds_bucket', { ...redisCommit, le: '0.0025' }), 1);
    assert.equal(valueOf(result, 'grouper_store_errors_total', redisCommit), 1);
    const memoryClaim = { store: 'memory', operation: 'claim_due' };
    assert.equal(valueOf(result, 'grouper_store_operation_duration_seconds_bucket', { ...memoryClaim, le: '0.0005' }), 1);
    assert.equal(valueOf(result, 'grouper_store_errors_total', memoryClaim), 0);
    assert.equal(valueOf(result, 'grouper_store_errors_total', { store: 'memory', operation: 'commit' }), 0);
    await app.close();
  });

  it('records config loads as Alertmanager does, keeping the last good hash after a failed reload', async () => {
    const metrics = newMetrics();
    const app = await appWith(metrics);

    metrics.configApplied('', 1_700_000_000_500);
    let result = await scrape(app);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_successful'), 1);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_success_timestamp_seconds'), 1_700_000_000.5);
    // MD5("") = d41d8cd98f00…: its first six bytes read little-endian.
    assert.equal(valueOf(result, 'alertmanager_config_hash'), 0x008fd98c1dd4);

    metrics.configReloadFailed();
    result = await scrape(app);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_successful'), 0);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_success_timestamp_seconds'), 1_700_000_000.5);
    assert.equal(valueOf(result, 'alertmanager_config_hash'), 0x008fd98c1dd4);

    metrics.configApplied('route: {}\n', 1_700_000_060_000);
    result = await scrape(app);
    assert.equal(valueOf(result, 'alertmanager_config_last_reload_successful'), 1);
    assert.notEqual(valueOf(result, 'alertmanager_config_hash'), 0x008fd98c1dd4);
    await app.close();
  });

  it('tracks failover switches and whether memory is serving', async () => {
    const metrics = newMetrics();
    const app = await appWith(metrics);

    metrics.failoverSwitched('memory');
    let result = await scrape(app);
    assert.equal(valueOf(result, 'grouper_store_failover_active'), 1);
    assert.equal(valueOf(result, 'grouper_store_failover_switches_total', { to: 'memory' }), 1);
    assert.equal(valueOf(result, 'grouper_store_failover_switches_total', { to: 'redis' }), 0);

    metrics.failoverSwitched('redis');
    result = await scrape(app);
    assert.equal(valueOf(result, 'grouper_store_failover_active'), 0);
    assert.equal(valueOf(result, 'grouper_store_failover_switches_total', { to: 'redis' }), 1);
    await app.close();
  });
});

describe('Metrics: gauges read from the store', () => {
  function countingProvider(stats: StoreStats[]): { provider: () => Promise<StoreStats>; calls: () => number } {
    let calls = 0;
    return {
      provider: async () => stats[Math.min(calls++, stats.length - 1)],
      calls: () => calls,
    };
  }

  it('asks the provider once per scrape for all of its gauges', async () => {
    const metrics = newMetrics();
    const app = await appWith(metrics);
    const { provider, calls } = countingProvider([STATS]);
    metrics.setStoreStatsProvider(provider);

    const result = await scrape(app);
    assert.equal(calls(), 1);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'active' }), 7);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'suppressed' }), 0);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'unprocessed' }), 0);
    assert.equal(valueOf(result, 'alertmanager_dispatcher_aggregation_groups'), 3);
    assert.equal(valueOf(result, 'grouper_alerts_resolved'), 2);
    await app.close();
  });

  it('reuses the stats for 5 s of scrapes, then asks again', async () => {
    const clock = new FakeClock();
    const metrics = newMetrics(clock);
    const app = await appWith(metrics);
    const later: StoreStats = { alertsFiring: 1, alertsResolved: 0, groups: 1 };
    const { provider, calls } = countingProvider([STATS, later]);
    metrics.setStoreStatsProvider(provider);

    await scrape(app);
    clock.ms += 4_999;
    let result = await scrape(app);
    assert.equal(calls(), 1);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'active' }), 7);

    clock.ms += 1;
    result = await scrape(app);
    assert.equal(calls(), 2);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'active' }), 1);
    assert.equal(valueOf(result, 'alertmanager_dispatcher_aggregation_groups'), 1);
    await app.close();
  });

  it('keeps the last stats when the provider fails, and asks again at the next scrape', async () => {
    const clock = new FakeClock();
    const metrics = newMetrics(clock);
    const app = await appWith(metrics);
    const answers: (StoreStats | Error)[] = [STATS, new Error('redis down'), { alertsFiring: 9, alertsResolved: 0, groups: 4 }];
    let calls = 0;
    metrics.setStoreStatsProvider(async () => {
      const answer = answers[calls++];
      if (answer instanceof Error) throw answer;
      return answer;
    });

    await scrape(app);
    clock.ms += 5_000;
    let result = await scrape(app);
    assert.equal(calls, 2);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'active' }), 7);
    assert.equal(valueOf(result, 'alertmanager_dispatcher_aggregation_groups'), 3);

    result = await scrape(app);
    assert.equal(calls, 3);
    assert.equal(valueOf(result, 'alertmanager_alerts', { state: 'active' }), 9);
    await app.close();
  });

  it('drops the cached stats when the provider is replaced', async () => {
    const metrics = newMetrics();
    const app = await appWith(metrics);
    metrics.setStoreStatsProvider(async () => STATS);
    await scrape(app);
    metrics.setStoreStatsProvider(async () => ({ alertsFiring: 0, alertsResolved: 0, groups: 12 }));
    const result = await scrape(app);
    assert.equal(valueOf(result, 'alertmanager_dispatcher_aggregation_groups'), 12);
    await app.close();
  });
});

describe('/metrics and HTTP metrics', () => {
  it('serves the registry with its content type', async () => {
    const metrics = newMetrics();
    const app = Fastify();
    app.decorate('metrics', metrics);
    await app.register(metricsRoutes);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], metrics.registry.contentType);
    assert.match(response.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    assert.equal(response.body, await metrics.registry.metrics());
    await app.close();
  });

  it('labels requests by route pattern, and unknown routes as "unmatched", never by URL', async () => {
    const app = await appWith(newMetrics());
    assert.equal((await app.inject({ method: 'GET', url: '/things/42' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/things/43?x=1' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/nope/123' })).statusCode, 404);

    const result = await scrape(app);
    const count = 'grouper_http_request_duration_seconds_count';
    assert.equal(valueOf(result, count, { method: 'GET', route: '/things/:id', status_code: '200' }), 2);
    assert.equal(valueOf(result, count, { method: 'POST', route: 'unmatched', status_code: '404' }), 1);
    const routes = new Set(result.samples.filter((s) => s.name === count).map((s) => s.labels.route));
    assert.deepEqual([...routes].sort(), ['/things/:id', 'unmatched']);

    const next = await scrape(app);
    assert.equal(valueOf(next, count, { method: 'GET', route: '/metrics', status_code: '200' }), 1);
    await app.close();
  });
});

describe('Metrics: hygiene', () => {
  const FORBIDDEN_LABELS = ['group', 'group_key', 'groupKey', 'fingerprint', 'url', 'path', 'alertname'];

  it('gives every metric help text and no label of unbounded values', async () => {
    const metrics = new Metrics({ version: '1.2.3' });
    const app = await appWith(metrics);
    await app.inject({ method: 'GET', url: '/things/1' });
    const result = await scrape(app);

    const all = metrics.registry.getMetricsAsArray();
    assert.ok(all.length > 30);
    for (const metric of all) {
      assert.ok(metric.help.trim().length > 0, `${metric.name} has no help`);
      assert.equal(result.help.get(metric.name), metric.help);
    }
    const labels = new Set(result.samples.flatMap((s) => Object.keys(s.labels)));
    for (const forbidden of FORBIDDEN_LABELS) assert.ok(!labels.has(forbidden), `label ${forbidden} is used`);
    await app.close();
  });

  it('adds Node process metrics unless told not to, with one registry per instance', async () => {
    const first = await appWith(new Metrics({ version: '1.2.3' }));
    const second = await appWith(new Metrics({ version: '1.2.3' }));
    const bare = await appWith(newMetrics());
    for (const app of [first, second]) {
      assert.ok((await scrape(app)).type.has('process_cpu_user_seconds_total'));
    }
    assert.ok(!(await scrape(bare)).type.has('process_cpu_user_seconds_total'));
    await Promise.all([first.close(), second.close(), bare.close()]);
  });
});
