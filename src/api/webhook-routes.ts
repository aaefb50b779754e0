import type { FastifyInstance } from 'fastify';
import { acceptAlerts, documentedOnly, useAlertmanagerBodies } from './alerts-routes.ts';
import { WebhookMessageSchema, decodeWebhookMessage, ingestRouteSchema } from './alert-schemas.ts';

/**
 * POST /webhook: an Alertmanager webhook notification (version "4"), so that an existing
 * Alertmanager can forward to Grouper. Its alerts take the same path as POST /api/v2/alerts; a
 * firing alert's zero endsAt means "not set", so it gets now + resolve_timeout. Register it as
 * an ordinary (encapsulated) plugin.
 */
export async function webhookRoutes(fastify: FastifyInstance): Promise<void> {
  useAlertmanagerBodies(fastify, 'message');
  const schema = ingestRouteSchema('An Alertmanager webhook notification (version 4), for forwarding from an Alertmanager', WebhookMessageSchema);
  fastify.post('/webhook', { schema, validatorCompiler: documentedOnly }, async (request, reply) => {
    return acceptAlerts(fastify, request, reply, decodeWebhookMessage(request.body));
  });
}

export default webhookRoutes;
