import { isResolved } from '../core/alert.ts';
import type { StoreStats } from '../telemetry/metrics.ts';
import type { Store } from './store.ts';

const PAGE = 500;

/**
 * Counts groups and distinct alerts by paging through every group. An alert held by several
 * groups counts once: as firing if any copy is firing at `now`, else as resolved.
 */
export async function storeStats(store: Store, now: number): Promise<StoreStats> {
  const firing = new Set<string>();
  const all = new Set<string>();
  let groups = 0;
  let after: string | undefined;
  do {
    const page = await store.scanGroups(after, PAGE);
    groups += page.groups.length;
    for (const group of page.groups) {
      for (const alert of group.alerts) {
        all.add(alert.fingerprint);
        if (!isResolved(alert, now)) firing.add(alert.fingerprint);
      }
    }
    after = page.next;
  } while (after !== undefined);
  return { alertsFiring: firing.size, alertsResolved: all.size - firing.size, groups };
}
