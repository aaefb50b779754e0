import type { Alert } from '../core/alert.ts';
import type { GroupHeader } from '../core/group.ts';
import { groupId, groupKey, groupLabels } from '../core/group-key.ts';
import { newIncarnation, wakeForChange } from '../core/group-timing.ts';
import { mergeAlerts } from '../core/merge-alerts.ts';
import { matchRoutes, type Route } from '../core/route.ts';
import type { AlertWrite, Store } from '../store/store.ts';
import type { IngestMetrics } from '../telemetry/metrics.ts';
import type { Runtime } from './runtime.ts';

/** Takes normalized alerts from the API and files them into their groups. */
export interface AlertIngest {
  ingest(alerts: readonly Alert[], now: number): Promise<void>;
}

export class IngestConflictError extends Error {
  readonly code = 'GROUPER_INGEST_CONFLICT';
  constructor(slots: number) {
    super(`${slots} alert writes kept conflicting with concurrent updates; retry the request`);
  }
}

/** Every update of one alert in one group within a batch, applied in arrival order. */
interface SlotUpdate {
  readonly header: GroupHeader;
  readonly route: Route;
  readonly incoming: Alert[];
}

const MAX_ATTEMPTS = 8;
const ID_CACHE_SIZE = 100_000;

export class Dispatcher implements AlertIngest {
  readonly #store: Store;
  readonly #runtime: () => Runtime;
  readonly #onWake: (at: number) => void;
  readonly #metrics: IngestMetrics;
  /** Group keys repeat with every re-post; hashing them each time is a visible cost. */
  readonly #ids = new Map<string, Map<string, string>>();
  #cachedIds = 0;

  constructor(deps: {
    store: Store;
    runtime: () => Runtime;
    onWake: (at: number) => void;
    metrics: IngestMetrics;
  }) {
    this.#store = deps.store;
    this.#runtime = deps.runtime;
    this.#onWake = deps.onWake;
    this.#metrics = deps.metrics;
  }

  async ingest(alerts: readonly Alert[], now: number): Promise<void> {
    const started = performance.now();
    let pending = this.#slotUpdates(alerts);
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 0) this.#metrics.ingestConflicts(pending.length);
      pending = await this.#apply(pending, now);
    }
    if (pending.length > 0) throw new IngestConflictError(pending.length);
    this.#metrics.ingested(alerts.length, (performance.now() - started) / 1000);
  }

  #groupId(receiver: string, key: string): string {
    let ids = this.#ids.get(receiver);
    if (ids === undefined) this.#ids.set(receiver, (ids = new Map()));
    let id = ids.get(key);
    if (id === undefined) {
      if (this.#cachedIds >= ID_CACHE_SIZE) {
        this.#ids.clear();
        this.#cachedIds = 0;
        return this.#groupId(receiver, key);
      }
      id = groupId(receiver, key);
      ids.set(key, id);
      this.#cachedIds++;
    }
    return id;
  }

  #slotUpdates(alerts: readonly Alert[]): SlotUpdate[] {
    const root = this.#runtime().root;
    const bySlot = new Map<string, SlotUpdate>();
    for (const alert of alerts) {
      for (const route of matchRoutes(root, alert.labels)) {
        const labels = groupLabels(route, alert.labels);
        const key = groupKey(route, labels);
        const id = this.#groupId(route.receiver, key);
        const slot = `${id}/${alert.fingerprint}`;
        const update = bySlot.get(slot);
        if (update) update.incoming.push(alert);
        else {
          const header = { id, key, routeId: route.id, receiver: route.receiver, labels };
          bySlot.set(slot, { header, route, incoming: [alert] });
        }
      }
    }
    return [...bySlot.values()];
  }

  /** One read and one compare-and-set write for the batch; returns the updates that lost a race. */
  async #apply(updates: readonly SlotUpdate[], now: number): Promise<SlotUpdate[]> {
    const states = await this.#store.readSlots(
      updates.map((u) => ({ groupId: u.header.id, fingerprint: u.incoming[0].fingerprint })),
    );
    let earliestWake = Infinity;
    const writes = updates.map((update, i): AlertWrite => {
      const { alert: stored, group } = states[i];
      let merged = stored;
      for (const incoming of update.incoming) merged = mergeAlerts(merged, incoming, now);
      const alert = merged as Alert;
      const create = group ? undefined : newIncarnation(update.route, alert, now);
      const wakeAt = group
        ? wakeForChange(stored, alert, now, group, update.route.groupInterval)
        : undefined;
      earliestWake = Math.min(earliestWake, create?.origin ?? Infinity, wakeAt ?? Infinity);
      return {
        group: update.header,
        alert,
        expected: { alertUpdatedAt: stored?.updatedAt, groupCreatedAt: group?.createdAt },
        create,
        wakeAt,
      };
    });
    const applied = await this.#store.writeAlerts(writes);
    if (earliestWake !== Infinity) this.#onWake(earliestWake);
    return updates.filter((_, i) => !applied[i]);
  }
}
