import type { WebhookConfig } from '../config/config.ts';

/** Where and with which headers one webhook POSTs, credentials taken out of the URL. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The URL and headers for `config`. As with Go's http.Client under Prometheus' http_config,
 * credentials in the URL's userinfo win over `basic_auth`, which wins over `authorization`.
 */
export function webhookRequest(config: WebhookConfig, userAgent: string): WebhookRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': userAgent,
  };
  const { url, userinfo } = splitUserinfo(config.url);
  const { basicAuth, authorization } = config.httpConfig;
  const basic = userinfo ?? basicAuth;
  if (basic !== undefined) {
    headers.authorization = `Basic ${base64(`${basic.username}:${basic.password}`)}`;
  } else if (authorization !== undefined) {
    headers.authorization = `${authorization.type} ${authorization.credentials}`;
  }
  return { url, headers };
}

function splitUserinfo(raw: string): {
  url: string;
  userinfo?: { username: string; password: string };
} {
  if (!raw.includes('@')) return { url: raw };
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url: raw };
  const userinfo = {
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  url.username = '';
  url.password = '';
  return { url: url.toString(), userinfo };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
