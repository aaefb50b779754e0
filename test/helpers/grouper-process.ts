import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from './service-process.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GrouperOptions {
  /** alertmanager.yml text, written to a temporary file passed as --config.file. */
  readonly config: string;
  readonly externalUrl?: string;
  /** More flags, e.g. `--storage.redis.url=...`. */
  readonly args?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  readonly readyTimeoutMs?: number;
}

export interface GrouperProcess extends ServiceProcess {
  /** The config file it was started with (rewrite it to test reloads). */
  readonly configFile: string;
}

/** Starts `src/server.ts` under tsx on a free loopback port and waits for /-/ready. */
export async function startGrouper(options: GrouperOptions): Promise<GrouperProcess> {
  let configFile = '';
  const service = await ServiceProcess.startOnFreePort(async (port) => {
    const dir = await mkdtemp(join(tmpdir(), 'grouper-test-'));
    configFile = join(dir, 'alertmanager.yml');
    await writeFile(configFile, options.config);
    return {
      name: 'grouper',
      command: process.execPath,
      args: [
        // As `npm start`, the npm bin and the image run it (README, "Running it").
        '--max-semi-space-size=32',
        '--import',
        'tsx',
        join(REPO_ROOT, 'src', 'server.ts'),
        `--config.file=${configFile}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=${options.externalUrl ?? 'http://conformance.test'}`,
        `--log.level=${options.logLevel ?? 'warn'}`,
        ...(options.args ?? []),
      ],
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      url: `http://127.0.0.1:${port}`,
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      stopTimeoutMs: 5_000,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
  return Object.assign(service, { configFile });
}
