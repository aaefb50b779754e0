import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

const Text = (description: string) => Type.String({ description });

/** Alertmanager's probes; readiness also waits for a usable store. */
export async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.route({
    method: ['GET', 'HEAD'],
    url: '/-/healthy',
    schema: { summary: 'Liveness probe', tags: ['operations'], response: { 200: Text('OK') } },
    handler: async (_request, reply) => reply.type('text/plain').send('OK'),
  });
  fastify.route({
    method: ['GET', 'HEAD'],
    url: '/-/ready',
    schema: {
      summary: 'Readiness probe: the config is loaded and the store answers (from memory during a Redis outage)',
      tags: ['operations'],
      response: { 200: Text('OK'), 503: Text('not ready: <what is missing>') },
    },
    handler: async (_request, reply) => {
      const problem = await fastify.readiness();
      if (problem === undefined) return reply.type('text/plain').send('OK');
      return reply.code(503).type('text/plain').send(`not ready: ${problem}`);
    },
  });
}
