import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../telemetry/metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** GET /metrics: the Prometheus text exposition of `fastify.metrics`. */
export async function metricsRoutes(fastify: FastifyInstance): Promise<void> {
  const schema = {
    summary: 'Prometheus metrics: Alertmanager names plus grouper_*',
    tags: ['operations'],
    response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
  };
  fastify.get('/metrics', { schema }, async (_request, reply) => {
    const { registry } = fastify.metrics;
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}

/**
 * Records every response in grouper_http_request_duration_seconds, labelled by the route pattern
 * (never the URL, whose values are unbounded). Call it on the root instance so that it sees every
 * route and the 404 handler.
 */
export function recordHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    fastify.metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
