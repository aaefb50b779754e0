import { parse } from 'yaml';
import type { RepoFiles } from './repo-files.ts';

export type YamlRead = { readonly value: unknown; readonly problem?: undefined } | { readonly value?: undefined; readonly problem: string };

/** A repository YAML file parsed, or why it could not be. */
export function readYaml(repo: RepoFiles, path: string): YamlRead {
  if (!repo.exists(path)) return { problem: `${path}: missing` };
  try {
    return { value: parse(repo.read(path)) };
  } catch (error) {
    return { problem: `${path}: invalid YAML: ${(error as Error).message}` };
  }
}
