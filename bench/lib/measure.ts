import type { WebhookSink } from '../../test/helpers/webhook-sink.ts';
import { postAll, senderPool } from './load-generator.ts';
import type { BenchOptions } from './options.ts';
import { listeningPid, machineBusyCpuMs, peakRssBytes, processCpuMs } from './process-stats.ts';
import type { SystemResult } from './report.ts';
import { summariseLatencies } from './stats.ts';
import type { BenchSystem } from './systems.ts';
import { serialisedBatches } from './workload.ts';

/**
 * Starts `system` fresh, warms it up with alerts of their own groups, then times the ingest of
 * the workload; the system is stopped (and cleaned up after) whatever happens.
 */
export async function measureSystem(system: BenchSystem, config: string, sink: WebhookSink, options: BenchOptions): Promise<SystemResult> {
  const now = Date.now();
  const alertsPerGroup = options.alerts / options.groups;
  const warmupGroups = Math.max(1, Math.round(options.warmupAlerts / alertsPerGroup));
  const warmup = serialisedBatches('Warmup', options.warmupAlerts, warmupGroups, options.batch, now);
  const bodies = serialisedBatches('Bench', options.alerts, options.groups, options.batch, now);

  const service = await system.start(config);
  const pool = senderPool(service.url, options.concurrency);
  try {
    const serverPid = listeningPid(Number(new URL(service.url).port));
    const helperPids = allFound(system.helperPorts.map(listeningPid));
    const warm = await postAll(pool, warmup, options.concurrency, options.phaseTimeoutMs);
    if (warm.errors > 0) throw new Error(`warm-up: ${warm.errors} failed requests, the first: ${warm.firstError}`);

    const notificationsBefore = sink.requests.length;
    const before = sampleCpu(serverPid, helperPids);
    const load = await postAll(pool, bodies, options.concurrency, options.phaseTimeoutMs);
    const after = sampleCpu(serverPid, helperPids);
    const cores = (cpuMs: number): number => cpuMs / load.elapsedMs;
    const used = (pick: (sample: CpuSample) => number | undefined): number | undefined => {
      const [start, end] = [pick(before), pick(after)];
      return start === undefined || end === undefined ? undefined : cores(end - start);
    };
    const server = used((sample) => sample.server);
    const helpers = used((sample) => sample.helpers);
    const loadGenerator = used((sample) => sample.loadGenerator) ?? 0;
    const machine = used((sample) => sample.machine) ?? 0;

    return {
      system: system.name,
      alerts: options.alerts,
      requests: load.requests,
      elapsedMs: load.elapsedMs,
      alertsPerSecond: (options.alerts * 1000) / load.elapsedMs,
      requestsPerSecond: (load.requests * 1000) / load.elapsedMs,
      latencyMs: summariseLatencies(load.latenciesMs),
      errors: load.errors,
      ...(load.firstError && { firstError: load.firstError }),
      ...(serverPid !== undefined && { peakRssBytes: peakRssBytes(serverPid) }),
      cpuCores: {
        ...(server !== undefined && { server }),
        ...(helpers !== undefined && helpers > 0 && { helpers }),
        loadGenerator,
        machine,
        ...(server !== undefined && helpers !== undefined && { other: Math.max(0, machine - server - helpers - loadGenerator) }),
      },
      notificationsDuringIngest: sink.requests.length - notificationsBefore,
    };
  } finally {
    await pool.close();
    await service.stop();
    await system.cleanup();
  }
}

/** CPU time used so far (ms); undefined where a process could not be found. */
interface CpuSample {
  readonly server?: number;
  readonly helpers?: number;
  readonly loadGenerator: number;
  readonly machine: number;
}

function sampleCpu(serverPid: number | undefined, helperPids: readonly number[] | undefined): CpuSample {
  const own = process.cpuUsage();
  return {
    ...(serverPid !== undefined && { server: processCpuMs(serverPid) }),
    ...(helperPids && { helpers: helperPids.reduce((total, pid) => total + processCpuMs(pid), 0) }),
    loadGenerator: (own.user + own.system) / 1000,
    machine: machineBusyCpuMs(),
  };
}

function allFound(pids: readonly (number | undefined)[]): number[] | undefined {
  return pids.every((pid) => pid !== undefined) ? (pids as number[]) : undefined;
}
