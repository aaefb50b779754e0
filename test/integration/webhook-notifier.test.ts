import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { HttpConfig, WebhookConfig } from '../../src/config/config.ts';
import type { Alert } from '../../src/core/alert.ts';
import { freePort } from '../helpers/free-port.ts';
import { ConcurrencyLimiter } from '../../src/notify/concurrency-limiter.ts';
import { NotifyError } from '../../src/notify/notify-error.ts';
import { backoffDelay, deliver, type DeliverOptions } from '../../src/notify/retry.ts';
import type { WebhookMessage } from '../../src/notify/webhook-message.ts';
import { WebhookNotifier, type NotifyLogger, type WebhookNotifierOptions } from '../../src/notify/webhook-notifier.ts';
import { buildWebhookPayload } from '../../src/notify/webhook-payload.ts';

// ---------------------------------------------------------------- fixtures

const AT = Date.parse('2024-05-01T12:00:00Z');

const firing: Alert = {
  fingerprint: '4a8efb9cabb53268',
  labels: { alertname: 'HighLatency', instance: 'a:9100', severity: 'critical' },
  annotations: { summary: 'p99 > 1s' },
  startsAt: Date.parse('2024-05-01T10:00:00.123Z'),
  endsAt: AT + 60_000,
  generatorURL: 'http://prom:9090/graph?g0.expr=x&g0.tab=1',
  updatedAt: AT,
  timeout: false,
};

function message(receiver = 'pager'): WebhookMessage {
  return {
    receiver,
    groupKey: '{}/{severity="critical"}:{alertname="HighLatency"}',
    groupLabels: { alertname: 'HighLatency' },
    alerts: [firing, { ...firing, fingerprint: '0000000000000001', labels: { alertname: 'HighLatency' } }],
    at: AT,
    externalURL: 'http://grouper:9093',
  };
}

function webhook(url: string, http: Partial<HttpConfig> = {}, fields: Partial<WebhookConfig> = {}): WebhookConfig {
  return {
    url,
    sendResolved: true,
    maxAlerts: 0,
    timeout: 0,
    httpConfig: { tlsInsecureSkipVerify: false, followRedirects: true, ...http },
    ...fields,
  };
}

interface LogEntry {
  readonly level: 'warn' | 'debug';
  readonly details: Record<string, unknown>;
  readonly message: string;
}

function recordingLogger(): NotifyLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    warn: (details, msg) => entries.push({ level: 'warn', details, message: msg }),
    debug: (details, msg) => entries.push({ level: 'debug', details, message: msg }),
  };
}

function notifierFor(t: TestContext, options: Partial<WebhookNotifierOptions> = {}): WebhookNotifier {
  const notifier = new WebhookNotifier({ version: '1.2.3', logger: recordingLogger(), random: () => 0, ...options });
  t.after(() => notifier.close());
  return notifier;
}

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

type Handler = (request: Received, response: ServerResponse, raw: IncomingMessage) => void;

interface TestServer {
  readonly url: string;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves when the server has received `count` requests in total. */
  requests(count: number): Promise<void>;
}

/** A server on 127.0.0.1 that records what arrives and answers with `handler`. */
async function serve(t: TestContext, handler: Handler, tls?: { key: string; cert: string }): Promise<TestServer> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const listener = (raw: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const request = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      state.received.push(request);
      for (const waiter of waiters.filter((w) => state.received.length >= w.count)) waiter.resolve();
      handler(request, response, raw);
    });
  };
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const state: TestServer = {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    received: [],
    connections: 0,
    requests: (count) =>
      state.received.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
  };
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

const ok: Handler = (_request, response) => response.end('ok');

function deadlineIn(ms: number): { deadline: number; signal: AbortSignal } {
  return { deadline: Date.now() + ms, signal: new AbortController().signal };
}

async function rejection(promise: Promise<unknown>): Promise<NotifyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof NotifyError, `expected a NotifyError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

// ---------------------------------------------------------------- retry rules

describe('backoffDelay', () => {
  it('starts at 500 ms, grows by 1.5, with ±50% jitter', () => {
    assert.equal(backoffDelay(1, 0.5), 500);
    assert.equal(backoffDelay(1, 0), 250);
    assert.equal(backoffDelay(2, 0.5), 750);
    assert.equal(backoffDelay(3, 1), 1687.5);
  });

  it('caps the interval at 60 s before jitter', () => {
    assert.equal(backoffDelay(13, 0.5), 60_000);
    assert.equal(backoffDelay(100, 0), 30_000);
    assert.equal(backoffDelay(12, 0.5), 500 * 1.5 ** 11);
  });
});

describe('deliver', () => {
  /** A fake clock: sleeping and attempts move it forward, nothing waits. */
  function fakeTime(start = 1_000_000): Pick<DeliverOptions, 'now' | 'sleep'> & { advance(ms: number): void; sleeps: number[] } {
    let time = start;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => time,
      advance: (ms) => {
        time += ms;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
        time += Math.max(ms, 0);
      },
    };
  }
  const status = (code: number) => new NotifyError('GROUPER_NOTIFY_STATUS', `unexpected status code ${code}`, code >= 500, code);

  it('makes one attempt when it succeeds', async () => {
    const clock = fakeTime();
    const result = await deliver(async () => {}, { ...clock, deadline: clock.now() + 10_000, signal: new AbortController().signal, random: () => 0.5 });
    assert.deepEqual(result, { ok: true, attempts: 1 });
    assert.deepEqual(clock.sleeps, []);
  });

  it('retries with backoff measured from the start of the previous attempt', async () => {
    const clock = fakeTime();
    let calls = 0;
    const result = await deliver(
      async () => {
        clock.advance(100);
        if (++calls < 3) throw status(503);
      },
      { ...clock, deadline: clock.now() + 10_000, signal: new AbortController().signal, random: () => 0.5 },
    );
    assert.deepEqual(result, { ok: true, attempts: 3 });
    assert.deepEqual(clock.sleeps, [400, 650]);
  });

  it('starts the next attempt at once when an attempt outlasted the backoff', async () => {
    const clock = fakeTime();
    let calls = 0;
    await deliver(
      async () => {
        clock.advance(2000);
        if (++calls < 2) throw status(500);
      },
      { ...clock, deadline: clock.now() + 10_000, signal: new AbortController().signal, random: () => 0.5 },
    );
    assert.deepEqual(clock.sleeps, [0]);
  });

  it('stops at once on a non-retryable error', async () => {
    const clock = fakeTime();
    const result = await deliver(async () => {
      throw status(404);
    }, { ...clock, deadline: clock.now() + 10_000, signal: new AbortController().signal, random: () => 0.5 });
    assert.deepEqual(result, {
      ok: false,
      retryable: false,
      code: 'GROUPER_NOTIFY_STATUS',
      error: 'notify retry canceled due to unrecoverable error after 1 attempts: unexpected status code 404',
      status: 404,
      attempts: 1,
    });
  });

  it('makes no attempt that would start after the deadline and reports the last error', async () => {
    const clock = fakeTime();
    const result = await deliver(async () => {
      throw status(500);
    }, { ...clock, deadline: clock.now() + 2000, signal: new AbortController().signal, random: () => 0 });
    // Attempts start at 0, 250, 625 and 1187.5 ms; the next would be at 2031.25 ms.
    assert.deepEqual(result, {
      ok: false,
      retryable: true,
      code: 'GROUPER_NOTIFY_STATUS',
      error: 'notify retry canceled after 4 attempts: unexpected status code 500',
      status: 500,
      attempts: 4,
    });
  });

  it('makes no attempt when the deadline has passed', async () => {
    const clock = fakeTime();
    let calls = 0;
    const result = await deliver(async () => {
      calls++;
    }, { ...clock, deadline: clock.now(), signal: new AbortController().signal, random: () => 0 });
    assert.equal(calls, 0);
    assert.deepEqual(result, { ok: false, retryable: true, code: 'GROUPER_NOTIFY_DEADLINE', error: 'notify retry canceled after 0 attempts: deadline exceeded', attempts: 0 });
  });

  it('stops when the signal aborts during the backoff', async () => {
    const controller = new AbortController();
    const result = await deliver(
      async () => {
        setImmediate(() => controller.abort());
        throw status(502);
      },
      {
        deadline: Date.now() + 60_000,
        signal: controller.signal,
        random: () => 0,
        now: Date.now,
        sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
      },
    );
    assert.deepEqual(result, { ok: false, retryable: true, code: 'GROUPER_NOTIFY_STATUS', error: 'notify retry canceled after 1 attempts: unexpected status code 502', status: 502, attempts: 1 });
  });

  it('reports the last failure from the receiver, not the deadline that ended the attempt after it', async () => {
    const clock = fakeTime();
    let calls = 0;
    const result = await deliver(async () => {
      clock.advance(1000);
      if (++calls === 1) throw status(503);
      throw new NotifyError('GROUPER_NOTIFY_DEADLINE', 'deadline exceeded', true);
    }, { ...clock, deadline: clock.now() + 2000, signal: new AbortController().signal, random: () => 0 });
    assert.deepEqual(result, { ok: false, retryable: true, code: 'GROUPER_NOTIFY_STATUS', error: 'notify retry canceled after 2 attempts: unexpected status code 503', status: 503, attempts: 2 });
  });

  it('lets errors that are not NotifyErrors through', async () => {
    const clock = fakeTime();
    await assert.rejects(
      deliver(async () => {
        throw new TypeError('bug');
      }, { ...clock, deadline: clock.now() + 10_000, signal: new AbortController().signal, random: () => 0 }),
      TypeError,
    );
  });
});

describe('ConcurrencyLimiter', () => {
  function gate(): { promise: Promise<void>; open(): void } {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { promise, open };
  }

  it('runs at most the limit per key, in arrival order, keys independent', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const signal = new AbortController().signal;
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) => limiter.run('a', signal, Infinity, async () => {
      started.push(i);
      await g.promise;
    }));
    await new Promise(setImmediate);
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(limiter.load('a'), { running: 2, waiting: 2 });
    assert.equal(await limiter.run('b', signal, Infinity, async () => 'other key'), 'other key');
    gates[1].open();
    await runs[1];
    await new Promise(setImmediate);
    assert.deepEqual(started, [0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(runs);
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(limiter.load('a'), { running: 0, waiting: 0 });
  });

  it('gives up waiting when the signal aborts', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const hold = gate();
    const running = limiter.run('a', new AbortController().signal, Infinity, () => hold.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run('a', controller.signal, Infinity, async () => {
      ran = true;
    });
    controller.abort();
    const error = await rejection(waiting);
    assert.equal(error.code, 'GROUPER_NOTIFY_ABORTED');
    assert.deepEqual(limiter.load('a'), { running: 1, waiting: 0 });
    hold.open();
    await running;
    assert.equal(ran, false);
    assert.deepEqual(limiter.load('a'), { running: 0, waiting: 0 });
  });

  it('gives up waiting when its deadline passes, with the deadline error', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const hold = gate();
    const running = limiter.run('a', new AbortController().signal, Infinity, () => hold.promise);
    let ran = false;
    const started = performance.now();
    const error = await rejection(
      limiter.run('a', new AbortController().signal, 100, async () => {
        ran = true;
      }),
    );
    assert.equal(error.code, 'GROUPER_NOTIFY_DEADLINE');
    assert.ok(performance.now() - started >= 90, 'gave up before its deadline');
    assert.deepEqual(limiter.load('a'), { running: 1, waiting: 0 });
    hold.open();
    await running;
    assert.equal(ran, false);
  });

  it('rejects a limit below 1', () => {
    assert.throws(() => new ConcurrencyLimiter(0), RangeError);
  });
});

// ---------------------------------------------------------------- HTTP

describe('WebhookNotifier over HTTP', () => {
  it('POSTs the exact payload with JSON and user-agent headers', async (t) => {
    const server = await serve(t, ok);
    const config = webhook(`${server.url}/hook?x=1`, {}, { maxAlerts: 1 });
    const result = await notifierFor(t).notify(config, message(), deadlineIn(5000));
    assert.deepEqual(result, { ok: true, attempts: 1 });
    const [request] = server.received;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/hook?x=1');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['user-agent'], 'Grouper/1.2.3');
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.body, buildWebhookPayload(message(), 1));
    assert.ok(request.body.endsWith('"truncatedAlerts":1}\n'));
  });

  it('retries a 500 and succeeds on the next 200 after the backoff', async (t) => {
    const server = await serve(t, (_request, response) => {
      response.statusCode = server.received.length === 1 ? 500 : 200;
      response.end('try later');
    });
    const logger = recordingLogger();
    const result = await notifierFor(t, { logger }).notify(webhook(server.url), message(), deadlineIn(5000));
    assert.deepEqual(result, { ok: true, attempts: 2 });
    const gap = server.received[1].at - server.received[0].at;
    // The backoff is 250 ms from the start of the first attempt, whose connect time the server
    // does not see, so the gap it measures can be a few ms shorter.
    assert.ok(gap >= 200 && gap < 1000, `gap ${gap} ms`);
    assert.equal(server.received[1].body, server.received[0].body);
    assert.deepEqual(
      logger.entries.map((e) => [e.level, e.message, e.details.err]),
      [
        ['warn', 'Notify attempt failed, will retry later', 'unexpected status code 500: try later'],
        ['debug', 'Notify success', undefined],
      ],
    );
  });

  it('fails without sending when the payload cannot be encoded', async (t) => {
    const server = await serve(t, ok);
    const unencodable = { ...message(), alerts: [{ ...firing, startsAt: Date.UTC(10000, 0, 1) }] };
    const result = await notifierFor(t).notify(webhook(server.url), unencodable, deadlineIn(5000));
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? undefined : [result.code, result.retryable, result.attempts], ['GROUPER_NOTIFY_PAYLOAD', false, 0]);
    assert.equal(server.received.length, 0);
  });

  it('does not retry a 404', async (t) => {
    const server = await serve(t, (_request, response) => {
      response.statusCode = 404;
      response.end('not here');
    });
    const result = await notifierFor(t).notify(webhook(server.url), message(), deadlineIn(5000));
    assert.deepEqual(result, {
      ok: false,
      retryable: false,
      code: 'GROUPER_NOTIFY_STATUS',
      error: 'notify retry canceled due to unrecoverable error after 1 attempts: unexpected status code 404: not here',
      status: 404,
      attempts: 1,
    });
    assert.equal(server.received.length, 1);
  });

  it('treats 429 as non-retryable and truncates the body to 1 KiB', async (t) => {
    const server = await serve(t, (_request, response) => {
      response.statusCode = 429;
      response.end('é'.repeat(1000));
    });
    const error = await rejection(notifierFor(t).send(webhook(server.url), message(), new AbortController().signal));
    assert.equal(error.code, 'GROUPER_NOTIFY_STATUS');
    assert.equal(error.status, 429);
    assert.equal(error.retryable, false);
    assert.equal(error.message, `unexpected status code 429: ${'é'.repeat(512)}`);
  });

  it('stops reading an endless error body after 64 KiB and reports its start', async (t) => {
    const server = await serve(t, (_request, response) => {
      response.statusCode = 503;
      const chunk = 'x'.repeat(16 * 1024);
      // Never ends: the notifier must give up reading, not wait for the end.
      const timer = setInterval(() => response.write(chunk), 1);
      response.on('close', () => clearInterval(timer));
    });
    const error = await rejection(notifierFor(t).send(webhook(server.url), message(), new AbortController().signal));
    assert.equal(error.code, 'GROUPER_NOTIFY_STATUS');
    assert.equal(error.status, 503);
    assert.equal(error.retryable, true);
    assert.equal(error.message, `unexpected status code 503: ${'x'.repeat(1024)}`);
  });

  it('times a hanging request out after the webhook timeout (retryable)', async (t) => {
    const server = await serve(t, () => {});
    const started = performance.now();
    const error = await rejection(
      notifierFor(t).send(webhook(server.url, {}, { timeout: 200 }), message(), new AbortController().signal),
    );
    const elapsed = performance.now() - started;
    assert.equal(error.code, 'GROUPER_NOTIFY_TIMEOUT');
    assert.equal(error.retryable, true);
    assert.ok(elapsed >= 190 && elapsed < 2000, `elapsed ${elapsed} ms`);
  });

  it('aborts a hanging request at the delivery deadline', async (t) => {
    const server = await serve(t, () => {});
    const started = performance.now();
    const result = await notifierFor(t).notify(webhook(server.url), message(), deadlineIn(300));
    const elapsed = performance.now() - started;
    assert.deepEqual(result, { ok: false, retryable: true, code: 'GROUPER_NOTIFY_DEADLINE', error: 'notify retry canceled after 1 attempts: deadline exceeded', attempts: 1 });
    assert.ok(elapsed >= 290 && elapsed < 2000, `elapsed ${elapsed} ms`);
  });

  it('reports a connection reset as a retryable transport error', async (t) => {
    const server = await serve(t, (_request, _response, raw) => raw.socket.resetAndDestroy());
    const error = await rejection(notifierFor(t).send(webhook(server.url), message(), new AbortController().signal));
    assert.equal(error.code, 'GROUPER_NOTIFY_TRANSPORT');
    assert.equal(error.retryable, true);
    assert.match(error.message, /^Post "<redacted>": /);
  });

  it('follows a 307 redirect with the body, and fails on it when told not to follow', async (t) => {
    const server = await serve(t, (request, response) => {
      if (request.url === '/old') {
        response.writeHead(307, { location: '/new' });
        response.end('moved');
      } else response.end();
    });
    const notifier = notifierFor(t);
    await notifier.send(webhook(`${server.url}/old`), message(), new AbortController().signal);
    assert.deepEqual(server.received.map((r) => [r.method, r.url]), [['POST', '/old'], ['POST', '/new']]);
    assert.equal(server.received[1].body, buildWebhookPayload(message(), 0));

    const error = await rejection(
      notifier.send(webhook(`${server.url}/old`, { followRedirects: false }), message(), new AbortController().signal),
    );
    assert.equal(error.code, 'GROUPER_NOTIFY_STATUS');
    assert.equal(error.retryable, false);
    assert.equal(error.message, 'unexpected status code 307: moved');
  });

  it('gives up on the 10th redirect like Go, retryably', async (t) => {
    const server = await serve(t, (request, response) => {
      response.writeHead(307, { location: `/r${Number(request.url.slice(2)) + 1}` });
      response.end();
    });
    const error = await rejection(notifierFor(t).send(webhook(`${server.url}/r0`), message(), new AbortController().signal));
    assert.equal(error.code, 'GROUPER_NOTIFY_TRANSPORT');
    assert.equal(error.retryable, true);
    assert.equal(error.message, 'Post "<redacted>": stopped after 10 redirects');
    assert.equal(server.received.length, 10);
  });

  it('sends basic auth, authorization, and URL userinfo as basic auth', async (t) => {
    const server = await serve(t, ok);
    const notifier = notifierFor(t);
    const signal = new AbortController().signal;
    await notifier.send(webhook(server.url, { basicAuth: { username: 'user', password: 'pa:ss' } }), message(), signal);
    await notifier.send(webhook(server.url, { authorization: { type: 'Bearer', credentials: 'tok3n' } }), message(), signal);
    const withUserinfo = server.url.replace('http://', 'http://us%40er:p%2Fw@');
    await notifier.send(webhook(withUserinfo, { authorization: { type: 'Bearer', credentials: 'ignored' } }), message(), signal);
    assert.deepEqual(server.received.map((r) => r.headers.authorization), [
      `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
      'Bearer tok3n',
      `Basic ${Buffer.from('us@er:p/w').toString('base64')}`,
    ]);
  });

  it('keeps credentials out of errors and logs', async (t) => {
    const port = await freePort();
    const logger = recordingLogger();
    const notifier = notifierFor(t, { logger });
    const config = webhook(`http://admin:s3cr3t-pw@127.0.0.1:${port}/hook`, { basicAuth: { username: 'u', password: 'b4sic-pw' } });
    const result = await notifier.notify(config, message(), deadlineIn(400));
    assert.equal(result.ok, false);
    const everything = JSON.stringify({ result, logs: logger.entries });
    assert.ok(logger.entries.length > 0);
    for (const secret of ['s3cr3t-pw', 'b4sic-pw', 'admin', Buffer.from('u:b4sic-pw').toString('base64')]) {
      assert.ok(!everything.includes(secret), `${secret} leaked: ${everything}`);
    }
  });

  // undici lets a socket rest one event-loop turn before reusing it, so a request sent right
  // after the previous response ends may open a second connection; never more.
  it('reuses keep-alive connections across notifications, errors included', async (t) => {
    // Success bodies larger than a stream buffer: unread, they would pin their connection.
    const server = await serve(t, (_request, response) => {
      const failing = server.received.length % 3 === 0;
      response.statusCode = failing ? 500 : 200;
      response.end('x'.repeat(failing ? 2000 : 100_000));
    });
    const notifier = notifierFor(t);
    for (let i = 0; i < 20; i++) {
      await notifier.send(webhook(server.url), message(), new AbortController().signal).catch(() => undefined);
    }
    assert.equal(server.received.length, 20);
    assert.ok(server.connections <= 2, `${server.connections} connections`);
  });

  it('stops retrying when aborted', async (t) => {
    const controller = new AbortController();
    const server = await serve(t, (_request, response) => {
      response.statusCode = 500;
      response.end();
    });
    void server.requests(2).then(() => controller.abort());
    const result = await notifierFor(t).notify(webhook(server.url), message(), { deadline: Date.now() + 10_000, signal: controller.signal });
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 2);
    assert.equal(server.received.length, 2);
  });

  it('limits requests in flight per receiver without holding up other receivers', async (t) => {
    const held: ServerResponse[] = [];
    const slow = await serve(t, (_request, response) => held.push(response));
    const fast = await serve(t, ok);
    const limiter = new ConcurrencyLimiter(2);
    const notifier = notifierFor(t, { limiter });
    const sends = Array.from({ length: 5 }, () => notifier.notify(webhook(slow.url), message('slow'), deadlineIn(5000)));
    await slow.requests(2);
    assert.deepEqual(limiter.load('slow'), { running: 2, waiting: 3 });
    assert.deepEqual(await notifier.notify(webhook(fast.url), message('fast'), deadlineIn(5000)), { ok: true, attempts: 1 });
    let maxHeld = 0;
    while (held.length > 0 || slow.received.length < 5) {
      maxHeld = Math.max(maxHeld, held.length);
      const response = held.shift();
      if (response === undefined) await slow.requests(slow.received.length + 1);
      else response.end();
    }
    assert.ok((await Promise.all(sends)).every((r) => r.ok));
    assert.equal(maxHeld, 2);
  });

  describe('TLS', () => {
    let dir = '';
    let tls: { key: string; cert: string } | undefined;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'grouper-notify-tls-'));
      try {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
          '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        ], { stdio: 'ignore' });
        tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
      } catch {
        tls = undefined;
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('accepts a self-signed certificate only with insecure_skip_verify', async (t) => {
      if (tls === undefined) return t.skip('openssl not available');
      const server = await serve(t, ok, tls);
      const notifier = notifierFor(t);
      const signal = new AbortController().signal;
      const error = await rejection(notifier.send(webhook(server.url), message(), signal));
      assert.equal(error.code, 'GROUPER_NOTIFY_TRANSPORT');
      assert.equal(error.retryable, true);
      await notifier.send(webhook(server.url, { tlsInsecureSkipVerify: true }), message(), signal);
      assert.equal(server.received.length, 1);
    });
  });
});
