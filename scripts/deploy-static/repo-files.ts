import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Read access to the repository's files by repo-relative POSIX path, so checks can run on edited copies. */
export interface RepoFiles {
  exists(path: string): boolean;
  /** Throws when the file does not exist. */
  read(path: string): string;
  /** Names of the files directly inside a directory (empty when there is none). */
  list(dir: string): string[];
}

export function diskRepo(root: string): RepoFiles {
  return {
    exists: (path) => existsSync(join(root, path)),
    read: (path) => readFileSync(join(root, path), 'utf8'),
    list: (dir) => {
      const full = join(root, dir);
      if (!existsSync(full)) return [];
      return readdirSync(full).filter((name) => statSync(join(full, name)).isFile()).sort();
    },
  };
}

/** The base repository with some files replaced, added (a string) or deleted (null). */
export function withChanges(base: RepoFiles, changes: Readonly<Record<string, string | null>>): RepoFiles {
  const normalized = new Map(Object.entries(changes).map(([path, content]) => [posix.normalize(path), content]));
  const changed = (path: string) => normalized.get(posix.normalize(path));
  return {
    exists: (path) => {
      const content = changed(path);
      return content === undefined ? base.exists(path) : content !== null;
    },
    read: (path) => {
      const content = changed(path);
      if (content === null) throw new Error(`ENOENT: ${path} (deleted)`);
      return content ?? base.read(path);
    },
    list: (dir) => {
      const names = new Set(base.list(dir));
      for (const [path, content] of normalized) {
        if (posix.dirname(path) !== posix.normalize(dir)) continue;
        if (content === null) names.delete(posix.basename(path));
        else names.add(posix.basename(path));
      }
      return [...names].sort();
    },
  };
}
