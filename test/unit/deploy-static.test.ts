import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { checkCompose } from '../../scripts/deploy-static/check-compose.ts';
import { checkDockerfile } from '../../scripts/deploy-static/check-dockerfile.ts';
import { CHART_DIR, checkHelmChart } from '../../scripts/deploy-static/check-helm-chart.ts';
import { DockerfileSyntaxError, copySources, isNumericNonRootUser, parseDockerfile, stageUser } from '../../scripts/deploy-static/dockerfile.ts';
import { dockerIgnoreMatcher } from '../../scripts/deploy-static/dockerignore.ts';
import { actionProblems, stripActions } from '../../scripts/deploy-static/helm-template.ts';
import { mergeValues, schemaAt, valuePathsUsed, valuesNotUsed } from '../../scripts/deploy-static/helm-values.ts';
import { diskRepo, withChanges } from '../../scripts/deploy-static/repo-files.ts';
import type { RepoFiles } from '../../scripts/deploy-static/repo-files.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const repo = diskRepo(root);

/** The repository with one file's text edited; the edit must change something, or the test proves nothing. */
function edited(path: string, edit: (text: string) => string): RepoFiles {
  const before = repo.read(path);
  const after = edit(before);
  assert.notEqual(after, before, `the edit of ${path} changed nothing`);
  return withChanges(repo, { [path]: after });
}

function editedYaml(path: string, edit: (doc: Record<string, any>) => void): RepoFiles {
  return edited(path, (text) => {
    const doc = parse(text) as Record<string, any>;
    edit(doc);
    return stringify(doc);
  });
}

function assertReports(problems: readonly string[], expected: RegExp): void {
  assert.ok(problems.some((problem) => expected.test(problem)), `expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
}

describe('Dockerfile parser', () => {
  it('joins continuations, reads flags, exec form and stages', () => {
    const stages = parseDockerfile(
      ['# syntax=docker/dockerfile:1', 'ARG X=1', 'FROM node:24-slim AS build', 'RUN a \\', '  # comment inside', '  && b',
        'FROM node:24-slim', 'COPY --from=build /app/dist ./dist', 'HEALTHCHECK --interval=5s CMD ["node", "-e", "1"]', 'USER 1000'].join('\n'),
    );
    assert.equal(stages.length, 2);
    assert.equal(stages[0]!.name, 'build');
    assert.deepEqual(stages[0]!.instructions.map((i) => [i.keyword, i.rest, i.line]), [['RUN', 'a  && b', 4]]);
    const [copy, healthcheck] = stages[1]!.instructions;
    assert.deepEqual(copy!.flags, { from: 'build' });
    assert.deepEqual(copySources(copy!), ['/app/dist']);
    assert.deepEqual(healthcheck!.flags, { interval: '5s' });
    assert.deepEqual(healthcheck!.exec, ['node', '-e', '1']);
    assert.equal(stageUser(stages[1]!), '1000');
  });

  it('rejects unknown instructions, instructions before FROM and broken exec arrays', () => {
    assert.throws(() => parseDockerfile('FROM node:24\nRUNN x'), DockerfileSyntaxError);
    assert.throws(() => parseDockerfile('RUN x\nFROM node:24'), /before the first FROM/);
    assert.throws(() => parseDockerfile("FROM node:24\nCMD ['single', 'quotes']"), /invalid JSON array/);
    assert.throws(() => parseDockerfile('# nothing'), /no FROM/);
  });

  it('accepts only numeric non-root users', () => {
    assert.equal(isNumericNonRootUser('1000:1000'), true);
    assert.equal(isNumericNonRootUser('10001'), true);
    assert.equal(isNumericNonRootUser('0'), false);
    assert.equal(isNumericNonRootUser('node'), false);
    assert.equal(isNumericNonRootUser(undefined), false);
  });
});

describe('.dockerignore matcher', () => {
  const ignored = dockerIgnoreMatcher('node_modules\n*.log\n**/coverage\ndeploy/compose\n!keep.log\n');
  it('excludes matching paths and everything under them', () => {
    assert.equal(ignored('node_modules'), true);
    assert.equal(ignored('node_modules/yaml/index.js'), true);
    assert.equal(ignored('npm-debug.log'), true);
    assert.equal(ignored('a/b/coverage/x.json'), true);
    assert.equal(ignored('deploy/compose/prometheus.yml'), true);
  });
  it('keeps other paths, and re-included ones', () => {
    assert.equal(ignored('deploy/alertmanager.yml'), false);
    assert.equal(ignored('src/server.ts'), false);
    assert.equal(ignored('sub/npm-debug.log'), false);
    assert.equal(ignored('keep.log'), false);
  });
});

describe('Dockerfile and .dockerignore', () => {
  it('meet the deployment rules', () => {
    assert.deepEqual(checkDockerfile(repo), []);
  });

  it('report a final stage running as root', () => {
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace(/^USER .*$/m, 'USER root'))), /numeric non-root USER/);
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace(/^USER .*\n/m, ''))), /none \(root\)/);
  });

  it('report a COPY source that is missing or excluded from the build context', () => {
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace('COPY src ./src', 'COPY source ./src'))), /source source does not exist/);
    assertReports(checkDockerfile(edited('.dockerignore', (t) => `${t}deploy/alertmanager.yml\n`)), /excluded by \.dockerignore/);
  });

  it('report a base image other than Node 24', () => {
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace(/^FROM node:24\S*(?= AS build)/m, 'FROM node:22-slim'))), /not Node 24/);
  });

  it('report dev dependencies in the image, and a missing healthcheck or build step', () => {
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace('--omit=dev', ''))), /production dependencies only/);
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace(/^HEALTHCHECK[\s\S]*?\n(?=ENTRYPOINT)/m, ''))), /HEALTHCHECK/);
    assertReports(checkDockerfile(edited('Dockerfile', (t) => t.replace('npm run build', 'npm run compile'))), /npm run build/);
  });

  it('report a .dockerignore that lets node_modules into the context', () => {
    assertReports(checkDockerfile(edited('.dockerignore', (t) => t.replace(/^node_modules\n/m, ''))), /does not exclude node_modules/);
  });
});

describe('entry points', () => {
  it('the image, the npm bin and the build all run dist/server.js', () => {
    const pkg = JSON.parse(repo.read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(pkg.bin['grouper'], 'bin/grouper.js');
    const launcher = repo.read('bin/grouper.js');
    assert.match(launcher, /^#!\/usr\/bin\/env -S node --max-semi-space-size=32\n/);
    assert.match(launcher, /^import '\.\.\/dist\/server\.js';$/m);
    const build = JSON.parse(repo.read('tsconfig.build.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
    assert.match(repo.read('Dockerfile'), /^ENTRYPOINT \["node", "--max-semi-space-size=32", "dist\/server\.js"\]$/m);
  });

  it('every way of starting Grouper gives V8 the same young generation', () => {
    const flag = '--max-semi-space-size=32';
    const pkg = JSON.parse(repo.read('package.json')) as { scripts: Record<string, string> };
    assert.ok(pkg.scripts['start'].includes(flag), 'npm start');
    assert.ok(repo.read('bin/grouper.js').includes(flag), 'the npm bin');
    assert.ok(repo.read('Dockerfile').includes(flag), 'the image');
    assert.ok(repo.read('test/helpers/grouper-process.ts').includes(flag), 'the tests and benchmarks');
  });
});

describe('docker-compose.yml, Prometheus and the webhook receiver', () => {
  it('wire grouper, redis, prometheus and the webhook receiver together', () => {
    assert.deepEqual(checkCompose(repo), []);
  });

  it('report a dependency on an unknown service and a healthy-wait on a service without healthcheck', () => {
    assertReports(checkCompose(editedYaml('docker-compose.yml', (c) => { c.services.grouper.depends_on.cache = { condition: 'service_started' }; })), /unknown service cache/);
    assertReports(checkCompose(editedYaml('docker-compose.yml', (c) => { delete c.services.redis.healthcheck; })), /redis has no healthcheck/);
  });

  it('report a bind mount or build file that does not exist', () => {
    assertReports(checkCompose(edited('docker-compose.yml', (t) => t.replace('./deploy/compose/prometheus.yml', './deploy/compose/prom.yml'))), /prom\.yml does not exist/);
    assertReports(checkCompose(editedYaml('docker-compose.yml', (c) => { c.services.grouper.build.dockerfile = 'Containerfile'; })), /Containerfile does not exist/);
  });

  it('report Grouper pointed at the wrong Redis or given a setting it does not read', () => {
    assertReports(checkCompose(editedYaml('docker-compose.yml', (c) => { c.services.grouper.environment.GROUPER_STORAGE_REDIS_URL = 'redis://cache:6379'; })), /names no compose service/);
    assertReports(checkCompose(editedYaml('docker-compose.yml', (c) => { c.services.grouper.environment.GROUPER_REDIS = 'x'; })), /GROUPER_REDIS, which the service does not read/);
  });

  it('report Prometheus not sending to grouper:9093, or a rule file it cannot load', () => {
    assertReports(checkCompose(edited('deploy/compose/prometheus.yml', (t) => t.replace("['grouper:9093']", "['alertmanager:9093']"))), /does not target grouper:9093/);
    assertReports(checkCompose(edited('deploy/compose/prometheus.yml', (t) => t.replace('demo-alerts.yml', 'other.yml'))), /other\.yml does not exist|not mounted/);
    assertReports(checkCompose(edited('deploy/compose/demo-alerts.yml', (t) => t.replace(/expr: /g, 'for: 5m\n        expr: '))), /no alert fires at once/);
    assertReports(checkCompose(edited('deploy/compose/demo-alerts.yml', (t) => t.replace('groups:', 'groups: [\n'))), /invalid YAML/);
  });

  it('report Grouper notifying a receiver that is not there', () => {
    assertReports(checkCompose(edited('deploy/compose/alertmanager.yml', (t) => t.replace('http://webhook:5001/', 'http://webhook:8080/'))), /port 8080, webhook listens on 5001/);
    assertReports(checkCompose(edited('deploy/compose/alertmanager.yml', (t) => t.replace('receiver: webhook-logger', 'receiver: nobody'))), /undefined receiver "nobody"/);
  });

  it('the webhook receiver logs each notification it receives', async () => {
    const child = spawn(process.execPath, [`${root}deploy/compose/webhook-receiver.mjs`], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const port = /listening on :(\d+)/.exec(String((await lines.next()).value))?.[1];
      assert.ok(port, 'the receiver announces its port');
      const notification = { version: '4', status: 'firing', alerts: [{ labels: { alertname: 'DemoAlwaysFiring' } }] };
      const response = await fetch(`http://127.0.0.1:${port}/alerts`, { method: 'POST', body: JSON.stringify(notification) });
      assert.equal(response.status, 200);
      const logged = JSON.parse(String((await lines.next()).value)) as { path: string; payload: unknown };
      assert.equal(logged.path, '/alerts');
      assert.deepEqual(logged.payload, notification);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });
});

describe('Helm template helpers', () => {
  it('find every .Values path a template reads', () => {
    assert.deepEqual(valuePathsUsed('{{ .Values.a.b }} {{- with $.Values.c }}{{ .d }}{{ end }} {{ .Values.a.b | quote }}'), ['a.b', 'c']);
  });

  it('merge values as helm does: maps merge, lists replace, null deletes', () => {
    assert.deepEqual(mergeValues({ a: { b: 1, c: 2 }, l: [1, 2], n: 1 }, { a: { c: 3 }, l: [9], n: null }), { a: { b: 1, c: 3 }, l: [9] });
  });

  it('follow $ref in the schema and treat open maps as leaves', () => {
    const schema = {
      definitions: { image: { properties: { tag: {} } } },
      properties: { image: { $ref: '#/definitions/image' }, labels: { type: 'object' } },
    };
    assert.ok(schemaAt(schema, 'image.tag'));
    assert.equal(schemaAt(schema, 'image.digest'), undefined);
    assert.deepEqual(valuesNotUsed({ image: { tag: '1' }, labels: { a: 'b' } }, schema, ['image']), ['labels']);
  });

  it('check that actions and blocks balance, and strip actions to YAML', () => {
    assert.deepEqual(actionProblems('{{- if .Values.a }}\nx: {{ .Values.b }}\n{{- end }}', 't'), []);
    assertReports(actionProblems('{{- if .Values.a }}\nx: 1\n', 't'), /without \{\{ end \}\}/);
    assertReports(actionProblems('x: {{ .Values.b }\n', 't'), /"\{\{" against/);
    assert.equal(stripActions('{{- if .Values.a }}\nx: {{ .Values.b | quote }}\ny:\n  {{- toYaml .Values.c | nindent 2 }}\n{{- end }}'), 'x: x\ny:');
  });
});

describe('Helm chart', () => {
  const values = `${CHART_DIR}/values.yaml`;
  const schema = `${CHART_DIR}/values.schema.json`;
  const editedSchema = (edit: (s: Record<string, any>) => void) =>
    edited(schema, (t) => {
      const doc = JSON.parse(t) as Record<string, any>;
      edit(doc);
      return JSON.stringify(doc);
    });

  it('values, schema, examples and templates agree', () => {
    assert.deepEqual(checkHelmChart(repo), []);
  });

  it('reports a value a template reads that values.yaml lacks', () => {
    const problems = checkHelmChart(editedYaml(values, (v) => { delete v.autoscaling.maxReplicas; }));
    assertReports(problems, /hpa\.yaml: \.Values\.autoscaling\.maxReplicas is not in values\.yaml/);
  });

  it('reports a value the schema does not describe, and a schema property without default', () => {
    assertReports(checkHelmChart(editedSchema((s) => { delete s.properties.service.properties.port; })), /\.Values\.service\.port is not in values\.schema\.json/);
    assertReports(checkHelmChart(editedYaml(values, (v) => { v.service.nodePort = 30093; })), /service\.nodePort is not described by values\.schema\.json/);
    assertReports(checkHelmChart(editedYaml(values, (v) => { delete v.priorityClassName; })), /priorityClassName has no default in values\.yaml/);
  });

  it('reports a value no template uses', () => {
    assertReports(
      checkHelmChart(withChanges(editedSchema((s) => { s.properties.debug = { type: 'boolean' }; }), { [values]: `${repo.read(values)}debug: false\n` })),
      /values\.yaml: debug is used by no template/,
    );
  });

  it('validates values.yaml and each ci example against the schema', () => {
    assertReports(checkHelmChart(editedYaml(values, (v) => { v.replicaCount = 'two'; })), /values\.yaml: values\/replicaCount must be integer/);
    const ci = withChanges(repo, { [`${CHART_DIR}/ci/broken-values.yaml`]: 'redis:\n  sentinels: ["no-port"]\n' });
    assertReports(checkHelmChart(ci), /ci\/broken-values\.yaml: values\/redis\/sentinels\/0 must match pattern/);
    const badConfig = withChanges(repo, { [`${CHART_DIR}/ci/bad-config-values.yaml`]: 'config:\n  route:\n    receiver: nobody\n' });
    assertReports(checkHelmChart(badConfig), /bad-config-values\.yaml config: route uses undefined receiver "nobody"/);
  });

  it('reports unbalanced actions, undefined includes and wrong resource kinds', () => {
    const template = `${CHART_DIR}/templates/service.yaml`;
    assertReports(checkHelmChart(edited(template, (t) => t.replace('{{- with .Values.service.annotations }}', '{{- with .Values.service.annotations }}{{- if true }}'))), /service\.yaml: 1 block\(s\) without/);
    assertReports(checkHelmChart(edited(template, (t) => t.replace('"grouper.selectorLabels"', '"grouper.selector"'))), /undefined template "grouper\.selector"/);
    assertReports(checkHelmChart(edited(`${CHART_DIR}/templates/hpa.yaml`, (t) => t.replace('autoscaling/v2', 'autoscaling/v2beta2'))), /renders autoscaling\/v2beta2\/HorizontalPodAutoscaler/);
    assertReports(checkHelmChart(edited(`${CHART_DIR}/templates/servicemonitor.yaml`, (t) => t.replace(/^\{\{- if .*\n/, '').replace(/\{\{- end \}\}\n$/, ''))), /must be wrapped in \{\{- if \.Values\.serviceMonitor\.enabled \}\}/);
  });

  it('reports a deployment without probes, hardening or config checksum', () => {
    const deployment = `${CHART_DIR}/templates/deployment.yaml`;
    assertReports(checkHelmChart(edited(deployment, (t) => t.replace('path: /-/ready', 'path: /-/healthy'))), /readinessProbe must GET \/-\/ready/);
    assertReports(checkHelmChart(edited(deployment, (t) => t.replace(/^ +checksum\/config:.*\n/m, ''))), /checksum\/config/);
    assertReports(checkHelmChart(edited(deployment, (t) => t.replace(/^ +\{\{- if not \.Values\.autoscaling\.enabled \}\}\n/m, ''))), /left to the HPA/);
    assertReports(checkHelmChart(editedYaml(values, (v) => { v.securityContext.readOnlyRootFilesystem = false; })), /readOnlyRootFilesystem must be true/);
    assertReports(checkHelmChart(editedYaml(values, (v) => { v.podSecurityContext.runAsUser = 0; })), /non-root UID/);
  });

  it('reports an appVersion that is not the package version', () => {
    assertReports(checkHelmChart(edited(`${CHART_DIR}/Chart.yaml`, (t) => t.replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"'))), /appVersion 9\.9\.9 differs/);
  });
});
