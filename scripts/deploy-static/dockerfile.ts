/** A Dockerfile read into build stages, enough to check what it copies, runs and exposes. */

const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

export interface Instruction {
  readonly keyword: string;
  /** Leading `--name=value` options, e.g. COPY --from=build or HEALTHCHECK --interval=10s. */
  readonly flags: Readonly<Record<string, string>>;
  /** The rest of the instruction after the flags, continuations joined. */
  readonly rest: string;
  /** `rest` in exec (JSON array) form, when it is written that way. */
  readonly exec?: readonly string[];
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

export class DockerfileSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`Dockerfile line ${line}: ${message}`);
    this.name = 'DockerfileSyntaxError';
  }
}

export function parseDockerfile(text: string): Stage[] {
  const stages: { image: string; name?: string; instructions: Instruction[] }[] = [];
  for (const { text: source, line } of logicalLines(text)) {
    const instruction = parseInstruction(source, line);
    if (instruction.keyword === 'FROM') {
      const [image, as, name, ...extra] = instruction.rest.split(/\s+/);
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name)) || extra.length > 0) {
        throw new DockerfileSyntaxError(`malformed FROM "${instruction.rest}"`, line);
      }
      stages.push({ image, name, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instruction);
    } else if (instruction.keyword !== 'ARG') {
      throw new DockerfileSyntaxError(`${instruction.keyword} before the first FROM`, line);
    }
  }
  if (stages.length === 0) throw new DockerfileSyntaxError('no FROM instruction', 1);
  return stages;
}

/** Source paths of a COPY or ADD (everything but the destination). */
export function copySources(instruction: Instruction): readonly string[] {
  const words = instruction.exec ?? instruction.rest.split(/\s+/);
  if (words.length < 2) throw new DockerfileSyntaxError(`${instruction.keyword} needs a source and a destination`, instruction.line);
  return words.slice(0, -1);
}

export function copyDestination(instruction: Instruction): string {
  const words = instruction.exec ?? instruction.rest.split(/\s+/);
  return words[words.length - 1]!;
}

/** The user the stage ends with (the last USER), or undefined when it never sets one (root). */
export function stageUser(stage: Stage): string | undefined {
  return stage.instructions.filter((i) => i.keyword === 'USER').at(-1)?.rest;
}

/** Whether a USER value names a non-root user by number, as Kubernetes' runAsNonRoot needs. */
export function isNumericNonRootUser(user: string | undefined): boolean {
  const match = /^(\d+)(?::\d+)?$/.exec(user ?? '');
  return match !== null && Number(match[1]) !== 0;
}

function* logicalLines(text: string): Generator<{ text: string; line: number }> {
  let pending = '';
  let startLine = 0;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || trimmed === '') continue;
    if (pending === '') startLine = index + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    yield { text: (pending + trimmed).trim(), line: startLine };
    pending = '';
  }
  if (pending !== '') throw new DockerfileSyntaxError('continuation at end of file', startLine);
}

function parseInstruction(source: string, line: number): Instruction {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(source)!;
  const keyword = match[1]!.toUpperCase();
  if (!KEYWORDS.has(keyword)) throw new DockerfileSyntaxError(`unknown instruction "${match[1]}"`, line);
  let rest = match[2]!;
  const flags: Record<string, string> = {};
  for (let flag = /^--([\w-]+)=(\S*)\s*/.exec(rest); flag; flag = /^--([\w-]+)=(\S*)\s*/.exec(rest)) {
    flags[flag[1]!] = flag[2]!;
    rest = rest.slice(flag[0].length);
  }
  if (rest === '' && keyword !== 'HEALTHCHECK') throw new DockerfileSyntaxError(`${keyword} without arguments`, line);
  const command = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/i, '') : rest;
  return { keyword, flags, rest, exec: execForm(command, line), line };
}

/** Docker would silently fall back to shell form on a broken array; here that is an error. */
function execForm(text: string, line: number): readonly string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DockerfileSyntaxError(`invalid JSON array ${text}`, line);
  }
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) {
    throw new DockerfileSyntaxError(`exec form must be an array of strings: ${text}`, line);
  }
  return parsed;
}
