import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, isAlias, isCollection, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { compareMatchers, newMatcher } from '../core/matcher.ts';
import type { Matcher, MatchType } from '../core/matcher.ts';
import { parseMatchers } from '../core/parse-matchers.ts';
import { buildRouteTree } from '../core/route.ts';
import type { Route } from '../core/route.ts';
import { ConfigError, describeAt } from './config-error.ts';
import type { ConfigLocation } from './config-error.ts';
import type { Config, GlobalConfig, HttpConfig, ReceiverConfig, RouteConfig, WebhookConfig } from './config.ts';
import { DurationError, formatDuration, parseDuration } from './duration.ts';

const SECRET = '<secret>';

/** A value of the YAML document at a config path. */
interface Field {
  readonly path: string;
  /** Aliases resolved; never a YAML null (a null value counts as absent, as in Alertmanager). */
  readonly node: Node;
  /** Where errors point: the key that named the value, or the list item. */
  readonly offset?: number;
}

type Fields = ReadonlyMap<string, Field>;

/** What an error or warning needs of a field. */
type Located = Pick<Field, 'path' | 'offset'>;

/** Reads typed values out of the YAML document, failing with the path and line of the offender. */
class ConfigReader {
  readonly warnings: string[] = [];
  private readonly secrets: Scalar[] = [];
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(
    text: string,
    readonly file: string,
  ) {
    // YAML 1.1 reads values (yes/no booleans, `<<` merges) the way Alertmanager's yaml.v2 does.
    this.doc = parseDocument(text, { lineCounter: this.lines, version: '1.1', prettyErrors: false });
    const [error] = this.doc.errors;
    if (error) throw new ConfigError(this.locate('', error.pos[0]), error.message);
  }

  top(): Field {
    const node = this.doc.contents;
    if (node === null || isNull(node)) throw new ConfigError({ file: this.file, path: '' }, 'the file is empty');
    return { path: '', node, offset: node.range?.[0] };
  }

  fail(at: Located, problem: string): never {
    throw new ConfigError(this.locate(at.path, at.offset), problem);
  }

  warn(at: Located, text: string): void {
    this.warnings.push(describeAt(this.locate(at.path, at.offset), text));
  }

  /** The mapping's entries, `<<` merges applied, keyed by their own name (for maps of labels). */
  entries(at: Field): Fields {
    if (!isMap(at.node)) this.fail(at, 'expected a mapping');
    const entries = new Map<string, Field>();
    for (const [name, field] of this.pairs(at.path, at.node)) if (field) entries.set(name, field);
    return entries;
  }

  /** A mapping with the given field names; any other name is an error. */
  fields(at: Field, known: readonly string[]): Fields {
    if (!isMap(at.node)) this.fail(at, 'expected a mapping');
    const fields = new Map<string, Field>();
    for (const [name, field, key] of this.pairs(at.path, at.node)) {
      if (!known.includes(name)) this.fail({ path: join(at.path, name), offset: key.range?.[0] }, 'unknown field');
      if (field) fields.set(name, field);
    }
    return fields;
  }

  string(at: Field): string {
    if (!isScalar(at.node)) this.fail(at, 'expected a string');
    const { value, source } = at.node;
    // Like yaml.v2, a string field takes any scalar as written (`receiver: 123` names "123").
    return typeof value === 'string' ? value : (source ?? String(value));
  }

  boolean(at: Field): boolean {
    if (!isScalar(at.node) || typeof at.node.value !== 'boolean') this.fail(at, 'expected true or false');
    return at.node.value;
  }

  count(at: Field): number {
    const value = isScalar(at.node) ? at.node.value : undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(at, 'expected a whole number, 0 or more');
    }
    return value;
  }

  duration(at: Field): number {
    try {
      return parseDuration(this.string(at));
    } catch (error) {
      if (error instanceof DurationError) this.fail(at, error.message);
      throw error;
    }
  }

  list(at: Field): Field[] {
    if (!isSeq(at.node)) this.fail(at, 'expected a list');
    return at.node.items.map((item, index) => {
      const path = `${at.path}[${index}]`;
      const offset = isNode(item) ? item.range?.[0] : at.offset;
      const node = this.resolve(item);
      if (!node) this.fail({ path, offset }, 'empty list item');
      return { path, node, offset };
    });
  }

  strings(at: Field): string[] {
    return this.list(at).map((item) => this.string(item));
  }

  /** A string that `original` shows as `<secret>`. */
  secret(at: Field): string {
    const text = this.string(at);
    this.secrets.push(at.node as Scalar);
    return text;
  }

  /** A file named by the config, relative to the config file's directory (as Alertmanager resolves them); trimmed. */
  fileContents(at: Field): string {
    const name = this.string(at);
    try {
      return readFileSync(resolve(dirname(this.file), name), 'utf8').trim();
    } catch (error) {
      this.fail(at, `cannot read ${JSON.stringify(name)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  /** The document with secrets replaced and comments (which may quote secrets) dropped. */
  redacted(): string {
    for (const scalar of this.secrets) scalar.value = SECRET;
    visit(this.doc, (_key, node) => {
      if (isNode(node)) {
        node.comment = null;
        node.commentBefore = null;
      }
    });
    this.doc.comment = null;
    this.doc.commentBefore = null;
    return this.doc.toString({ lineWidth: 0 });
  }

  private *pairs(path: string, map: YAMLMap): Generator<[name: string, field: Field | undefined, key: Scalar]> {
    const seen = new Set<string>();
    const merged: Field[] = [];
    for (const pair of map.items) {
      const offset = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      if (!isScalar(pair.key)) this.fail({ path, offset }, 'expected a field name, found a complex key');
      const key = pair.key;
      const node = this.resolve(pair.value);
      if (typeof key.value === 'symbol') {
        if (node) merged.push(...(isSeq(node) ? this.list({ path, node, offset }) : [{ path, node, offset }]));
        continue;
      }
      const name = this.string({ path, node: key, offset });
      seen.add(name);
      yield [name, node && { path: join(path, name), node, offset }, key];
    }
    // Keys written in the mapping win over merged ones; earlier merge sources win over later ones.
    for (const source of merged) {
      if (!isMap(source.node)) this.fail(source, 'a `<<` merge needs a mapping');
      for (const [name, field, key] of this.pairs(path, source.node)) {
        if (seen.has(name)) continue;
        seen.add(name);
        yield [name, field, key];
      }
    }
  }

  private resolve(value: unknown): Node | undefined {
    const node = isAlias(value) ? value.resolve(this.doc) : value;
    return isNode(node) && !isNull(node) ? node : undefined;
  }

  private locate(path: string, offset: number | undefined): ConfigLocation {
    if (offset === undefined) return { file: this.file, path };
    return { file: this.file, path, line: this.lines.linePos(offset).line };
  }
}

function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function isEmpty(at: Field): boolean {
  return isCollection(at.node) && at.node.items.length === 0;
}

function failIfUsed(reader: ConfigReader, fields: Fields, names: readonly string[], problem: string): void {
  for (const name of names) {
    const field = fields.get(name);
    if (field && !isEmpty(field)) reader.fail(field, problem);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP client settings (prometheus/common HTTPClientConfig)

const HTTP_FIELDS = ['basic_auth', 'authorization', 'bearer_token', 'bearer_token_file', 'tls_config', 'follow_redirects', 'enable_http2'];
const HTTP_UNSUPPORTED = ['oauth2', 'proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header', 'http_headers'];
const TLS_UNSUPPORTED = ['ca', 'ca_file', 'ca_ref', 'cert', 'cert_file', 'cert_ref', 'key', 'key_file', 'key_ref', 'server_name', 'min_version', 'max_version'];

const DEFAULT_HTTP_CONFIG: HttpConfig = { tlsInsecureSkipVerify: false, followRedirects: true };

/** `<name>` written inline or `<name>_file` naming a file that holds it: at most one. */
function inlineOrFile(reader: ConfigReader, fields: Fields, name: string, secret: boolean): { text: string; at: Field } | undefined {
  const inline = fields.get(name);
  const file = fields.get(`${name}_file`);
  if (inline && file) reader.fail(file, `at most one of ${name} and ${name}_file may be set`);
  if (inline) return { text: secret ? reader.secret(inline) : reader.string(inline), at: inline };
  if (file) return { text: reader.fileContents(file), at: file };
  return undefined;
}

function readHttpConfig(reader: ConfigReader, at: Field): HttpConfig {
  const fields = reader.fields(at, [...HTTP_FIELDS, ...HTTP_UNSUPPORTED]);
  failIfUsed(reader, fields, HTTP_UNSUPPORTED, 'not supported by Grouper');

  const basicAuthField = fields.get('basic_auth');
  const basicAuth = basicAuthField && readBasicAuth(reader, basicAuthField);
  const authorization = readAuthorization(reader, fields);
  if (basicAuth && authorization) reader.fail(at, 'at most one of basic_auth and authorization (or bearer_token) may be set');

  const tls = fields.get('tls_config');
  const enableHttp2 = fields.get('enable_http2');
  if (enableHttp2) reader.boolean(enableHttp2);
  const followRedirects = fields.get('follow_redirects');
  return {
    ...(basicAuth && { basicAuth }),
    ...(authorization && { authorization }),
    tlsInsecureSkipVerify: tls ? readTlsInsecureSkipVerify(reader, tls) : false,
    followRedirects: followRedirects ? reader.boolean(followRedirects) : true,
  };
}

function readBasicAuth(reader: ConfigReader, at: Field): HttpConfig['basicAuth'] {
  const fields = reader.fields(at, ['username', 'username_file', 'password', 'password_file']);
  return {
    username: inlineOrFile(reader, fields, 'username', false)?.text ?? '',
    password: inlineOrFile(reader, fields, 'password', true)?.text ?? '',
  };
}

function readAuthorization(reader: ConfigReader, http: Fields): HttpConfig['authorization'] {
  const bearer = inlineOrFile(reader, http, 'bearer_token', true);
  const at = http.get('authorization');
  if (!at) return bearer && { type: 'Bearer', credentials: bearer.text };
  if (bearer) reader.fail(bearer.at, 'authorization and bearer_token cannot both be set');
  const fields = reader.fields(at, ['type', 'credentials', 'credentials_file']);
  const typeField = fields.get('type');
  const type = (typeField ? reader.string(typeField) : '').trim() || 'Bearer';
  if (typeField && type.toLowerCase() === 'basic') reader.fail(typeField, 'authorization type cannot be "basic": use basic_auth');
  return { type, credentials: inlineOrFile(reader, fields, 'credentials', true)?.text ?? '' };
}

function readTlsInsecureSkipVerify(reader: ConfigReader, at: Field): boolean {
  const fields = reader.fields(at, ['insecure_skip_verify', ...TLS_UNSUPPORTED]);
  failIfUsed(reader, fields, TLS_UNSUPPORTED, 'not supported by Grouper (of tls_config only insecure_skip_verify is)');
  const skip = fields.get('insecure_skip_verify');
  return skip ? reader.boolean(skip) : false;
}

// ---------------------------------------------------------------------------------------------
// global

/** Alertmanager's global settings for integrations Grouper does not have: accepted, ignored. */
const GLOBAL_IGNORED = [
  'smtp_from', 'smtp_hello', 'smtp_smarthost', 'smtp_auth_username', 'smtp_auth_password_file', 'smtp_auth_secret_file',
  'smtp_auth_identity', 'smtp_require_tls', 'smtp_tls_config', 'smtp_force_implicit_tls', 'slack_api_url_file',
  'slack_app_token_file', 'slack_app_url', 'pagerduty_url', 'opsgenie_api_url', 'opsgenie_api_key_file', 'wechat_api_url',
  'wechat_api_secret_file', 'wechat_api_corp_id', 'victorops_api_url', 'victorops_api_key_file', 'telegram_api_url',
  'telegram_bot_token_file', 'webex_api_url', 'rocketchat_api_url', 'rocketchat_token_file', 'rocketchat_token_id_file',
  'jira_api_url', 'mattermost_webhook_url_file',
];
const GLOBAL_IGNORED_SECRETS = [
  'smtp_auth_password', 'smtp_auth_secret', 'slack_api_url', 'slack_app_token', 'opsgenie_api_key', 'wechat_api_secret',
  'victorops_api_key', 'telegram_bot_token', 'rocketchat_token', 'rocketchat_token_id', 'mattermost_webhook_url',
];

const DEFAULT_RESOLVE_TIMEOUT = 5 * 60_000;

function readGlobal(reader: ConfigReader, at: Field | undefined): GlobalConfig {
  if (!at) return { resolveTimeout: DEFAULT_RESOLVE_TIMEOUT, httpConfig: DEFAULT_HTTP_CONFIG };
  const fields = reader.fields(at, ['resolve_timeout', 'http_config', ...GLOBAL_IGNORED, ...GLOBAL_IGNORED_SECRETS]);
  for (const [name, field] of fields) {
    if (GLOBAL_IGNORED_SECRETS.includes(name)) reader.secret(field);
    if (GLOBAL_IGNORED.includes(name) || GLOBAL_IGNORED_SECRETS.includes(name)) {
      reader.warn(field, 'ignored: Grouper sends only webhook notifications');
    }
  }
  const resolveTimeout = fields.get('resolve_timeout');
  const httpConfig = fields.get('http_config');
  return {
    resolveTimeout: resolveTimeout ? reader.duration(resolveTimeout) : DEFAULT_RESOLVE_TIMEOUT,
    httpConfig: httpConfig ? readHttpConfig(reader, httpConfig) : DEFAULT_HTTP_CONFIG,
  };
}

// ---------------------------------------------------------------------------------------------
// receivers

const OTHER_INTEGRATIONS = [
  'discord_configs', 'email_configs', 'incidentio_configs', 'jira_configs', 'mattermost_configs', 'msteams_configs',
  'msteamsv2_configs', 'opsgenie_configs', 'pagerduty_configs', 'pushover_configs', 'rocketchat_configs', 'slack_configs',
  'sns_configs', 'telegram_configs', 'victorops_configs', 'webex_configs', 'wechat_configs',
];

function readReceivers(reader: ConfigReader, at: Field | undefined, globalHttp: HttpConfig): ReceiverConfig[] {
  if (!at) return [];
  const names = new Set<string>();
  return reader.list(at).map((item) => {
    const fields = reader.fields(item, ['name', 'webhook_configs', ...OTHER_INTEGRATIONS]);
    for (const name of OTHER_INTEGRATIONS) {
      const other = fields.get(name);
      if (other && reader.list(other).length > 0) reader.fail(other, 'not supported: Grouper sends only webhook notifications');
    }
    const nameField = fields.get('name');
    const name = nameField ? reader.string(nameField) : '';
    if (!nameField || name === '') reader.fail(item, 'a receiver needs a name');
    // The Redis store separates a write's fields with NUL bytes (lua/write-alerts-1.lua).
    if (name.includes('\0')) reader.fail(nameField, 'a receiver name cannot hold a NUL byte');
    if (names.has(name)) reader.fail(nameField, `receiver name ${JSON.stringify(name)} is not unique`);
    names.add(name);
    const webhooks = fields.get('webhook_configs');
    const webhookConfigs = webhooks ? reader.list(webhooks).map((webhook) => readWebhook(reader, webhook, globalHttp)) : [];
    return { name, webhookConfigs };
  });
}

function readWebhook(reader: ConfigReader, at: Field, globalHttp: HttpConfig): WebhookConfig {
  const fields = reader.fields(at, ['url', 'url_file', 'send_resolved', 'max_alerts', 'timeout', 'http_config', 'payload']);
  failIfUsed(reader, fields, ['payload'], 'not supported by Grouper: webhooks send the Alertmanager payload');
  // Alertmanager treats the webhook URL as a secret: it often carries a token.
  const url = inlineOrFile(reader, fields, 'url', true);
  if (!url) reader.fail(at, 'one of url or url_file is required');
  checkWebhookUrl(reader, url.at, url.text);
  const sendResolved = fields.get('send_resolved');
  const maxAlerts = fields.get('max_alerts');
  const timeout = fields.get('timeout');
  const httpConfig = fields.get('http_config');
  return {
    url: url.text,
    sendResolved: sendResolved ? reader.boolean(sendResolved) : true,
    maxAlerts: maxAlerts ? reader.count(maxAlerts) : 0,
    timeout: timeout ? reader.duration(timeout) : 0,
    httpConfig: httpConfig ? readHttpConfig(reader, httpConfig) : globalHttp,
  };
}

/** The messages never quote the URL: it is a secret. */
function checkWebhookUrl(reader: ConfigReader, at: Field, text: string): void {
  if (text.includes('{{')) reader.fail(at, 'templated URLs are not supported by Grouper');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.fail(at, 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    reader.fail(at, `unsupported URL scheme ${JSON.stringify(url.protocol.slice(0, -1))}: use http or https`);
  }
  if (url.hostname === '') reader.fail(at, 'the URL has no host');
}

// ---------------------------------------------------------------------------------------------
// route tree

const ROUTE_FIELDS = ['receiver', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'matchers', 'match', 'match_re', 'continue', 'routes'];
const ROUTE_UNSUPPORTED = ['mute_time_intervals', 'active_time_intervals', 'labels'];
/** Alertmanager checks `match`/`match_re` keys against the classic label name syntax. */
const CLASSIC_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface RouteContext {
  readonly receivers: ReadonlySet<string>;
  /** Each route read, with where it was written, for the warnings. */
  readonly written: Map<RouteConfig, Located>;
}

function readRoute(reader: ConfigReader, at: Field, context: RouteContext, isRoot: boolean): RouteConfig {
  const fields = reader.fields(at, [...ROUTE_FIELDS, ...ROUTE_UNSUPPORTED]);
  failIfUsed(reader, fields, ROUTE_UNSUPPORTED, 'not supported by Grouper');

  const receiverField = fields.get('receiver');
  const receiver = receiverField ? reader.string(receiverField) : '';
  if (receiverField && receiver !== '' && !context.receivers.has(receiver)) {
    reader.fail(receiverField, `undefined receiver ${JSON.stringify(receiver)}`);
  }
  const matchers = readRouteMatchers(reader, fields);
  const continueField = fields.get('continue');
  const continues = continueField ? reader.boolean(continueField) : false;
  if (isRoot) {
    if (receiver === '') reader.fail(at, 'the root route needs a receiver');
    const matcherField = ['matchers', 'match', 'match_re'].map((name) => fields.get(name)).find((field) => field && !isEmpty(field));
    if (matcherField) reader.fail(matcherField, 'the root route must not have matchers: every alert starts there');
    if (continues) reader.fail(continueField!, 'the root route must not have continue');
  }

  const groupBy = fields.get('group_by');
  const groupWait = fields.get('group_wait');
  const groupInterval = fields.get('group_interval');
  const repeatInterval = fields.get('repeat_interval');
  const routes = fields.get('routes');
  const route: RouteConfig = {
    ...(receiver !== '' && { receiver }),
    ...(groupBy && { groupBy: readGroupBy(reader, groupBy) }),
    ...(groupWait && { groupWait: reader.duration(groupWait) }),
    ...(groupInterval && { groupInterval: nonZeroDuration(reader, groupInterval) }),
    ...(repeatInterval && { repeatInterval: nonZeroDuration(reader, repeatInterval) }),
    matchers,
    continue: continues,
    routes: routes ? reader.list(routes).map((child) => readRoute(reader, child, context, false)) : [],
  };
  context.written.set(route, at);
  return route;
}

function nonZeroDuration(reader: ConfigReader, at: Field): number {
  const ms = reader.duration(at);
  if (ms === 0) reader.fail(at, 'must not be zero');
  return ms;
}

function readGroupBy(reader: ConfigReader, at: Field): string[] {
  const items = reader.list(at).map((item) => ({ item, name: reader.string(item) }));
  const labels = items.filter(({ name }) => name !== '...');
  if (labels.length < items.length) {
    if (labels.length > 0) reader.fail(at, 'cannot mix `...` (group by all labels) with label names');
    return ['...'];
  }
  const seen = new Set<string>();
  for (const { item, name } of labels) {
    if (!isLabelName(name)) reader.fail(item, `invalid label name ${JSON.stringify(name)}`);
    if (seen.has(name)) reader.fail(item, `duplicated label ${JSON.stringify(name)}`);
    seen.add(name);
  }
  return labels.map(({ name }) => name);
}

/** Current Alertmanager (UTF-8 mode) takes any non-empty, well-formed string as a label name. */
function isLabelName(name: string): boolean {
  return name !== '' && !/\p{Cs}/u.test(name);
}

/** `match`, `match_re` and `matchers` together, sorted as Alertmanager sorts them. */
function readRouteMatchers(reader: ConfigReader, fields: Fields): Matcher[] {
  const matchers: Matcher[] = [];
  const legacy: ReadonlyArray<[field: string, type: MatchType, toValue: (text: string) => string]> = [
    ['match', '=', (text) => text],
    // Alertmanager keeps the anchored source of a match_re pattern as the matcher's value (spec §3.3).
    ['match_re', '=~', (text) => `^(?:${text})$`],
  ];
  for (const [fieldName, type, toValue] of legacy) {
    const field = fields.get(fieldName);
    if (!field) continue;
    for (const [name, valueField] of reader.entries(field)) {
      if (!CLASSIC_LABEL_NAME.test(name)) reader.fail(valueField, `invalid label name ${JSON.stringify(name)}`);
      const value = toValue(reader.string(valueField));
      matchers.push(attempt(reader, valueField, () => newMatcher(type, name, value)));
    }
  }
  const lines = fields.get('matchers');
  for (const line of lines ? reader.list(lines) : []) {
    const text = reader.string(line);
    matchers.push(...attempt(reader, line, () => parseMatchers(text)));
  }
  return matchers.sort(compareMatchers);
}

/** Runs a core constructor, turning its complaint into a ConfigError at `at`. */
function attempt<T>(reader: ConfigReader, at: Field, build: () => T): T {
  try {
    return build();
  } catch (error) {
    reader.fail(at, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Alertmanager warns on every route whose effective repeat_interval is below its group_interval;
 * Grouper warns where that is written, not again on each child that inherits it.
 */
function warnOnIntervals(reader: ConfigReader, written: ReadonlyMap<RouteConfig, Located>, config: RouteConfig, route: Route, isRoot: boolean): void {
  const setsInterval = config.groupInterval !== undefined || config.repeatInterval !== undefined;
  if ((isRoot || setsInterval) && route.repeatInterval < route.groupInterval) {
    reader.warn(
      written.get(config)!,
      `repeat_interval (${formatDuration(route.repeatInterval)}) is less than group_interval (${formatDuration(route.groupInterval)}): ` +
        'notifications will not repeat until the next group_interval',
    );
  }
  config.routes.forEach((child, index) => warnOnIntervals(reader, written, child, route.routes[index], false));
}

// ---------------------------------------------------------------------------------------------
// the file

const TOP_FIELDS = ['global', 'route', 'receivers', 'templates', 'inhibit_rules', 'time_intervals', 'mute_time_intervals', 'tracing'];

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError({ file, path: '' }, `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseConfig(text, file);
}

/** Parses and validates alertmanager.yml text; `file` names it in errors and resolves `*_file` paths. */
export function parseConfig(text: string, file: string): Config {
  const reader: ConfigReader = new ConfigReader(text, file);
  const fields = reader.fields(reader.top(), TOP_FIELDS);
  failIfUsed(reader, fields, ['inhibit_rules'], 'inhibit_rules are not supported by Grouper');
  failIfUsed(reader, fields, ['time_intervals', 'mute_time_intervals'], 'time intervals are not supported by Grouper');
  const templates = fields.get('templates');
  if (templates && reader.strings(templates).length > 0) reader.warn(templates, 'ignored: webhook payloads do not use templates');
  const tracing = fields.get('tracing');
  if (tracing) reader.warn(tracing, 'ignored: Grouper does not export traces');

  const global = readGlobal(reader, fields.get('global'));
  const receivers = readReceivers(reader, fields.get('receivers'), global.httpConfig);
  const routeField = fields.get('route');
  if (!routeField) reader.fail(reader.top(), 'no route: the root route is required');
  const context: RouteContext = { receivers: new Set(receivers.map((receiver) => receiver.name)), written: new Map() };
  const route = readRoute(reader, routeField, context, true);
  warnOnIntervals(reader, context.written, route, buildRouteTree(route), true);

  return { file, original: reader.redacted(), global, route, receivers, warnings: reader.warnings };
}
