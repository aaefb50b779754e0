import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { app } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { parseSettings, type Settings } from '../../src/config/settings.ts';
import { DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER } from '../../src/notify/webhook-notifier.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { AlertWrite } from '../../src/store/store.ts';
import { Metrics } from '../../src/telemetry/metrics.ts';

/*
 * The whole app with its real webhook notifier, delivering to receivers on 127.0.0.1 that
 * misbehave: one never answers, one resets connections, one redirects in a loop, one answers
 * after seconds. A healthy receiver next to them must still get every notification on its tick,
 * the hanging one must never see more connections than the per-receiver limit, and shutdown must
 * end within its timeout although deliveries hang.
 */

const GROUP_WAIT = 1000;
const GROUP_INTERVAL = 1000;
const REPEAT = 2000;
const SLOW_ANSWER_MS = 3000;
const HEALTHY_OFFSET_MS = 500;
const RUN_MS = 6000;
const SHUTDOWN_TIMEOUT = 1000;
const ON_TIME_MS = 100;
const HANGING_GROUPS = DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER + 8;
const OTHER_GROUPS = 4;

/** Connections and requests one receiver saw. */
class Receiver {
  open = 0;
  maxOpen = 0;
  connections = 0;
  readonly requests: { readonly at: number; readonly body: string }[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(readonly server: HttpServer | TcpServer) {
    server.on('connection', (socket: Socket) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.#sockets.add(socket);
      socket.on('close', () => {
        this.open--;
        this.#sockets.delete(socket);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function httpReceiver(answer: (receiver: Receiver, res: import('node:http').ServerResponse) => void): Receiver {
  const server = createHttpServer();
  const receiver = new Receiver(server);
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.requests.push({ at: Date.now(), body: Buffer.concat(chunks).toString() });
      answer(receiver, res);
    });
  });
  return receiver;
}

/** Remembers each group's first tick, to know when its notifications are due. */
class OriginStore extends MemoryStore {
  readonly origins = new Map<string, number>();

  override async writeAlerts(writes: readonly AlertWrite[]): Promise<boolean[]> {
    for (const write of writes) {
      if (write.create !== undefined) this.origins.set(`${write.group.receiver} ${write.group.key}`, write.create.origin);
    }
    return super.writeAlerts(writes);
  }
}

function config(urls: Record<string, string>): string {
  const names = Object.keys(urls);
  return `
route:
  receiver: healthy
  group_by: [alertname]
  group_wait: ${GROUP_WAIT}ms
  group_interval: ${GROUP_INTERVAL}ms
  repeat_interval: ${REPEAT}ms
  routes:
${names.map((name) => `    - receiver: ${name}\n      matchers: ['target="${name}"']`).join('\n')}
receivers:
${names.map((name) => `  - name: ${name}\n    webhook_configs:\n      - url: ${urls[name]}`).join('\n')}
`;
}

function alertsFor(target: string, groups: number, now: number): object[] {
  return Array.from({ length: groups }, (_, i) => ({
    labels: { alertname: `${target}-${i}`, target },
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
  }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function post(fastify: FastifyInstance, alerts: object[]): Promise<void> {
  const response = await fastify.inject({ method: 'POST', url: '/api/v2/alerts', payload: alerts });
  assert.equal(response.statusCode, 200, response.body);
}

const waitUntil = async (condition: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
};

describe('delivering next to hostile receivers', () => {
  const receivers = {
    hanging: httpReceiver(() => {}),
    resetting: new Receiver(createTcpServer((socket) => socket.resetAndDestroy())),
    redirecting: httpReceiver((_r, res) => res.writeHead(302, { location: '/hook' }).end()),
    slow: httpReceiver((_r, res) => void setTimeout(() => res.writeHead(200).end(), SLOW_ANSWER_MS)),
    healthy: httpReceiver((_r, res) => res.writeHead(200).end()),
  };
  const store = new OriginStore();
  let fastify: FastifyInstance;
  let closedIn = 0;
  let hangingMaxOpen = 0;
  /** The ticks of each healthy group during the run, by group key. */
  const healthyTicks = new Map<string, number[]>();
  /** How late a plain timer of this process fired at each tick: the machine's own delay. */
  const timerLateness = new Map<number, number>();

  before(async () => {
    await Promise.all(Object.values(receivers).map((r) => r.listen()));
    const urls = Object.fromEntries(Object.entries(receivers).map(([name, r]) => [name, r.url]));
    const text = config(urls);
    const parsed = parseSettings(['--config.file=hostile.yml'], {}) as Settings;
    const settings: Settings = { ...parsed, shutdownTimeoutMs: SHUTDOWN_TIMEOUT };
    fastify = Fastify();
    await fastify.register(app, {
      settings,
      config: parseConfig(text, 'hostile.yml'),
      store,
      metrics: new Metrics({ version: 'hostile', collectDefault: false }),
    });
    await fastify.ready();

    const hostile = [
      ...alertsFor('hanging', HANGING_GROUPS, Date.now()),
      ...['resetting', 'redirecting', 'slow'].flatMap((target) => alertsFor(target, OTHER_GROUPS, Date.now())),
    ];
    await post(fastify, hostile);
    // The healthy groups tick half a second after the hostile ones: what is measured is how
    // receivers that misbehave affect it, not the cold start of the first burst of flushes.
    await sleep(HEALTHY_OFFSET_MS);
    await post(fastify, alertsFor('healthy', OTHER_GROUPS, Date.now()));
    const runEnd = Date.now() + RUN_MS;
    for (const [id, origin] of store.origins) {
      if (!id.startsWith('healthy ')) continue;
      const ticks: number[] = [];
      for (let tick = origin; tick < runEnd - 200; tick += REPEAT) {
        ticks.push(tick);
        setTimeout(() => timerLateness.set(tick, Date.now() - tick), tick - Date.now());
      }
      healthyTicks.set(id.slice('healthy '.length), ticks);
    }

    await sleep(RUN_MS);
    hangingMaxOpen = receivers.hanging.maxOpen;
    const closing = performance.now();
    await fastify.close();
    closedIn = performance.now() - closing;
  });

  after(async () => {
    await Promise.all(Object.values(receivers).map((r) => r.close()));
  });

  it(`gets every notification to the healthy receiver within ${ON_TIME_MS} ms of its tick`, (t) => {
    assert.equal(healthyTicks.size, OTHER_GROUPS);
    const late: string[] = [];
    const latenesses: number[] = [];
    for (const [groupKey, ticks] of healthyTicks) {
      const arrivals = receivers.healthy.requests
        .filter((r) => (JSON.parse(r.body) as { groupKey: string }).groupKey === groupKey)
        .map((r) => r.at);
      assert.ok(arrivals.length >= ticks.length, `${groupKey}: ${arrivals.length} notifications for ${ticks.length} ticks`);
      ticks.forEach((tick, i) => {
        // A loaded machine delays every timer alike; only lateness beyond that counts.
        const allowed = ON_TIME_MS + (timerLateness.get(tick) ?? 0);
        const lateness = arrivals[i] - tick;
        latenesses.push(lateness);
        if (lateness < 0 || lateness >= allowed) late.push(`${groupKey} tick ${i}: ${lateness} ms (allowed ${allowed})`);
      });
    }
    assert.deepEqual(late, []);
    latenesses.sort((a, b) => a - b);
    const timers = Math.max(...timerLateness.values());
    t.diagnostic(`${latenesses.length} on-tick notifications, lateness median ${latenesses[latenesses.length >> 1]} ms, max ${latenesses.at(-1)} ms; plain timers up to ${timers} ms late`);
  });

  it('has the other receivers misbehave meanwhile', () => {
    assert.ok(receivers.hanging.requests.length > 0, 'the hanging receiver was called');
    assert.ok(receivers.resetting.connections > OTHER_GROUPS, 'deliveries to the resetting receiver were retried');
    assert.ok(receivers.redirecting.requests.length > OTHER_GROUPS, 'deliveries to the redirecting receiver were retried');
    assert.ok(receivers.slow.requests.length >= OTHER_GROUPS, 'the slow receiver was called');
  });

  it(`never has more than ${DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER} connections open at the hanging receiver`, () => {
    assert.equal(hangingMaxOpen, DEFAULT_MAX_IN_FLIGHT_PER_RECEIVER, `${HANGING_GROUPS} groups waited on it`);
  });

  it('shuts down within its timeout although deliveries hang, and drops their connections', async (t) => {
    assert.ok(closedIn < SHUTDOWN_TIMEOUT + 1000, `close took ${Math.round(closedIn)} ms`);
    t.diagnostic(`close took ${Math.round(closedIn)} ms with a ${SHUTDOWN_TIMEOUT} ms shutdown timeout`);
    assert.ok(await waitUntil(() => receivers.hanging.open === 0, 2000), `${receivers.hanging.open} connections left open`);
  });
});
