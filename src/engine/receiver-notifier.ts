import type { WebhookNotifier } from '../notify/webhook-notifier.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Notifier, NotifyRequest } from './notifier.ts';

/** Sends core's decisions through the receiver's webhook integrations. */
export class ReceiverNotifier implements Notifier {
  readonly #webhooks: WebhookNotifier;
  readonly #externalURL: string;
  readonly #log: Logger;

  constructor(deps: { webhooks: WebhookNotifier; externalURL: string; logger: Logger }) {
    this.#webhooks = deps.webhooks;
    this.#externalURL = deps.externalURL;
    this.#log = deps.logger;
  }

  async notify(request: NotifyRequest, deadline: number, signal: AbortSignal): Promise<boolean> {
    const { receiver, integration, group } = request;
    const result = await this.#webhooks.notify(
      receiver.webhookConfigs[integration],
      {
        receiver: receiver.name,
        groupKey: group.key,
        groupLabels: group.labels,
        alerts: request.alerts,
        at: request.tick,
        externalURL: this.#externalURL,
        notificationReason: request.reason,
      },
      { deadline, signal },
    );
    if (!result.ok) {
      this.#log.warn(
        { receiver: receiver.name, integration: `webhook/${integration}`, groupKey: group.key, code: result.code, attempts: result.attempts },
        result.error,
      );
    }
    return result.ok;
  }
}
