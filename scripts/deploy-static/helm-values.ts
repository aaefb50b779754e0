import { isObject } from './alertmanager-config.ts';

/** A JSON Schema node as far as these checks read it. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

/** Dotted paths of every `.Values.a.b` reference in a template, sorted and without repeats. */
export function valuePathsUsed(template: string): string[] {
  const paths = [...template.matchAll(/\.Values((?:\.\w+)+)/g)].map((match) => match[1]!.slice(1));
  return [...new Set(paths)].sort();
}

export function hasValuePath(values: unknown, path: string): boolean {
  let node = values;
  for (const key of path.split('.')) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** The schema node that describes a values path, following `properties` and local `$ref`s. */
export function schemaAt(schema: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = resolve(schema, schema);
  for (const key of path.split('.')) {
    const child: SchemaNode | undefined = node?.properties?.[key];
    node = child === undefined ? undefined : resolve(schema, child);
  }
  return node;
}

/**
 * Values paths the schema does not describe. A schema node with `properties` must list every key
 * of the value under it, unless it says `additionalProperties: true` (a deliberately open map).
 */
export function valuesMissingFromSchema(values: unknown, schema: SchemaNode): string[] {
  return structuredEntries(values, schema).flatMap(({ path, node }) => (node === undefined ? [path] : []));
}

/** Properties of structured schema nodes that values.yaml does not set (so no default is visible). */
export function schemaMissingFromValues(values: unknown, schema: SchemaNode, helmReserved: readonly string[]): string[] {
  const missing: string[] = [];
  const visit = (value: unknown, node: SchemaNode, prefix: string): void => {
    if (!isStructured(node) || !isObject(value)) return;
    for (const [key, child] of Object.entries(node.properties!)) {
      const path = prefix + key;
      if (helmReserved.includes(path)) continue;
      if (!Object.hasOwn(value, key)) missing.push(path);
      else visit(value[key], resolve(schema, child), `${path}.`);
    }
  };
  visit(values, resolve(schema, schema), '');
  return missing;
}

/**
 * values.yaml settings no template reads: leaves of the structured part of the values (a scalar,
 * a list, or an open map) that no `.Values` reference reaches or contains.
 */
export function valuesNotUsed(values: unknown, schema: SchemaNode, usedPaths: readonly string[]): string[] {
  const leaves = structuredEntries(values, schema).filter(({ node, value }) => node !== undefined && !(isStructured(node) && isObject(value)));
  return leaves
    .map(({ path }) => path)
    .filter((path) => !usedPaths.some((used) => path === used || path.startsWith(`${used}.`)));
}

/** Helm's merge of user values over chart defaults: maps merge, anything else replaces, null deletes. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else merged[key] = mergeValues(base[key], value);
  }
  return merged;
}

interface Entry {
  readonly path: string;
  readonly value: unknown;
  /** undefined when the schema does not describe this path. */
  readonly node: SchemaNode | undefined;
}

/** Every values path down to the first node that is not a structured schema object. */
function structuredEntries(values: unknown, schema: SchemaNode): Entry[] {
  const entries: Entry[] = [];
  const visit = (value: unknown, node: SchemaNode, prefix: string): void => {
    if (!isStructured(node) || !isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childSchema = node.properties![key];
      const resolved = childSchema === undefined ? undefined : resolve(schema, childSchema);
      entries.push({ path: prefix + key, value: child, node: resolved });
      if (resolved !== undefined) visit(child, resolved, `${prefix}${key}.`);
    }
  };
  visit(values, resolve(schema, schema), '');
  return entries;
}

function isStructured(node: SchemaNode): boolean {
  return node.properties !== undefined && node.additionalProperties !== true;
}

function resolve(root: SchemaNode, node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  if (ref === undefined) return node;
  const name = /^#\/definitions\/(.+)$/.exec(ref)?.[1];
  const target = name === undefined ? undefined : root.definitions?.[name];
  if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return resolve(root, target);
}
