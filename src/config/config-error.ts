/** Where in a config file something was found: the file, the YAML path and, when known, the line. */
export interface ConfigLocation {
  readonly file: string;
  /** e.g. `route.routes[1].group_wait`; empty for the file as a whole. */
  readonly path: string;
  /** 1-based; absent when the YAML position is unknown. */
  readonly line?: number;
}

/** `<file>:<line>: <path>: <text>`, leaving out the parts that are unknown. */
export function describeAt(at: ConfigLocation, text: string): string {
  const where = at.line === undefined ? at.file : `${at.file}:${at.line}`;
  return at.path === '' ? `${where}: ${text}` : `${where}: ${at.path}: ${text}`;
}

/** alertmanager.yml cannot be used as written. */
export class ConfigError extends Error implements ConfigLocation {
  readonly file: string;
  readonly path: string;
  readonly line?: number;
  /** What is wrong, without the location. */
  readonly problem: string;

  constructor(at: ConfigLocation, problem: string) {
    super(describeAt(at, problem));
    this.name = 'ConfigError';
    this.file = at.file;
    this.path = at.path;
    if (at.line !== undefined) this.line = at.line;
    this.problem = problem;
  }
}
