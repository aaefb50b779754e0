import { CONFIG_FILE_PATH, GROUPER_PORT, alertmanagerConfigProblems } from './alertmanager-config.ts';
import { copyDestination, copySources, isNumericNonRootUser, parseDockerfile, stageUser } from './dockerfile.ts';
import type { Instruction, Stage } from './dockerfile.ts';
import { dockerIgnoreMatcher } from './dockerignore.ts';
import { readYaml } from './read-yaml.ts';
import type { RepoFiles } from './repo-files.ts';

const NODE_24 = /^node:24(?:[.-]|$)/;
const MUST_IGNORE = ['node_modules', '.git', 'dist', 'coverage', '.tmp'];

/** Problems with the Dockerfile and .dockerignore; empty when both are as the deployment needs. */
export function checkDockerfile(repo: RepoFiles): string[] {
  let stages: Stage[];
  try {
    stages = parseDockerfile(repo.read('Dockerfile'));
  } catch (error) {
    return [(error as Error).message];
  }
  const ignored = dockerIgnoreMatcher(repo.exists('.dockerignore') ? repo.read('.dockerignore') : '');
  const problems: string[] = [];
  const build = stages[0]!;
  const final = stages[stages.length - 1]!;
  if (stages.length < 2) problems.push('Dockerfile: needs a build stage and a runtime stage');

  stages.forEach((stage, index) => {
    if (!NODE_24.test(stage.image)) problems.push(`Dockerfile: stage ${stage.name ?? index} is based on ${stage.image}, not Node 24`);
    for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      problems.push(...copyProblems(copy, stages.slice(0, index), repo, ignored));
    }
  });

  if (!runs(build).some((run) => /\bnpm ci\b/.test(run))) problems.push('Dockerfile: the build stage does not run npm ci');
  if (!runs(build).some((run) => /\bnpm run build\b/.test(run))) problems.push('Dockerfile: the build stage does not run npm run build');
  const installs = runs(final).filter((run) => /\bnpm (ci|install|i)\b/.test(run));
  if (installs.length === 0 || !installs.every((run) => /--omit=dev\b/.test(run))) {
    problems.push('Dockerfile: the runtime stage must install production dependencies only (npm ci --omit=dev)');
  }
  const fromBuild = (i: Instruction) => i.flags['from'] !== undefined && (i.flags['from'] === build.name || i.flags['from'] === '0');
  if (!final.instructions.some((i) => i.keyword === 'COPY' && fromBuild(i) && /\bdist\b/.test(i.rest))) {
    problems.push('Dockerfile: the runtime stage does not copy dist/ from the build stage');
  }

  const user = stageUser(final);
  if (!isNumericNonRootUser(user)) problems.push(`Dockerfile: the runtime stage must end with a numeric non-root USER, has ${user ?? 'none (root)'}`);
  if (!last(final, 'EXPOSE')?.rest.split(/\s+/).includes(String(GROUPER_PORT))) problems.push(`Dockerfile: does not EXPOSE ${GROUPER_PORT}`);

  const healthcheck = last(final, 'HEALTHCHECK');
  if (healthcheck?.exec?.[0] !== 'node' || !healthcheck.exec.some((word) => word.includes('/-/healthy'))) {
    problems.push('Dockerfile: needs HEALTHCHECK CMD ["node", ...] requesting /-/healthy');
  }
  const entrypoint = last(final, 'ENTRYPOINT')?.exec;
  if (entrypoint?.join(' ') !== 'node --max-semi-space-size=32 dist/server.js') {
    problems.push('Dockerfile: ENTRYPOINT must be ["node", "--max-semi-space-size=32", "dist/server.js"]');
  }
  if (!last(final, 'CMD')?.exec?.includes(`--config.file=${CONFIG_FILE_PATH}`)) {
    problems.push(`Dockerfile: CMD must pass --config.file=${CONFIG_FILE_PATH}`);
  }
  problems.push(...defaultConfigProblems(final, repo));

  for (const path of MUST_IGNORE) {
    if (!ignored(path)) problems.push(`.dockerignore: does not exclude ${path}`);
  }
  return problems;
}

function copyProblems(copy: Instruction, earlier: readonly Stage[], repo: RepoFiles, ignored: (path: string) => boolean): string[] {
  const from = copy.flags['from'];
  if (from !== undefined) {
    const known = earlier.some((stage, index) => stage.name === from || String(index) === from);
    return known ? [] : [`Dockerfile line ${copy.line}: COPY --from=${from} names no earlier stage`];
  }
  return copySources(copy).flatMap((source) => {
    const path = source.replace(/^\.\//, '');
    if (!repo.exists(path)) return [`Dockerfile line ${copy.line}: ${copy.keyword} source ${source} does not exist`];
    if (ignored(path)) return [`Dockerfile line ${copy.line}: ${copy.keyword} source ${source} is excluded by .dockerignore`];
    return [];
  });
}

function defaultConfigProblems(final: Stage, repo: RepoFiles): string[] {
  const copy = final.instructions.find((i) => i.keyword === 'COPY' && i.flags['from'] === undefined && copyDestination(i) === CONFIG_FILE_PATH);
  if (copy === undefined) return [`Dockerfile: the runtime stage does not COPY a default config to ${CONFIG_FILE_PATH}`];
  const source = copySources(copy)[0]!;
  if (!repo.exists(source)) return []; // reported with the other COPY sources
  const config = readYaml(repo, source);
  return config.problem !== undefined ? [config.problem] : alertmanagerConfigProblems(config.value, source);
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.rest);
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
