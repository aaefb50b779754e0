import { after } from 'node:test';
import { startRedisServer } from '../helpers/redis-server.ts';
import { candidateKind, conformanceSuite } from './conformance-suite.ts';

// CONFORMANCE_CANDIDATE=alertmanager runs Alertmanager against itself: a check of the harness.
const candidate = candidateKind(process.env.CONFORMANCE_CANDIDATE);
conformanceSuite(' (memory store)', candidate);

// Then the same scenarios with Grouper on the Redis store. The two suites run one after the
// other (forty processes at once would blur the timings on two cores): keep them in this file.
// The Redis is one of their own: test files running beside this one load the shared Redis with
// batches that would hold up these scenarios' timers.
if (candidate === 'grouper') {
  const redis = await startRedisServer();
  after(() => redis.stop());
  conformanceSuite(' (Redis store)', 'grouper', [`--storage.redis.url=${redis.url}`, '--storage.redis.prefix=conformance-{{RUN}}']);
}
