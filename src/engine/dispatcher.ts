import type { Alert } from '../core/alert.ts';

/** Takes normalized alerts from the API and files them into their groups. */
export interface AlertIngest {
  ingest(alerts: readonly Alert[], now: number): Promise<void>;
}
