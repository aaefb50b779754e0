import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LatencySummary } from './stats.ts';

export interface SystemResult {
  readonly system: string;
  readonly alerts: number;
  readonly requests: number;
  readonly elapsedMs: number;
  readonly alertsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly errors: number;
  readonly firstError?: string;
  readonly peakRssBytes?: number;
  /**
   * Cores kept busy on average during the measured phase: `helpers` are servers the system uses
   * (Redis), `other` is the rest of the machine (other processes disturb the figures).
   */
  readonly cpuCores: {
    readonly server?: number;
    readonly helpers?: number;
    readonly loadGenerator: number;
    readonly machine: number;
    readonly other?: number;
  };
  /** Requests the webhook sink got during the measured phase: must be 0 for an ingest-only figure. */
  readonly notificationsDuringIngest: number;
}

export interface SystemFailure {
  readonly system: string;
  readonly error: string;
}

export interface Ratio {
  readonly system: string;
  readonly baseline: string;
  /** system alerts/s ÷ baseline alerts/s: higher is better. */
  readonly throughput: number;
  /** system p99 ÷ baseline p99: lower is better. */
  readonly p99Latency: number;
}

/** The issues' targets, as throughput multiples of the baseline's: 2× in memory, at least equal on Redis. */
const TARGET_RATIOS: Readonly<Record<string, number>> = { grouper: 2, 'grouper-redis': 1 };

export function ratiosTo(baseline: string, results: readonly SystemResult[]): Ratio[] {
  const base = results.find((result) => result.system === baseline);
  if (!base) return [];
  return results
    .filter((result) => result !== base)
    .map((result) => ({
      system: result.system,
      baseline,
      throughput: result.alertsPerSecond / base.alertsPerSecond,
      p99Latency: result.latencyMs.p99 / base.latencyMs.p99,
    }));
}

const COLUMNS: readonly [string, (result: SystemResult) => string][] = [
  ['system', (r) => r.system],
  ['alerts/s', (r) => r.alertsPerSecond.toFixed(0)],
  ['req/s', (r) => r.requestsPerSecond.toFixed(0)],
  ['p50 ms', (r) => r.latencyMs.p50.toFixed(1)],
  ['p99 ms', (r) => r.latencyMs.p99.toFixed(1)],
  ['max ms', (r) => r.latencyMs.max.toFixed(1)],
  ['errors', (r) => String(r.errors)],
  ['peak RSS MB', (r) => (r.peakRssBytes === undefined ? '?' : (r.peakRssBytes / 2 ** 20).toFixed(0))],
  ['server CPU', (r) => (r.cpuCores.server === undefined ? '?' : r.cpuCores.server.toFixed(2))],
  ['helper CPU', (r) => (r.cpuCores.helpers === undefined ? '-' : r.cpuCores.helpers.toFixed(2))],
  ['loadgen CPU', (r) => r.cpuCores.loadGenerator.toFixed(2)],
  ['other CPU', (r) => (r.cpuCores.other === undefined ? '?' : r.cpuCores.other.toFixed(2))],
];

export function formatTable(results: readonly SystemResult[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...results.map((result) => COLUMNS.map(([, cell]) => cell(result)))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function formatRatio(ratio: Ratio): string {
  const target = TARGET_RATIOS[ratio.system];
  const verdict = target === undefined ? '' : ` (${ratio.throughput >= target ? 'meets' : 'misses'} the ≥ ${target}× target)`;
  return `${ratio.system} / ${ratio.baseline}: ${ratio.throughput.toFixed(2)}× alerts/s${verdict}, p99 latency ${ratio.p99Latency.toFixed(2)}× (lower is better)`;
}

/** Writes the report as `ingest-<timestamp>.json` under `dir` and returns its path. */
export async function writeReport(dir: string, startedAt: Date, report: object): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
