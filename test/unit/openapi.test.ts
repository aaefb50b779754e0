import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import {
  collectRoutes,
  describeDifference,
  OPENAPI_FILE,
  renderOpenApi,
} from '../../scripts/openapi.ts';

type Operation = {
  parameters?: { name: string; in: string; required: boolean; schema: object }[];
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};

describe('openapi.yaml', () => {
  let generated: string;
  let document: { paths: Record<string, Record<string, Operation>> };

  before(async () => {
    generated = renderOpenApi(await collectRoutes());
    document = parse(generated);
  });

  it('is up to date with the route schemas (npm run openapi regenerates it)', async () => {
    const committed = await readFile(OPENAPI_FILE, 'utf8');
    assert.equal(describeDifference(generated, committed), undefined, describeDifference(generated, committed));
  });

  it('documents every query, status and reload route with its parameters and responses', () => {
    const expected: Record<string, string[]> = {
      '/api/v1/groups': ['get'],
      '/api/v1/groups/{id}': ['get'],
      '/api/v1/timers': ['get'],
      '/api/v1/timers/stats': ['get'],
      '/api/v1/timers/{groupId}': ['get'],
      '/api/v2/alerts': ['get', 'post'],
      '/api/v2/alerts/groups': ['get'],
      '/api/v2/status': ['get'],
      '/api/v2/receivers': ['get'],
      '/api/v2/silences': ['get', 'post'],
      '/-/reload': ['post'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.deepEqual(Object.keys(document.paths[path] ?? {}).sort(), methods, path);
    }
    const groups = document.paths['/api/v1/groups'].get;
    assert.deepEqual(
      groups.parameters?.map((p) => [p.name, p.in, p.required]),
      [
        ['receiver', 'query', false],
        ['filter', 'query', false],
        ['state', 'query', false],
        ['limit', 'query', false],
        ['cursor', 'query', false],
      ],
    );
    assert.deepEqual(Object.keys(groups.responses), ['200', '400']);
    assert.deepEqual(document.paths['/api/v1/groups/{id}'].get.parameters?.map((p) => [p.name, p.in, p.required]), [
      ['id', 'path', true],
    ]);
    assert.deepEqual(Object.keys(document.paths['/-/reload'].post.responses), ['200', '500']);
    assert.ok(document.paths['/-/reload'].post.responses['500'].content?.['text/plain']);
  });

  it('holds schemas that compile as JSON Schema 2020-12, and names every path parameter', () => {
    const ajv = new Ajv2020.default({ strict: false });
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const parameter of operation.parameters ?? []) {
          ajv.compile(parameter.schema);
          if (parameter.in === 'path') assert.ok(path.includes(`{${parameter.name}}`), `${method} ${path}`);
        }
        for (const placeholder of path.match(/\{[^}]+\}/g) ?? []) {
          assert.ok(operation.parameters?.some((p) => `{${p.name}}` === placeholder), `${method} ${path} ${placeholder}`);
        }
        for (const response of Object.values(operation.responses)) {
          for (const { schema } of Object.values(response.content ?? {})) ajv.compile(schema);
        }
      }
    }
  });

  it('says where a stale file first differs', () => {
    assert.equal(describeDifference('a\nb\n', 'a\nb\n'), undefined);
    const message = describeDifference('a\nb\nc\n', 'a\nB\nc\n');
    assert.match(message ?? '', /from line 2:\n- B\n\+ b\n/);
    assert.match(describeDifference('a\n', '') ?? '', /from line 1:\n- \n\+ a/);
  });
});
