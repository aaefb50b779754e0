import { parseAllDocuments } from 'yaml';

const ACTION = /\{\{-?([\s\S]*?)-?\}\}/g;
const OPENERS = new Set(['if', 'with', 'range', 'define', 'block']);

/** Unbalanced `{{`/`}}` and block actions (if/with/range/define/block against end). */
export function actionProblems(text: string, file: string): string[] {
  const opens = text.split('{{').length - 1;
  const closes = text.split('}}').length - 1;
  if (opens !== closes) return [`${file}: ${opens} "{{" against ${closes} "}}"`];
  let depth = 0;
  for (const body of actionBodies(text)) {
    const word = /^[\w/*]+/.exec(body)?.[0];
    if (word !== undefined && OPENERS.has(word)) depth++;
    if (word === 'end' && --depth < 0) return [`${file}: {{ end }} without an open block`];
  }
  return depth === 0 ? [] : [`${file}: ${depth} block(s) without {{ end }}`];
}

/** Names passed to `include` or `template`. */
export function includedTemplates(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)].map((match) => match[1]!))];
}

export function definedTemplates(text: string): string[] {
  return [...text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((match) => match[1]!);
}

/**
 * A template's YAML with its actions taken out: lines holding only actions are dropped and an
 * action inside a line becomes the scalar `x`. Blocks fed by toYaml become empty values.
 */
export function stripActions(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.replace(ACTION, '').trim() !== '' || line.trim() === '')
    .map((line) => line.replace(ACTION, 'x'))
    .join('\n');
}

/** The documents of a stripped template, or the YAML errors found in it. */
export function strippedDocuments(text: string, file: string): { documents: unknown[]; problems: string[] } {
  const documents = parseAllDocuments(stripActions(text), { uniqueKeys: false });
  const problems = documents.flatMap((document) => document.errors.map((error) => `${file}: ${error.message}`));
  const values = documents.map((document) => document.toJS() as unknown).filter((value) => value !== null && value !== undefined);
  return { documents: values, problems };
}

function actionBodies(text: string): string[] {
  return [...text.matchAll(ACTION)].map((match) => match[1]!.trim()).filter((body) => !body.startsWith('/*'));
}
