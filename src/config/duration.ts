/** Prometheus duration syntax (model.ParseDuration / Duration.String), in milliseconds. */

const MS_PER = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
} as const;

type Unit = keyof typeof MS_PER;

/** Largest first: the only order Prometheus accepts, each unit at most once. */
const UNITS: readonly Unit[] = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** Go's time.Duration is int64 nanoseconds, so Prometheus rejects anything past it. */
const MAX_MS = Math.floor(Number(2n ** 63n - 1n) / 1e6);

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

export function parseDuration(text: string): number {
  if (text === '') throw new DurationError('empty duration');
  if (text === '0') return 0;
  const invalid = () => new DurationError(`not a valid duration ${JSON.stringify(text)}`);
  let total = 0;
  let nextUnit = 0;
  for (const part of text.matchAll(/(\d+)([a-z]+)|[^]/gy)) {
    const [, digits, unitText] = part;
    if (digits === undefined) throw invalid();
    const position = UNITS.indexOf(unitText as Unit);
    if (position < nextUnit) throw invalid();
    nextUnit = position + 1;
    total += Number(digits) * MS_PER[unitText as Unit];
  }
  if (nextUnit === 0) throw invalid();
  if (total > MAX_MS) throw new DurationError(`duration out of range ${JSON.stringify(text)}`);
  return total;
}

export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`not a duration in milliseconds: ${ms}`);
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of UNITS) {
    const size = MS_PER[unit];
    // Years and weeks only when exact: 90d reads better than 12w6d.
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
