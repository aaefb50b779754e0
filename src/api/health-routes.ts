import type { FastifyInstance } from 'fastify';

/** Alertmanager's probes; readiness also waits for a usable store. */
export async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.route({
    method: ['GET', 'HEAD'],
    url: '/-/healthy',
    handler: async (_request, reply) => reply.type('text/plain').send('OK'),
  });
  fastify.route({
    method: ['GET', 'HEAD'],
    url: '/-/ready',
    handler: async (_request, reply) => {
      const problem = await fastify.readiness();
      if (problem === undefined) return reply.type('text/plain').send('OK');
      return reply.code(503).type('text/plain').send(`not ready: ${problem}`);
    },
  });
}
