import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isResolved, type Alert } from '../core/alert.ts';
import { normalizeAlert, type PostableAlert } from '../core/alert-input.ts';
import { goQuote } from '../core/label-set.ts';
import { countByLimit, refusalMessage, type Refusal } from '../core/limits.ts';
import { ApiBodyError, PostableAlertsSchema, bodyParseError, decodePostableAlerts, ingestRouteSchema } from './alert-schemas.ts';
import './instance.ts';
import './metrics-routes.ts';

/**
 * POST /api/v2/alerts with Alertmanager's answers: 200 with no body; 400 with a JSON string
 * listing the invalid alerts (the valid ones are kept); `{"code","message"}` when the body as a
 * whole is rejected (nothing is kept). Register it as an ordinary (encapsulated) plugin.
 */
export async function alertsRoutes(fastify: FastifyInstance): Promise<void> {
  useAlertmanagerBodies(fastify, 'alerts');
  const schema = ingestRouteSchema("Alertmanager's alert ingest (Prometheus posts here)", PostableAlertsSchema);
  fastify.post('/api/v2/alerts', { schema, validatorCompiler: documentedOnly }, async (request, reply) => {
    return acceptAlerts(fastify, request, reply, decodePostableAlerts(request.body));
  });
}

export default alertsRoutes;

/** The ingest routes check bodies by hand for Alertmanager's exact errors; schemas document. */
export function documentedOnly(): () => true {
  return () => true;
}

/**
 * Makes this plugin's routes read bodies and report body errors as Alertmanager does: any
 * content type reaches the parser so that a non-JSON one gets Alertmanager's 415, and Fastify's
 * own body errors (413, 400) come out as `{"code","message"}`.
 */
export function useAlertmanagerBodies(fastify: FastifyInstance, bodyName: string): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseBody(request.headers['content-type'], body as string, bodyName));
    } catch (error) {
      done(error as ApiBodyError, undefined);
    }
  });
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiBodyError) {
      return sendCodeMessage(reply, error.statusCode, error.code, error.message);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const header = goQuote(request.headers['content-type'] ?? '');
      const message = `parsing Content-Type header from ${header} failed, because mime: invalid media type`;
      return sendCodeMessage(reply, 400, 400, message);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendCodeMessage(reply, status, status, error.message);
    throw error;
  });
}

/**
 * The JSON body, or undefined for none (Alertmanager's "required" check comes first, and an empty
 * body is never checked for its content type).
 */
function parseBody(contentType: string | undefined, text: string, bodyName: string): unknown {
  if (text.length === 0) return undefined;
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== 'application/json') {
    const shown = goQuote(mediaType);
    throw new ApiBodyError(415, 415, `unsupported media type ${shown}, only [application/json] are allowed`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return undefined;
    throw bodyParseError(bodyName, (error as Error).message);
  }
}

/** A missing Content-Type counts as application/octet-stream, as in Go's HTTP stack. */
function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return 'application/octet-stream';
  const end = contentType.indexOf(';');
  return (end < 0 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
}

/**
 * Normalizes a decoded batch, stores the valid alerts and answers: the store's failure first
 * (500); then, when a limit (--limits.*) refused alerts, 429 with the invalid alerts' messages
 * followed by one line per refusal (429 wins over 400: a client may retry later, and the lines
 * still name every invalid alert); then the invalid alerts' messages (400); else 200 with no
 * body. As with invalid alerts, everything else in the batch is stored.
 */
export async function acceptAlerts(
  fastify: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  postables: readonly PostableAlert[],
): Promise<FastifyReply> {
  const now = fastify.clock();
  const resolveTimeout = fastify.currentConfig().global.resolveTimeout;
  const valid: Alert[] = [];
  let problems: string[] | undefined;
  for (const postable of postables) {
    const result = normalizeAlert(postable, now, resolveTimeout);
    if ('alert' in result) valid.push(result.alert);
    else (problems ??= []).push(result.error);
  }
  countReceived(fastify, valid, problems?.length ?? 0, now);
  let refused: readonly Refusal[] = [];
  if (valid.length > 0) {
    try {
      const result = await fastify.ingest.ingest(valid, now);
      if (result) refused = result.refused;
    } catch (error) {
      request.log.error({ err: error }, 'storing alerts failed');
      return sendJsonString(reply, 500, (error as Error).message);
    }
  }
  if (refused.length > 0) {
    const lines = refused.map(refusalMessage);
    // One line per request, never one per alert.
    request.log.warn({ refused: countByLimit(refused), first: lines[0] }, 'alerts refused by limits');
    return sendJsonString(reply, 429, [...(problems ?? []), ...lines].join('\n'));
  }
  if (problems !== undefined) {
    request.log.debug({ problems }, 'rejected invalid alerts');
    return sendJsonString(reply, 400, problems.join('\n'));
  }
  return reply.code(200).send();
}

/** Invalid alerts count as firing: Grouper cannot tell what an invalid alert meant. */
function countReceived(fastify: FastifyInstance, valid: readonly Alert[], invalid: number, now: number): void {
  let resolved = 0;
  for (const alert of valid) if (isResolved(alert, now)) resolved++;
  fastify.metrics.alertsReceived(valid.length - resolved + invalid, resolved);
  if (invalid > 0) fastify.metrics.alertsInvalid(invalid);
}

/** go-swagger's handler errors: a JSON string (HTML left unescaped) and a trailing newline. */
export function sendJsonString(reply: FastifyReply, status: number, text: string): FastifyReply {
  return sendJson(reply, status, `${goJson(text, false)}\n`);
}

/** go-swagger's request errors: `{"code":n,"message":"..."}` marshalled by Go (HTML escaped). */
function sendCodeMessage(
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
): FastifyReply {
  return sendJson(reply, status, goJson({ code, message }, true));
}

/** As a Buffer, so that Fastify leaves the content type exactly `application/json`. */
function sendJson(reply: FastifyReply, status: number, json: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(json));
}

const GO_JSON_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON as Go's encoder writes it: U+2028/U+2029 always escaped, `<>&` when escapeHtml. */
function goJson(value: unknown, escapeHtml: boolean): string {
  const pattern = escapeHtml ? /[<>&\u2028\u2029]/g : /[\u2028\u2029]/g;
  return JSON.stringify(value).replace(pattern, (char) => GO_JSON_ESCAPES[char]);
}
