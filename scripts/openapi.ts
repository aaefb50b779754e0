/**
 * Writes openapi.yaml (OpenAPI 3.1) from the schemas of the routes the app registers.
 * Run: npm run openapi; `npm run openapi:check` (--check) fails when the file is out of date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifySchema } from 'fastify';
import { stringify } from 'yaml';
import { app } from '../src/app.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { parseSettings, type Settings } from '../src/config/settings.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { version } from '../src/version.ts';

export const OPENAPI_FILE = new URL('../openapi.yaml', import.meta.url);

/** Only the routes matter, not this config: the smallest one that loads. */
const CONFIG = 'route:\n  receiver: default\nreceivers:\n  - name: default\n';

type JsonSchema = Record<string, unknown> & {
  readonly description?: string;
  readonly properties?: Record<string, JsonSchema>;
  readonly required?: readonly string[];
  readonly default?: unknown;
  readonly type?: unknown;
  readonly content?: Record<string, { schema: JsonSchema }>;
};

interface CollectedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema?: FastifySchema;
}

/** Every method and URL the app serves, with its schema, in registration order. */
export async function collectRoutes(): Promise<CollectedRoute[]> {
  const routes: CollectedRoute[] = [];
  const fastify = Fastify({ logger: false });
  fastify.addHook('onRoute', (route) => {
    // Fastify answers HEAD for every GET route: not worth an operation each.
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, schema: route.schema });
    }
  });
  const settings = parseSettings([], {}) as Settings;
  await fastify.register(app, { settings, config: parseConfig(CONFIG, 'openapi.yml'), store: new MemoryStore() });
  await fastify.close();
  return routes;
}

/** Plain JSON: drops TypeBox's symbol keys and shared references. */
function plain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema));
}

function parameters(schema: unknown, location: 'path' | 'query'): object[] {
  if (schema === undefined) return [];
  const object = plain(schema);
  const required = new Set(object.required ?? []);
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (required.has(name) && rest.default === undefined),
      ...(description !== undefined && { description }),
      ...(rest.type === 'array' && { style: 'form', explode: true }),
      schema: rest,
    };
  });
}

function responses(schema: unknown): Record<string, object> {
  if (schema === undefined) return { default: { description: 'No response schema.' } };
  const byStatus: Record<string, object> = {};
  for (const [status, response] of Object.entries(plain(schema) as Record<string, JsonSchema>)) {
    const { description = `HTTP ${status}.`, content, type } = response;
    if (content !== undefined) byStatus[status] = { description, content };
    else if (type === 'null') byStatus[status] = { description };
    else byStatus[status] = { description, content: { 'application/json': { schema: response } } };
  }
  return byStatus;
}

function operation(route: CollectedRoute): object {
  const schema = (route.schema ?? {}) as FastifySchema & { summary?: string; description?: string; tags?: string[] };
  const params = [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')];
  return {
    ...(schema.summary !== undefined && { summary: schema.summary }),
    ...(schema.description !== undefined && { description: schema.description }),
    ...(schema.tags !== undefined && { tags: schema.tags }),
    ...(params.length > 0 && { parameters: params }),
    ...(schema.body !== undefined && {
      requestBody: { required: true, content: { 'application/json': { schema: plain(schema.body) } } },
    }),
    responses: responses(schema.response),
  };
}

/** `/api/v1/groups/:id` → `/api/v1/groups/{id}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function routesWithoutSchemas(routes: readonly CollectedRoute[]): string[] {
  return routes.filter((route) => route.schema?.response === undefined).map((route) => `${route.method} ${route.url}`);
}

export function renderOpenApi(routes: readonly CollectedRoute[]): string {
  const paths: Record<string, Record<string, object>> = {};
  const sorted = [...routes].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : a.method < b.method ? -1 : 1));
  for (const route of sorted) {
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Grouper',
      version,
      description:
        "Alertmanager-compatible alert grouping and webhook notification. Alertmanager's API v2 reads and alert ingestion under /api/v2, Grouper's own queries under /api/v1. Generated from the route schemas by scripts/openapi.ts: do not edit.",
    },
    paths,
  };
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Undefined when `actual` is `expected`, else where they first differ. */
export function describeDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const want = expected.split('\n');
  const have = actual.split('\n');
  let line = 0;
  while (line < want.length && want[line] === have[line]) line++;
  return [
    `openapi.yaml is out of date from line ${line + 1}:`,
    `- ${have[line] ?? '<end of file>'}`,
    `+ ${want[line] ?? '<end of file>'}`,
    'Run `npm run openapi` to regenerate it.',
  ].join('\n');
}

async function main(check: boolean): Promise<number> {
  const routes = await collectRoutes();
  for (const route of routesWithoutSchemas(routes)) process.stderr.write(`warning: ${route} has no response schema\n`);
  const text = renderOpenApi(routes);
  if (!check) {
    await writeFile(OPENAPI_FILE, text);
    return 0;
  }
  const current = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
  const difference = describeDifference(text, current);
  if (difference !== undefined) process.stderr.write(`${difference}\n`);
  return difference === undefined ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.includes('--check'));
}
