import type { FastifyInstance } from 'fastify';
import { textBody } from './query-schemas.ts';
import type {} from '../app.ts';

/** POST /-/reload: re-reads the config file, answering as Alertmanager does. */
export async function reloadRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.post(
    '/-/reload',
    {
      schema: {
        summary: 'Reload the configuration file',
        tags: ['operations'],
        response: {
          200: { description: 'Reloaded: the new configuration is in force.', type: 'null' },
          500: textBody('`failed to reload config: <reason>`; the running configuration is kept.'),
        },
      },
    },
    async (_request, reply) => {
      try {
        await fastify.reloadConfig();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return reply.code(500).type('text/plain; charset=utf-8').send(`failed to reload config: ${message}\n`);
      }
      return reply.code(200).send();
    },
  );
}

export default reloadRoutes;
