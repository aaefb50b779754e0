import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { candidateKind, conformanceSuite } from './conformance-suite.ts';

// CONFORMANCE_CANDIDATE=alertmanager runs Alertmanager against itself: a check of the harness.
const candidate = candidateKind(process.env.CONFORMANCE_CANDIDATE);
conformanceSuite(' (memory store)', candidate);

// Then the same scenarios with Grouper on the Redis store. The two suites run one after the
// other (forty processes at once would blur the timings on two cores): keep them in this file.
if (candidate === 'grouper') {
  const url = process.env.GROUPER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `conformance-${randomUUID()}`;
  conformanceSuite(' (Redis store)', 'grouper', [`--storage.redis.url=${url}`, `--storage.redis.prefix=${prefix}-{{RUN}}`]);

  after(async () => {
    const redis = new Redis(url);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}-*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  });
}
