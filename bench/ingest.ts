/**
 * Ingest benchmark: the same alert workload posted to each system in turn (never two at once),
 * each started fresh and warmed up; prints alerts/s, latency, errors and peak RSS per system and
 * the ratios to Alertmanager. `npm run bench -- --help` lists the options.
 */
import { arch, cpus, release } from 'node:os';
import { WebhookSink } from '../test/helpers/webhook-sink.ts';
import { measureSystem } from './lib/measure.ts';
import { optionsOrExit, parseOptions, USAGE } from './lib/options.ts';
import { formatRatio, formatTable, ratiosTo, writeReport, type SystemFailure, type SystemResult } from './lib/report.ts';
import { BASELINE, knownSystems, selectSystems } from './lib/systems.ts';
import { benchConfig } from './lib/workload.ts';

/** Cores other processes may use during a measurement before its figures are flagged. */
const OTHER_CPU_WARNING = 0.2;

const { options, systems } = optionsOrExit('bench', USAGE, () => {
  const parsed = parseOptions(process.argv.slice(2), process.env);
  return parsed && { options: parsed, systems: selectSystems(parsed.systems, knownSystems(parsed.redisUrl)) };
});
const startedAt = new Date();
const sink = await WebhookSink.start();
const config = benchConfig(`${sink.url}/bench`);

console.log(
  `ingest: ${options.alerts} alerts in ${options.groups} groups, batches of ${options.batch}, ` +
    `${options.concurrency} senders, ${options.warmupAlerts} warm-up alerts; ${cpus().length} cores, node ${process.version}`,
);
const results: SystemResult[] = [];
const failures: SystemFailure[] = [];
for (const system of systems) {
  process.stdout.write(`${system.name}: `);
  try {
    const result = await measureSystem(system, config, sink, options);
    results.push(result);
    console.log(`${result.alertsPerSecond.toFixed(0)} alerts/s in ${(result.elapsedMs / 1000).toFixed(2)} s, ${result.errors} errors`);
    if (result.firstError) console.log(`  first error: ${result.firstError}`);
    if ((result.cpuCores.other ?? 0) > OTHER_CPU_WARNING) {
      console.log(`  warning: other processes kept ${result.cpuCores.other?.toFixed(2)} cores busy: the figures are disturbed`);
    }
    if (result.notificationsDuringIngest > 0) console.log(`  warning: ${result.notificationsDuringIngest} notifications during ingest`);
  } catch (error) {
    failures.push({ system: system.name, error: (error as Error).message });
    console.log(`failed: ${(error as Error).message}`);
  }
}
await sink.close();

const ratios = ratiosTo(BASELINE, results);
console.log(`\n${formatTable(results)}\n`);
for (const ratio of ratios) console.log(formatRatio(ratio));
const file = await writeReport(options.resultsDir, startedAt, {
  startedAt: startedAt.toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, arch: arch(), kernel: release(), node: process.version },
  options,
  results,
  ratios,
  failures,
});
console.log(`\nreport: ${file}`);
const failed = failures.length > 0 || results.some((result) => result.errors > 0 || result.notificationsDuringIngest > 0);
process.exitCode = failed ? 1 : 0;
