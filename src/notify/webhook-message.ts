import type { Alert } from '../core/alert.ts';
import type { LabelSet } from '../core/label-set.ts';

/** One notification for one webhook, as the scheduler decided it. */
export interface WebhookMessage {
  /** The receiver's name as configured; the payload shows it regex-quoted. */
  readonly receiver: string;
  readonly groupKey: string;
  readonly groupLabels: LabelSet;
  /** What to send, in Alertmanager's order, before `max_alerts` truncation. */
  readonly alerts: readonly Alert[];
  /** The flush tick: an alert is resolved iff its endsAt <= at. */
  readonly at: number;
  readonly externalURL: string;
  /**
   * Alertmanager ≥ 0.32 sends the dedup reason as `notification_reason`; 0.25–0.31 do not.
   * Left out of the payload when undefined.
   */
  readonly notificationReason?: string;
}
