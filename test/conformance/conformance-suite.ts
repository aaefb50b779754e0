import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ALERTMANAGER_BIN } from '../helpers/alertmanager-process.ts';
import { STARTUP_TIMEOUT_MS, prepareScenario, verifyScenario, type CandidateKind, type PreparedScenario } from './harness.ts';
import { scenarios } from './scenarios.ts';

const STAGGER_MS = 170;
/**
 * Scenarios whose processes start at once. Started all together, forty processes took every
 * core for ~20 s, and a test file running beside this one starved: its Grouper missed its ready
 * timeout or fell behind its load. A few at a time take as long in all and leave it a share.
 */
const STARTING_AT_ONCE = 3;

export function candidateKind(value: string | undefined): CandidateKind {
  if (value === undefined || value === '' || value === 'grouper') return 'grouper';
  if (value === 'alertmanager') return 'alertmanager';
  throw new Error(`CONFORMANCE_CANDIDATE must be grouper or alertmanager, not ${value}`);
}

// On CI a missing Alertmanager is a failure, not a reason to skip.
const skip = existsSync(ALERTMANAGER_BIN) || process.env.CI ? false : `${ALERTMANAGER_BIN} is not installed`;

/** Every scenario, run on fresh processes of both systems; `grouperArgs` pick Grouper's store. */
export function conformanceSuite(title: string, candidate: CandidateKind, grouperArgs: readonly string[] = []): void {
  describe(`conformance: Alertmanager 0.25 vs ${candidate}${title}`, { concurrency: true, skip }, () => {
    // Every process starts before any scenario's clock does: a process starting up would steal
    // CPU from the scenarios already running and blur their timings. The clocks start staggered so
    // that the scenarios' ticks (mostly on whole seconds) do not all fall on the same instant.
    let prepared: PromiseSettledResult<PreparedScenario>[] = [];
    before(async () => {
      prepared = await settleAFewAtATime(scenarios, STARTING_AT_ONCE, (scenario) => prepareScenario(scenario, candidate, grouperArgs));
    }, { timeout: 2 * STARTUP_TIMEOUT_MS });
    after(async () => {
      await Promise.all(prepared.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
    });

    scenarios.forEach((scenario, i) => {
      it(scenario.name, { timeout: scenario.until + 30_000 }, async (t) => {
        const setup = prepared[i];
        if (setup.status === 'rejected') throw setup.reason;
        const run = await setup.value.run(i * STAGGER_MS);
        for (const system of [run.reference, run.candidate]) {
          t.diagnostic(`${system.label}: ${system.notifications.length} notification(s), attempts per path ${JSON.stringify(system.attempts)}`);
        }
        t.diagnostic(`latest POST left ${run.postLateness} ms late`);
        let report = verifyScenario(scenario, run, candidate);
        if (report !== '') {
          // Forty processes share two cores: a stall of the whole machine (Alertmanager late too)
          // can push one delivery past the tolerance. A second run on fresh processes, alone,
          // tells a stall from a difference, which fails again.
          t.diagnostic(`first run failed, running the scenario again on fresh processes:\n${report}`);
          const again = await prepareScenario(scenario, candidate, grouperArgs);
          try {
            report = verifyScenario(scenario, await again.run(0), candidate);
          } finally {
            await again.close();
          }
        }
        if (report !== '') assert.fail(report);
      });
    });
  });
}

/** Like Promise.allSettled over `items.map(start)`, with at most `atOnce` pending. */
async function settleAFewAtATime<T, R>(items: readonly T[], atOnce: number, start: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await start(items[i]).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  return results;
}
