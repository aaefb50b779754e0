import { isResolved, type Alert } from '../core/alert.ts';
import type { LabelSet } from '../core/label-set.ts';
import { ZERO_TIME, encodeString, encodeStringMap, encodeTime } from './go-json.ts';
import type { WebhookMessage } from './webhook-message.ts';

/**
 * Alertmanager's webhook body (version 4), byte for byte as its Go encoder writes it, trailing
 * newline included. `maxAlerts` 0 means no limit. Throws RangeError for a time outside the
 * years 0–9999.
 */
export function buildWebhookPayload(message: WebhookMessage, maxAlerts: number): string {
  const alerts =
    maxAlerts > 0 && message.alerts.length > maxAlerts
      ? message.alerts.slice(0, maxAlerts)
      : message.alerts;
  const firing = alerts.some((alert) => !isResolved(alert, message.at));
  const reason =
    message.notificationReason === undefined
      ? ''
      : `,"notification_reason":${encodeString(message.notificationReason)}`;
  return (
    `{"receiver":${encodeString(quoteMeta(message.receiver))}` +
    `,"status":${firing ? '"firing"' : '"resolved"'}` +
    `,"alerts":[${alerts.map((alert) => encodeAlert(alert, message.at)).join(',')}]` +
    reason +
    `,"groupLabels":${encodeStringMap(message.groupLabels)}` +
    `,"commonLabels":${encodeStringMap(common(alerts.map((alert) => alert.labels)))}` +
    `,"commonAnnotations":${encodeStringMap(common(alerts.map((alert) => alert.annotations)))}` +
    `,"externalURL":${encodeString(message.externalURL)}` +
    `,"version":"4"` +
    `,"groupKey":${encodeString(message.groupKey)}` +
    `,"truncatedAlerts":${message.alerts.length - alerts.length}}\n`
  );
}

function encodeAlert(alert: Alert, at: number): string {
  const resolved = isResolved(alert, at);
  return (
    `{"status":${resolved ? '"resolved"' : '"firing"'}` +
    `,"labels":${encodeStringMap(alert.labels)}` +
    `,"annotations":${encodeStringMap(alert.annotations)}` +
    `,"startsAt":${encodeTime(alert.startsAt)}` +
    `,"endsAt":${resolved ? encodeTime(alert.endsAt) : ZERO_TIME}` +
    `,"generatorURL":${encodeString(alert.generatorURL)}` +
    `,"fingerprint":${encodeString(alert.fingerprint)}}`
  );
}

/** The pairs whose value is the same in every set; empty for no sets. */
function common(sets: readonly LabelSet[]): LabelSet {
  const shared: Record<string, string> = Object.create(null);
  if (sets.length === 0) return shared;
  for (const [name, value] of Object.entries(sets[0])) {
    if (sets.every((set) => Object.hasOwn(set, name) && set[name] === value)) shared[name] = value;
  }
  return shared;
}

/** Go's regexp.QuoteMeta. */
function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
