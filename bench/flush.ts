/**
 * The flush path in one process, without ingest over HTTP: the scheduler, a store and the real
 * webhook notifier, posting to a sink in a process of its own. Each round files GROUPS new
 * one-alert groups through the dispatcher, makes them all due at once (the scheduler's clock
 * jumps past group_wait) and times their flushes: flushes/s, and CPU per flush of this process
 * and of Redis. The first round warms up. On Redis, a redis-server of its own.
 * `npx tsx bench/flush.ts [--redis] [--groups=10000] [--rounds=5] [--max-active=N]`
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseConfig } from '../src/config/load-config.ts';
import type { Alert } from '../src/core/alert.ts';
import { fingerprint } from '../src/core/fingerprint.ts';
import { wireEngine } from '../src/engine/engine.ts';
import type { Notifier } from '../src/engine/notifier.ts';
import { ReceiverNotifier } from '../src/engine/receiver-notifier.ts';
import { buildRuntime } from '../src/engine/runtime.ts';
import { WebhookNotifier } from '../src/notify/webhook-notifier.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { RedisStore } from '../src/store/redis-store.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { Metrics } from '../src/telemetry/metrics.ts';
import { startRedisServer } from '../test/helpers/redis-server.ts';
import { listeningPid, processCpuMs } from './lib/process-stats.ts';

const { values } = parseArgs({
  options: {
    redis: { type: 'boolean' },
    groups: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    'max-active': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('Usage: npx tsx bench/flush.ts [--redis] [--groups=10000] [--rounds=5] [--max-active=N]\n');
  process.exit(0);
}
const GROUPS = Number(values.groups);
const ROUNDS = Number(values.rounds);
const BATCH = 500;
const HOUR = 3_600_000;

/** Answers every POST with 200 once its body is read, and prints its port. */
const SINK = `
const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => response.end());
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
const [sinkPort] = (await once(createInterface({ input: sink.stdout }), 'line')) as [string];
const redis = values.redis ? await startRedisServer() : undefined;
try {
  const runtime = buildRuntime(
    parseConfig(
      `route:
  receiver: sink
  group_by: [alertname, group]
  group_wait: 1h
  group_interval: 1000h
  repeat_interval: 1000h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:${sinkPort}/flush
`,
      'flush-bench.yml',
    ),
  );
  const store = redis ? new RedisStore(new Redis(redis.url), { prefix: 'flush-bench' }) : new MemoryStore();
  const metrics = new Metrics({ version: 'bench', collectDefault: false });
  const webhooks = new WebhookNotifier({ version: 'bench', logger: silentLogger, metrics });
  const receivers = new ReceiverNotifier({ webhooks, externalURL: 'http://flush-bench.test', logger: silentLogger });
  let flushed = 0;
  let roundDone: (() => void) | undefined;
  const notifier: Notifier = {
    async notify(request, deadline, signal) {
      const ok = await receivers.notify(request, deadline, signal);
      if (++flushed === GROUPS) roundDone?.();
      return ok;
    },
  };
  // Jumps past group_wait each round, so that the round's groups fall due all at once.
  let offset = 0;
  const clock = (): number => Date.now() + offset;
  const { scheduler, dispatcher } = wireEngine({
    store,
    notifier,
    runtime: () => runtime,
    clock,
    logger: silentLogger,
    metrics,
    scheduler: values['max-active'] === undefined ? {} : { maxActive: Number(values['max-active']) },
  });
  scheduler.start();
  const redisPid = redis && listeningPid(redis.port);
  console.log(`flush bench: ${GROUPS} groups due at once, ${ROUNDS} rounds (the first warms up), ${redis ? 'Redis' : 'memory'} store`);
  for (let round = 0; round < ROUNDS; round++) {
    const now = clock();
    for (let first = 0; first < GROUPS; first += BATCH) {
      const alerts: Alert[] = [];
      for (let group = first; group < Math.min(first + BATCH, GROUPS); group++) {
        const labels = { alertname: `Round${round}`, group: String(group), instance: 'host-1' };
        alerts.push({
          fingerprint: fingerprint(labels),
          labels,
          annotations: { summary: 'flush bench' },
          startsAt: now,
          endsAt: now + 100 * HOUR,
          updatedAt: now,
          generatorURL: '',
          timeout: false,
        });
      }
      await dispatcher.ingest(alerts, now);
    }
    flushed = 0;
    const done = new Promise<void>((resolve) => (roundDone = resolve));
    const cpuBefore = process.cpuUsage();
    const redisBefore = redisPid === undefined ? 0 : processCpuMs(redisPid);
    const started = performance.now();
    offset += HOUR + 1_000;
    scheduler.poke(clock());
    await done;
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const redisCpu = redisPid === undefined ? 0 : processCpuMs(redisPid) - redisBefore;
    console.log(
      `  round ${round}${round === 0 ? ' (warm-up)' : ''}: ${((GROUPS * 1000) / elapsed).toFixed(0)} flushes/s; ` +
        `CPU per flush ${((cpu.user + cpu.system) / 1000 / GROUPS).toFixed(3)} ms` +
        `${redis ? ` + Redis ${(redisCpu / GROUPS).toFixed(3)} ms` : ''}`,
    );
  }
  await scheduler.stop(1_000);
  await store.close();
  await webhooks.close();
} finally {
  sink.kill();
  await redis?.stop();
}
