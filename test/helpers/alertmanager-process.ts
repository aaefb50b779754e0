import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from './service-process.ts';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** alertmanager.yml text. */
  readonly config: string;
  readonly externalUrl?: string;
  readonly readyTimeoutMs?: number;
}

/** Starts the real Alertmanager on a free loopback port, without clustering, with its own temporary storage. */
export function startAlertmanager(options: AlertmanagerOptions): Promise<ServiceProcess> {
  return ServiceProcess.startOnFreePort(async (port) => {
    const dir = await mkdtemp(join(tmpdir(), 'am-conformance-'));
    const configFile = join(dir, 'am.yml');
    await writeFile(configFile, options.config);
    return {
      name: 'alertmanager',
      command: ALERTMANAGER_BIN,
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        `--web.external-url=${options.externalUrl ?? 'http://conformance.test'}`,
        '--log.level=warn',
      ],
      url: `http://127.0.0.1:${port}`,
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      stopTimeoutMs: 5_000,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
}
