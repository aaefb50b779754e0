import { posix } from 'node:path';
import { Ajv } from 'ajv';
import { CONFIG_FILE_PATH, GROUPER_PORT, alertmanagerConfigProblems, isObject } from './alertmanager-config.ts';
import { actionProblems, definedTemplates, includedTemplates, strippedDocuments } from './helm-template.ts';
import {
  hasValuePath, mergeValues, schemaAt, schemaMissingFromValues, valuePathsUsed, valuesMissingFromSchema, valuesNotUsed,
} from './helm-values.ts';
import type { SchemaNode } from './helm-values.ts';
import { readYaml } from './read-yaml.ts';
import type { RepoFiles } from './repo-files.ts';

export const CHART_DIR = 'helm/grouper';
const TEMPLATES_DIR = `${CHART_DIR}/templates`;
const CI_DIR = `${CHART_DIR}/ci`;

/** The resources each manifest template must render (apiVersion/kind, in order). */
const MANIFESTS: Readonly<Record<string, readonly string[]>> = {
  'deployment.yaml': ['apps/v1/Deployment'],
  'service.yaml': ['v1/Service'],
  'configmap.yaml': ['v1/ConfigMap'],
  'secret.yaml': ['v1/Secret'],
  'hpa.yaml': ['autoscaling/v2/HorizontalPodAutoscaler'],
  'pdb.yaml': ['policy/v1/PodDisruptionBudget'],
  'servicemonitor.yaml': ['monitoring.coreos.com/v1/ServiceMonitor'],
  'serviceaccount.yaml': ['v1/ServiceAccount'],
  'redis.yaml': ['apps/v1/Deployment', 'v1/Service'],
};

/** Templates rendered only when a switch in values is on. */
const SWITCHED: Readonly<Record<string, string>> = {
  'hpa.yaml': 'autoscaling.enabled',
  'pdb.yaml': 'podDisruptionBudget.enabled',
  'servicemonitor.yaml': 'serviceMonitor.enabled',
  'serviceaccount.yaml': 'serviceAccount.create',
  'redis.yaml': 'redis.bundled.enabled',
};

/** Helm sets `global` for subcharts; values.yaml need not. */
const HELM_RESERVED = ['global'];

/**
 * Problems with the Helm chart that can be found without helm: Chart.yaml, values against the
 * schema, values references in templates, template structure, and the settings the deployment
 * must have (probes, hardening, config mount, autoscaling, disruption budget).
 */
export function checkHelmChart(repo: RepoFiles): string[] {
  const chart = readYaml(repo, `${CHART_DIR}/Chart.yaml`);
  const values = readYaml(repo, `${CHART_DIR}/values.yaml`);
  if (chart.problem !== undefined || values.problem !== undefined) return [chart.problem, values.problem].filter((p) => p !== undefined);
  let schema: SchemaNode;
  try {
    schema = JSON.parse(repo.read(`${CHART_DIR}/values.schema.json`)) as SchemaNode;
  } catch (error) {
    return [`${CHART_DIR}/values.schema.json: ${(error as Error).message}`];
  }
  const templates = Object.fromEntries(repo.list(TEMPLATES_DIR).map((name) => [name, repo.read(`${TEMPLATES_DIR}/${name}`)]));
  return [
    ...chartProblems(chart.value, repo),
    ...schemaValidationProblems(values.value, schema, repo),
    ...valuesCoverageProblems(values.value, schema, templates),
    ...templateProblems(templates),
    ...deploymentProblems(values.value, templates),
  ];
}

function chartProblems(chart: unknown, repo: RepoFiles): string[] {
  if (!isObject(chart)) return [`${CHART_DIR}/Chart.yaml: not a mapping`];
  const problems: string[] = [];
  if (chart['apiVersion'] !== 'v2') problems.push(`${CHART_DIR}/Chart.yaml: apiVersion must be v2`);
  if (chart['name'] !== posix.basename(CHART_DIR)) problems.push(`${CHART_DIR}/Chart.yaml: name must be ${posix.basename(CHART_DIR)}`);
  if (!/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(String(chart['version']))) problems.push(`${CHART_DIR}/Chart.yaml: version must be SemVer`);
  const packageVersion = (JSON.parse(repo.read('package.json')) as { version?: string }).version;
  if (chart['appVersion'] !== packageVersion) {
    problems.push(`${CHART_DIR}/Chart.yaml: appVersion ${String(chart['appVersion'])} differs from package.json ${packageVersion} (the default image tag)`);
  }
  return problems;
}

/** values.yaml, and each ci/*.yaml merged over it as helm would, must satisfy the schema. */
function schemaValidationProblems(values: unknown, schema: SchemaNode, repo: RepoFiles): string[] {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    return [`${CHART_DIR}/values.schema.json: ${(error as Error).message}`];
  }
  const ciFiles = repo.list(CI_DIR).filter((name) => name.endsWith('.yaml'));
  const problems = ciFiles.length === 0 ? [`${CI_DIR}: no example values files`] : [];
  const candidates: [string, unknown][] = [[`${CHART_DIR}/values.yaml`, values]];
  for (const name of ciFiles) {
    const ci = readYaml(repo, `${CI_DIR}/${name}`);
    if (ci.problem !== undefined) problems.push(ci.problem);
    else candidates.push([`${CI_DIR}/${name}`, mergeValues(values, ci.value)]);
  }
  for (const [file, candidate] of candidates) {
    if (!validate(candidate)) problems.push(`${file}: ${ajv.errorsText(validate.errors, { dataVar: 'values' })}`);
    if (isObject(candidate)) problems.push(...alertmanagerConfigProblems(candidate['config'], `${file} config`));
  }
  return problems;
}

function valuesCoverageProblems(values: unknown, schema: SchemaNode, templates: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const [name, text] of Object.entries(templates)) {
    for (const path of valuePathsUsed(text)) {
      used.add(path);
      if (!hasValuePath(values, path)) problems.push(`${TEMPLATES_DIR}/${name}: .Values.${path} is not in values.yaml`);
      if (schemaAt(schema, path) === undefined) problems.push(`${TEMPLATES_DIR}/${name}: .Values.${path} is not in values.schema.json`);
    }
  }
  for (const path of valuesMissingFromSchema(values, schema)) problems.push(`${CHART_DIR}/values.yaml: ${path} is not described by values.schema.json`);
  for (const path of schemaMissingFromValues(values, schema, HELM_RESERVED)) problems.push(`${CHART_DIR}/values.schema.json: ${path} has no default in values.yaml`);
  for (const path of valuesNotUsed(values, schema, [...used])) problems.push(`${CHART_DIR}/values.yaml: ${path} is used by no template`);
  return problems;
}

function templateProblems(templates: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const name of [...Object.keys(MANIFESTS), 'NOTES.txt', '_helpers.tpl']) {
    if (templates[name] === undefined) problems.push(`${TEMPLATES_DIR}/${name}: missing`);
  }
  const defined = new Set(Object.values(templates).flatMap(definedTemplates));
  for (const [name, text] of Object.entries(templates)) {
    const file = `${TEMPLATES_DIR}/${name}`;
    problems.push(...actionProblems(text, file));
    for (const include of includedTemplates(text)) {
      if (!defined.has(include)) problems.push(`${file}: includes undefined template "${include}"`);
    }
    const switchPath = SWITCHED[name];
    if (switchPath !== undefined && !new RegExp(`^\\{\\{-?\\s*if\\s+\\.Values\\.${switchPath.replaceAll('.', '\\.')}\\s*-?\\}\\}`).test(text)) {
      problems.push(`${file}: must be wrapped in {{- if .Values.${switchPath} }}`);
    }
    if (!name.endsWith('.yaml')) continue;
    const { documents, problems: yamlProblems } = strippedDocuments(text, file);
    problems.push(...yamlProblems);
    const kinds = documents.map((doc) => (isObject(doc) ? `${String(doc['apiVersion'])}/${String(doc['kind'])}` : 'not a mapping'));
    const expected = MANIFESTS[name];
    if (expected === undefined) problems.push(`${file}: unexpected template`);
    else if (kinds.join(',') !== expected.join(',')) problems.push(`${file}: renders ${kinds.join(', ') || 'nothing'}, expected ${expected.join(', ')}`);
  }
  return problems;
}

/** What the pods need beyond well-formed YAML: probes, hardening, the config file, scaling. */
function deploymentProblems(values: unknown, templates: Readonly<Record<string, string>>): string[] {
  const deployment = templates['deployment.yaml'];
  if (deployment === undefined || !isObject(values)) return [];
  const file = `${TEMPLATES_DIR}/deployment.yaml`;
  const problems: string[] = [];
  const doc = strippedDocuments(deployment, file).documents[0];
  const pod = dig(doc, 'spec', 'template');
  const container = dig(pod, 'spec', 'containers', 0);
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  expect(dig(container, 'livenessProbe', 'httpGet', 'path') === '/-/healthy', `${file}: livenessProbe must GET /-/healthy`);
  expect(dig(container, 'readinessProbe', 'httpGet', 'path') === '/-/ready', `${file}: readinessProbe must GET /-/ready`);
  expect(dig(container, 'ports', 0, 'containerPort') === GROUPER_PORT, `${file}: container must listen on ${GROUPER_PORT}`);
  const args = dig(container, 'args');
  expect(Array.isArray(args) && args.includes(`--config.file=${CONFIG_FILE_PATH}`), `${file}: args must pass --config.file=${CONFIG_FILE_PATH}`);
  const mounts = dig(container, 'volumeMounts');
  expect(Array.isArray(mounts) && mounts.some((m) => isObject(m) && m['mountPath'] === posix.dirname(CONFIG_FILE_PATH)), `${file}: the ConfigMap must be mounted at ${posix.dirname(CONFIG_FILE_PATH)}`);
  expect(isObject(dig(pod, 'metadata', 'annotations')) && Object.hasOwn(dig(pod, 'metadata', 'annotations') as object, 'checksum/config'), `${file}: pod template needs a checksum/config annotation`);
  expect(/\{\{-?\s*if not \.Values\.autoscaling\.enabled\s*\}\}\s*replicas:/.test(deployment), `${file}: replicas must be left to the HPA when autoscaling.enabled`);
  const usedHere = valuePathsUsed(deployment);
  for (const path of ['securityContext', 'podSecurityContext', 'resources', 'redis.existingSecret']) {
    expect(usedHere.includes(path), `${file}: does not use .Values.${path}`);
  }
  expect(/name: GROUPER_STORAGE_REDIS_URL\s+valueFrom:\s+secretKeyRef:/.test(deployment), `${file}: GROUPER_STORAGE_REDIS_URL must come from a Secret`);

  const container_ = values['securityContext'];
  expect(dig(container_, 'runAsNonRoot') === true, 'values.yaml: securityContext.runAsNonRoot must be true');
  expect(dig(container_, 'readOnlyRootFilesystem') === true, 'values.yaml: securityContext.readOnlyRootFilesystem must be true');
  expect(dig(container_, 'allowPrivilegeEscalation') === false, 'values.yaml: securityContext.allowPrivilegeEscalation must be false');
  const drop = dig(container_, 'capabilities', 'drop');
  expect(Array.isArray(drop) && drop.includes('ALL'), 'values.yaml: securityContext.capabilities.drop must include ALL');
  const runAsUser = dig(values['podSecurityContext'], 'runAsUser');
  expect(typeof runAsUser === 'number' && runAsUser > 0, 'values.yaml: podSecurityContext.runAsUser must be a non-root UID');
  expect(isObject(values['resources']) && Object.keys(values['resources']).length > 0, 'values.yaml: resources must be set');

  const autoscaling = values['autoscaling'];
  expect(dig(autoscaling, 'targetCPUUtilizationPercentage') === 70, 'values.yaml: autoscaling must target 70% CPU by default');
  expect(dig(autoscaling, 'minReplicas') === 2 && dig(autoscaling, 'maxReplicas') === 10, 'values.yaml: autoscaling must default to 2..10 replicas');
  expect(Array.isArray(dig(autoscaling, 'metrics')), 'values.yaml: autoscaling.metrics must be a list of extra metrics');
  expect(dig(values['redis'], 'bundled', 'enabled') === false, 'values.yaml: the bundled Redis must be off by default');

  const notes = templates['NOTES.txt'] ?? '';
  expect(/grouper\.redisConfigured/.test(notes) && /\.Values\.replicaCount/.test(notes) && /WARNING/.test(notes), `${TEMPLATES_DIR}/NOTES.txt: must warn when replicas > 1 run without Redis`);
  const configMap = templates['configmap.yaml'] ?? '';
  expect(configMap.includes(`${posix.basename(CONFIG_FILE_PATH)}: |`) && valuePathsUsed(configMap).includes('config'), `${TEMPLATES_DIR}/configmap.yaml: must hold ${posix.basename(CONFIG_FILE_PATH)} from .Values.config`);
  return problems;
}

function dig(value: unknown, ...keys: (string | number)[]): unknown {
  let node = value;
  for (const key of keys) {
    if (typeof key === 'number' ? !Array.isArray(node) : !isObject(node)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
