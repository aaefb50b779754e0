import type { Registry } from 'prom-client';

/** The shape prom-client's registry reads from a metric. */
interface Collected {
  readonly name: string;
  readonly help: string;
  readonly type: 'summary';
  readonly aggregator: 'sum';
  readonly values: readonly { metricName: string; labels: Record<string, string>; value: number }[];
}

/**
 * A summary with no quantiles — just `_sum` and `_count`, as Alertmanager's Go summaries are.
 * prom-client's Summary feeds a t-digest on every observation even without quantiles, which on
 * the ingest path (one observation per alert) costs more than the rest of the bookkeeping.
 */
export class SumCountSummary {
  readonly name: string;
  readonly help: string;
  readonly type = 'summary';
  #sum = 0;
  #count = 0;

  constructor(options: { name: string; help: string; registers: readonly Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** Records `count` observations whose values add up to `sum`. */
  observeMany(sum: number, count: number): void {
    this.#sum += sum;
    this.#count += count;
  }

  async get(): Promise<Collected> {
    return {
      name: this.name,
      help: this.help,
      type: 'summary',
      aggregator: 'sum',
      values: [
        { metricName: `${this.name}_sum`, labels: {}, value: this.#sum },
        { metricName: `${this.name}_count`, labels: {}, value: this.#count },
      ],
    };
  }

  reset(): void {
    this.#sum = 0;
    this.#count = 0;
  }
}
