import type { Matcher } from '../core/matcher.ts';

/** alertmanager.yml after loading and validation. Durations are milliseconds. Immutable. */
export interface Config {
  /** Path it was read from (named in errors and logs). */
  readonly file: string;
  /** The YAML re-serialised with every secret replaced by `<secret>` (for /api/v2/status). */
  readonly original: string;
  readonly global: GlobalConfig;
  readonly route: RouteConfig;
  readonly receivers: readonly ReceiverConfig[];
  /** Things accepted but worth telling the operator about, each located like a ConfigError message. */
  readonly warnings: readonly string[];
}

export interface GlobalConfig {
  readonly resolveTimeout: number;
  readonly httpConfig: HttpConfig;
}

/** One node of the route tree as written; inheritance is applied by core/route.ts. */
export interface RouteConfig {
  readonly receiver?: string;
  /** undefined: inherit; []: no grouping labels; ['...']: group by all labels. */
  readonly groupBy?: readonly string[];
  readonly groupWait?: number;
  readonly groupInterval?: number;
  readonly repeatInterval?: number;
  /** `matchers`, `match` and `match_re` together, sorted as Alertmanager sorts them. */
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly routes: readonly RouteConfig[];
}

export interface ReceiverConfig {
  readonly name: string;
  readonly webhookConfigs: readonly WebhookConfig[];
}

export interface WebhookConfig {
  /** From `url`, or the contents of `url_file` (trimmed) read at load. */
  readonly url: string;
  readonly sendResolved: boolean;
  /** 0 = unlimited. */
  readonly maxAlerts: number;
  /** Per request; 0 = only the flush deadline limits it. */
  readonly timeout: number;
  readonly httpConfig: HttpConfig;
}

export interface HttpConfig {
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** `authorization` or legacy `bearer_token`: sent as `Authorization: <type> <credentials>`. */
  readonly authorization?: { readonly type: string; readonly credentials: string };
  readonly tlsInsecureSkipVerify: boolean;
  readonly followRedirects: boolean;
}
