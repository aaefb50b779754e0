import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/config/duration.ts';
import { OptionsError } from './options.ts';
import { warmupPeriods } from './soak-verdict.ts';

export interface SoakOptions {
  readonly quick: boolean;
  /** Length of the measured run; every phase, start-up and clean-up included, ends within it plus a margin. */
  readonly durationMs: number;
  readonly alerts: number;
  readonly groups: number;
  /** How often every active alert is re-posted (Prometheus's evaluation interval). */
  readonly periodMs: number;
  /** Periods the run lasts: one report line each. */
  readonly periods: number;
  /** Rounds for which a resolved alert is posted again. */
  readonly resendPeriods: number;
  /** The first periods, left out of the memory verdict. */
  readonly warmupPeriods: number;
}

export const SOAK_USAGE = `Usage: npx tsx bench/soak.ts [flags]
  Redis store, 2 Grouper replicas; every period re-posts every active alert in batches of 64
  (endsAt = now + 4 periods), 1% of them resolved and replaced by new ones (the resolved ones
  re-sent for 15 periods, as Prometheus does; --quick: 3).
  --minutes=N     length of the run (30; --quick: 3)
  --alerts=N      active alerts (100000; --quick: 10000)
  --groups=N      groups they are spread over (10000; --quick: 1000)
  --period=D      re-post period, seconds or a duration like 1m (60s; --quick: 15s); group_wait,
                  group_interval and repeat_interval are 1/2, 1 and 5 periods
  --quick         CI mode: the smaller defaults above
  Exits non-zero when a request or a flush failed, a notification came twice, a resolved alert
  was never notified, or memory grew after warm-up.
`;

/**
 * Prometheus re-sends a resolved alert at every resend (1m by default) until 15 minutes after it
 * resolved (resolvedRetention), with its original endsAt: 15 periods of a minute. The quick run
 * re-sends for 3, so that the stored state is steady within its warm-up.
 */
const FULL = { minutes: 30, alerts: 100_000, groups: 10_000, periodMs: 60_000, resendPeriods: 15 };
const QUICK = { minutes: 3, alerts: 10_000, groups: 1_000, periodMs: 15_000, resendPeriods: 3 };
/**
 * A resolved alert is stored again at each re-send, and kept for merging (retired) for one more
 * period after the last (soak.ts sets --alerts.gc-interval to the period): the retired alerts,
 * and so Redis's keys and memory, reach their steady count after this many periods.
 */
const steadyAfter = (resendPeriods: number): number => resendPeriods + 2;
/** The verdict compares two windows of at least one period after warm-up. */
const MIN_MEASURED_PERIODS = 2;

/** Returns undefined when help was asked for. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        minutes: { type: 'string' },
        alerts: { type: 'string' },
        groups: { type: 'string' },
        period: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  if (values.help) return undefined;
  const quick = values.quick === true;
  const defaults = quick ? QUICK : FULL;
  const integer = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new OptionsError(`--${name}=${text}: expected an integer >= 1`);
    return value;
  };
  const alerts = integer('alerts', values.alerts, defaults.alerts);
  const groups = integer('groups', values.groups, Math.min(defaults.groups, alerts));
  if (groups > alerts) throw new OptionsError(`--groups=${groups} is more than --alerts=${alerts}`);
  const minutes = values.minutes === undefined ? defaults.minutes : Number(values.minutes);
  if (!(minutes > 0)) throw new OptionsError(`--minutes=${values.minutes}: expected a positive number`);
  const periodMs = values.period === undefined ? defaults.periodMs : parsePeriod(values.period);
  const periods = Math.floor((minutes * 60_000) / periodMs);
  const { resendPeriods } = defaults;
  const warmup = warmupPeriods(periods, steadyAfter(resendPeriods));
  if (periods < warmup + MIN_MEASURED_PERIODS) {
    throw new OptionsError(
      `--minutes=${minutes} holds ${periods} periods of ${periodMs / 1000} s: at least ${warmup + MIN_MEASURED_PERIODS} are needed ` +
        `(${warmup} of warm-up, until the ${resendPeriods} periods of re-sent resolved alerts and one of their retired copies are stored)`,
    );
  }
  return { quick, durationMs: periods * periodMs, alerts, groups, periodMs, periods, resendPeriods, warmupPeriods: warmup };
}

function parsePeriod(text: string): number {
  let ms: number;
  try {
    ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  } catch (error) {
    throw new OptionsError(`--period=${text}: ${(error as Error).message}`);
  }
  // group_wait is half a period and Alertmanager's durations are whole milliseconds.
  if (ms < 2_000 || ms % 2 !== 0) throw new OptionsError(`--period=${text}: expected at least 2 s and an even number of milliseconds`);
  return ms;
}
