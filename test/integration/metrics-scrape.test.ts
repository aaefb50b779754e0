import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { app } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { parseSettings, type Settings } from '../../src/config/settings.ts';
import { WebhookSink, failFirst } from '../helpers/webhook-sink.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const [series, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    const matches = Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`));
    if (matches) return Number(value);
  }
  return undefined;
}

async function scrapeUntil(server: FastifyInstance, done: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const text = (await server.inject({ method: 'GET', url: '/metrics' })).body;
    if (done(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('/metrics after a scenario', () => {
  let sink: WebhookSink;
  let server: FastifyInstance;

  before(async () => {
    sink = await WebhookSink.start(failFirst(1, 500));
    const config = parseConfig(
      `route:
  receiver: sink
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
receivers:
  - name: sink
    webhook_configs:
      - url: ${sink.url}/hook
`,
      'metrics-scrape.yml',
    );
    const settings = parseSettings([], {}) as Settings;
    server = Fastify();
    await server.register(app, { settings, config });
    await server.ready();
  });
  after(async () => {
    await server.close();
    await sink.close();
  });

  it('moves the Alertmanager counters and gauges as the alerts travel', async () => {
    const now = Date.now();
    const alerts = [
      { labels: { alertname: 'A', instance: '1' } },
      { labels: { alertname: 'A', instance: '2' } },
      { labels: { alertname: 'B' }, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now - 1_000).toISOString() },
      { labels: {} },
    ];
    const posted = await server.inject({ method: 'POST', url: '/api/v2/alerts', payload: alerts });
    assert.equal(posted.statusCode, 400, 'one alert without labels is invalid');

    // The first attempt gets a 500; Alertmanager's retry delivers the second.
    await sink.waitForCount(2, 10_000);
    // The sink has answered; the notifier records the outcome once it has read the answer.
    const text = await scrapeUntil(server, (t) => sample(t, 'alertmanager_notifications_total', { integration: 'webhook' }) === 1);

    assert.equal(sample(text, 'alertmanager_alerts_received_total', { status: 'firing', version: 'v2' }), 3);
    assert.equal(sample(text, 'alertmanager_alerts_received_total', { status: 'resolved', version: 'v2' }), 1);
    assert.equal(sample(text, 'alertmanager_alerts_invalid_total', { version: 'v2' }), 1);
    assert.equal(sample(text, 'alertmanager_notification_requests_total', { integration: 'webhook' }), 2);
    assert.equal(sample(text, 'alertmanager_notification_requests_failed_total', { integration: 'webhook' }), 1);
    assert.equal(sample(text, 'alertmanager_notifications_total', { integration: 'webhook' }), 1);
    assert.equal(sample(text, 'alertmanager_notifications_failed_total', { integration: 'webhook', reason: 'serverError' }), 0);
    assert.equal(sample(text, 'alertmanager_alerts', { state: 'active' }), 2);
    // B arrived resolved: its group flushed at once, notified nothing and was deleted.
    assert.equal(sample(text, 'alertmanager_dispatcher_aggregation_groups'), 1);
    assert.equal(sample(text, 'alertmanager_config_last_reload_successful'), 1);
    assert.equal(sample(text, 'alertmanager_dispatcher_alert_processing_duration_seconds_count'), 3);
    assert.ok((sample(text, 'grouper_scheduler_flushes_total', { result: 'sent' }) ?? 0) >= 1);
    assert.ok((sample(text, 'grouper_store_operation_duration_seconds_count', { store: 'memory', operation: 'write_alerts' }) ?? 0) >= 1);
    assert.equal(sample(text, 'grouper_http_request_duration_seconds_count', { method: 'POST', route: '/api/v2/alerts', status_code: '400' }), 1);
  });
});
