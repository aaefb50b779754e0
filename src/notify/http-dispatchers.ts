import { Agent, interceptors, type Dispatcher } from 'undici';
import type { HttpConfig } from '../config/config.ts';

/** Gives the undici dispatcher to send with under one http_config. */
export interface DispatcherSource {
  dispatcherFor(http: HttpConfig): Dispatcher;
}

/**
 * Go's http.Client follows 9 redirects and fails on the 10th. With this limit undici follows
 * the same 9 and hands back the 10th redirect response; the notifier turns it into the error.
 */
export const MAX_FOLLOWED_REDIRECTS = 9;

/**
 * One keep-alive Agent per distinct TLS setting, shared by every webhook that uses it, so
 * notifications reuse connections. Owns the agents: close() closes them.
 */
export class HttpDispatchers implements DispatcherSource {
  readonly #options: Omit<Agent.Options, 'connect'>;
  readonly #agents = new Map<boolean, Agent>();
  readonly #redirecting = new Map<boolean, Dispatcher>();

  /** `options` apply to every agent (pool sizes, keep-alive timeouts); TLS is set per config. */
  constructor(options: Omit<Agent.Options, 'connect'> = {}) {
    this.#options = options;
  }

  dispatcherFor(http: HttpConfig): Dispatcher {
    const insecure = http.tlsInsecureSkipVerify;
    let agent = this.#agents.get(insecure);
    if (agent === undefined) {
      agent = new Agent({
        ...this.#options,
        connect: { rejectUnauthorized: !insecure },
      });
      this.#agents.set(insecure, agent);
    }
    if (!http.followRedirects) return agent;
    let redirecting = this.#redirecting.get(insecure);
    if (redirecting === undefined) {
      redirecting = agent.compose(
        interceptors.redirect({ maxRedirections: MAX_FOLLOWED_REDIRECTS }),
      );
      this.#redirecting.set(insecure, redirecting);
    }
    return redirecting;
  }

  async close(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    this.#redirecting.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }
}
