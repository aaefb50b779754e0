import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { conformanceSuite } from './conformance-suite.ts';

const url = process.env.GROUPER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `conformance-${randomUUID()}`;

// The same scenarios with Grouper on the Redis store: a key prefix per process, removed after.
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
