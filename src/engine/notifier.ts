import type { ReceiverConfig } from '../config/config.ts';
import type { Alert } from '../core/alert.ts';
import type { NotifyReason } from '../core/dedup.ts';
import type { GroupHeader } from '../core/group.ts';

/** One integration's notification for one flush, as decided by core. */
export interface NotifyRequest {
  readonly receiver: ReceiverConfig;
  readonly integration: number;
  readonly group: GroupHeader;
  /** In notification order, before any max_alerts truncation. */
  readonly alerts: readonly Alert[];
  readonly tick: number;
  readonly reason: NotifyReason;
}

/** Delivers one notification, retrying as Alertmanager does until the deadline; true on success. */
export interface Notifier {
  notify(request: NotifyRequest, deadline: number, signal: AbortSignal): Promise<boolean>;
}
