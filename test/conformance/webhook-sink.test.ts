import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebhookSink, failFirst } from '../helpers/webhook-sink.ts';

const post = (url: string, body: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('WebhookSink', () => {
  const sinks: WebhookSink[] = [];
  after(() => Promise.all(sinks.map((sink) => sink.close())));
  const start = async (...args: Parameters<typeof WebhookSink.start>): Promise<WebhookSink> => {
    const sink = await WebhookSink.start(...args);
    sinks.push(sink);
    return sink;
  };

  it('records path, headers, raw and parsed body, and the answer given', async () => {
    const sink = await start();
    const before = Date.now();
    const response = await post(`${sink.url}/team`, '{"a":1}\n');
    assert.equal(response.status, 200);
    const [request] = await sink.waitForCount(1);
    assert.equal(request.path, '/team');
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.raw, '{"a":1}\n');
    assert.deepEqual(request.body, { a: 1 });
    assert.equal(request.status, 200);
    assert.ok(request.receivedAt >= before && request.receivedAt <= Date.now());
  });

  it('fails the first requests of each path as programmed, then answers as reprogrammed', async () => {
    const sink = await start(failFirst(2, 503));
    const statuses = [];
    for (const path of ['/a', '/a', '/b', '/a']) statuses.push((await post(`${sink.url}${path}`, '{}')).status);
    assert.deepEqual(statuses, [503, 503, 503, 200]);
    sink.respondWith(() => ({ status: 429 }));
    assert.equal((await post(`${sink.url}/a`, '{}')).status, 429);
    assert.deepEqual(sink.requests.map((r) => r.status), [503, 503, 503, 200, 429]);
  });

  it('waitFor resolves on the request that satisfies it and rejects after its timeout', async () => {
    const sink = await start();
    const waiting = sink.waitFor((requests) => requests.some((r) => r.path === '/late'), 2_000);
    await post(`${sink.url}/early`, 'not json');
    await post(`${sink.url}/late`, '{}');
    const requests = await waiting;
    assert.deepEqual(requests.map((r) => [r.path, r.body]), [['/early', undefined], ['/late', {}]]);
    await assert.rejects(sink.waitForCount(3, 50), /not met within 50 ms \(2 requests received\)/);
  });
});
