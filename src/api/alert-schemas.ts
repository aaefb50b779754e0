import { type TSchema, Type, type Static } from '@sinclair/typebox';
import { invalidTimeMessage, isValidUtf8, type PostableAlert } from '../core/alert-input.ts';
import { goQuote } from '../core/label-set.ts';
import { parseApiTime } from '../core/timestamp.ts';

/*
 * The wire shapes, for documentation and typing. Bodies are checked by the decoders below rather
 * than by Fastify's ajv because Alertmanager's answers (status, code, message, which error wins)
 * come from Go's JSON decoding followed by go-swagger's validation; test/unit/alerts-routes
 * checks that both agree.
 */

export const LabelSetSchema = Type.Record(Type.String(), Type.String());

export const PostableAlertSchema = Type.Object({
  labels: LabelSetSchema,
  annotations: Type.Optional(Type.Union([LabelSetSchema, Type.Null()])),
  startsAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  endsAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  generatorURL: Type.Optional(Type.Union([Type.String({ format: 'uri' }), Type.Null()])),
});

/** POST /api/v2/alerts body; `null` is an empty batch. */
export const PostableAlertsSchema = Type.Union([Type.Array(PostableAlertSchema), Type.Null()]);

export const WebhookAlertSchema = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: LabelSetSchema,
  annotations: LabelSetSchema,
  startsAt: Type.String({ format: 'date-time' }),
  /** `0001-01-01T00:00:00Z` while firing. */
  endsAt: Type.String({ format: 'date-time' }),
  generatorURL: Type.String(),
  fingerprint: Type.String(),
});

/** Alertmanager's webhook notification body, version 4 (POST /webhook). */
export const WebhookMessageSchema = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String(),
  truncatedAlerts: Type.Integer({ minimum: 0 }),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  receiver: Type.String(),
  groupLabels: LabelSetSchema,
  commonLabels: LabelSetSchema,
  commonAnnotations: LabelSetSchema,
  externalURL: Type.String(),
  alerts: Type.Array(WebhookAlertSchema),
});

export type WebhookMessage = Static<typeof WebhookMessageSchema>;

/** A rejected body: HTTP status plus go-swagger's `{"code","message"}`. */
export class ApiBodyError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiBodyError';
  }
}

/** go-swagger's "parsing <name> body" failure: the whole request is rejected with 400. */
export function bodyParseError(bodyName: string, reason: string): ApiBodyError {
  return new ApiBodyError(400, 400, `parsing ${bodyName} body from "" failed, because ${reason}`);
}

export function bodyRequiredError(name: string): ApiBodyError {
  return new ApiBodyError(422, 602, `${name} in body is required`);
}

/**
 * The alerts of a POST /api/v2/alerts body (JSON-parsed; undefined when there was none), decoded
 * in place as Go would: null label values become "", lone surrogates become U+FFFD, field names
 * match case-insensitively.
 */
export function decodePostableAlerts(body: unknown): readonly PostableAlert[] {
  if (body === undefined) throw bodyRequiredError('alerts');
  if (body === null) return [];
  if (!Array.isArray(body)) {
    throw bodyParseError('alerts', cannotUnmarshal(body, 'Go value of type models.PostableAlerts'));
  }
  return decodeAlertList(body, '', 'alerts');
}

/** The alerts of an Alertmanager webhook body, as postable alerts. */
export function decodeWebhookMessage(body: unknown): readonly PostableAlert[] {
  if (body === undefined) throw bodyRequiredError('message');
  if (!isObject(body)) {
    throw bodyParseError('message', cannotUnmarshal(body, 'Go value of type webhook.Message'));
  }
  if (body.version !== '4') {
    const got = body.version === undefined ? 'none' : JSON.stringify(body.version);
    throw new ApiBodyError(400, 400, `webhook payload version must be "4", got ${got}`);
  }
  const alerts = body.alerts;
  if (alerts === undefined || alerts === null) throw bodyRequiredError('alerts');
  if (!Array.isArray(alerts)) {
    throw bodyParseError(
      'message',
      cannotUnmarshal(alerts, 'Go struct field Message.alerts of type []webhook.Alert'),
    );
  }
  return decodeAlertList(alerts, 'alerts.', 'message');
}

/** Type errors (400) anywhere win over validation errors (422), as decoding precedes validation. */
function decodeAlertList(items: unknown[], pathPrefix: string, bodyName: string): PostableAlert[] {
  let invalid: ApiBodyError | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === null) {
      invalid ??= bodyRequiredError(`${pathPrefix}${i}.labels`);
      continue;
    }
    if (!isObject(item)) {
      const reason = cannotUnmarshal(item, 'Go value of type models.PostableAlert');
      throw bodyParseError(bodyName, reason);
    }
    const fields = canonicalFields(item);
    if (fields !== item) items[i] = fields;
    const problem = decodeFields(fields);
    if (problem !== undefined) throw bodyParseError(bodyName, problem);
    invalid ??= validationError(fields, `${pathPrefix}${i}`);
  }
  if (invalid !== undefined) throw invalid;
  return items as PostableAlert[];
}

/** Field by lower-cased name. */
const FIELDS: ReadonlyMap<string, string> = new Map([
  ['labels', 'labels'],
  ['annotations', 'annotations'],
  ['startsat', 'startsAt'],
  ['endsat', 'endsAt'],
  ['generatorurl', 'generatorURL'],
]);

/** Go's encoding/json falls back to a case-insensitive match of field names; the last one wins. */
function canonicalFields(item: Record<string, unknown>): Record<string, unknown> {
  for (const key in item) {
    if (isFieldName(key)) continue;
    if (FIELDS.has(key.toLowerCase())) return refold(item);
  }
  return item;
}

function isFieldName(key: string): boolean {
  switch (key) {
    case 'labels':
    case 'annotations':
    case 'startsAt':
    case 'endsAt':
    case 'generatorURL':
      return true;
    default:
      return false;
  }
}

function refold(item: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key in item) {
    const field = FIELDS.get(key.toLowerCase());
    if (field !== undefined) fields[field] = item[key];
  }
  return fields;
}

/** Checks types and times, repairing in place what Go's decoder repairs; the problem if any. */
function decodeFields(alert: Record<string, unknown>): string | undefined {
  const labels = decodeLabelSet(alert.labels, 'Alert.labels');
  if (typeof labels === 'string') return labels;
  if (labels !== alert.labels) alert.labels = labels;
  const annotations = decodeLabelSet(alert.annotations, '.annotations');
  if (typeof annotations === 'string') return annotations;
  if (annotations !== alert.annotations) alert.annotations = annotations;
  return (
    timeProblem(alert.startsAt, '.startsAt') ??
    timeProblem(alert.endsAt, '.endsAt') ??
    stringProblem(alert.generatorURL, 'Alert.generatorURL')
  );
}

type LabelObject = Record<string, unknown>;

/** The label set to keep (the same object unless it needed repair), or the type problem. */
function decodeLabelSet(value: unknown, field: string): LabelObject | string | null | undefined {
  if (value === undefined || value === null) return value;
  if (!isObject(value)) {
    return cannotUnmarshal(value, `Go struct field ${field} of type models.LabelSet`);
  }
  let wellFormed = true;
  for (const name in value) {
    const labelValue = value[name];
    if (typeof labelValue === 'string') {
      wellFormed &&= isValidUtf8(name) && isValidUtf8(labelValue);
    } else if (labelValue === null) {
      value[name] = '';
    } else {
      return cannotUnmarshal(labelValue, `Go struct field ${field} of type string`);
    }
  }
  return wellFormed ? value : withReplacementCharacters(value);
}

/** Go's JSON decoder turns an escaped lone surrogate into U+FFFD. */
function withReplacementCharacters(set: LabelObject): LabelObject {
  const repaired: LabelObject = {};
  for (const name in set) {
    Object.defineProperty(repaired, toWellFormed(name), {
      value: toWellFormed(set[name] as string),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return repaired;
}

function timeProblem(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    return cannotUnmarshal(value, `Go struct field ${field} of type string`);
  }
  return parseApiTime(value) === undefined ? invalidTimeMessage(value) : undefined;
}

function stringProblem(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || typeof value === 'string') return undefined;
  return cannotUnmarshal(value, `Go struct field ${field} of type string`);
}

/** go-swagger's checks of a decoded postable alert: generatorURL's format, then labels. */
function validationError(alert: Record<string, unknown>, path: string): ApiBodyError | undefined {
  const url = alert.generatorURL;
  if (typeof url === 'string' && url !== '' && !isRequestUri(url)) {
    return new ApiBodyError(
      422,
      601,
      `${path}.generatorURL in body must be of type uri: ${goQuote(url)}`,
    );
  }
  const missing = alert.labels === undefined || alert.labels === null;
  return missing ? bodyRequiredError(`${path}.labels`) : undefined;
}

/**
 * Go's url.ParseRequestURI succeeds (go-swagger's `uri` format): an absolute URI or an absolute
 * path, no control characters, valid %-escapes, and a well-formed host and port. Works on index
 * ranges of `text` because every Prometheus alert carries a generatorURL.
 */
export function isRequestUri(text: string): boolean {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  if (text === '*') return true;
  const colon = schemeColon(text);
  if (colon === 0) return false;
  let start = colon + 1;
  let end = text.indexOf('?', start);
  if (end < 0) end = length;
  if (start === end || text.charCodeAt(start) !== SLASH) return colon > 0;
  if (colon > 0 && end - start >= 2 && text.charCodeAt(start + 1) === SLASH) {
    let pathStart = text.indexOf('/', start + 2);
    if (pathStart < 0 || pathStart > end) pathStart = end;
    if (!isValidAuthority(text, start + 2, pathStart)) return false;
    start = pathStart;
  }
  return hasValidEscapes(text, start, end);
}

/** Index of the scheme's `:`; -1 when there is no scheme; 0 for a leading `:` (an error in Go). */
function schemeColon(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isAsciiLetter(code)) continue;
    if (isAsciiDigit(code) || code === 0x2b || code === 0x2d || code === 0x2e) {
      if (i === 0) return -1;
      continue;
    }
    return code === COLON ? i : -1;
  }
  return -1;
}

/** `[userinfo@]host[:port]` in text[from, to). */
function isValidAuthority(text: string, from: number, to: number): boolean {
  const at = to > from ? text.lastIndexOf('@', to - 1) : -1;
  if (at < from) return isValidHost(text, from, to);
  if (!isValidHost(text, at + 1, to)) return false;
  for (let i = from; i < at; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || !USERINFO_CHARS[code]) return false;
  }
  return hasValidEscapes(text, from, at);
}

function isValidHost(text: string, from: number, to: number): boolean {
  let portStart = -1;
  if (text.charCodeAt(from) === 0x5b) {
    const close = text.lastIndexOf(']', to - 1);
    if (close < from) return false;
    portStart = close + 1;
  } else if (to > from) {
    const colon = text.lastIndexOf(':', to - 1);
    if (colon >= from) portStart = colon;
  }
  if (portStart >= 0 && portStart < to) {
    if (text.charCodeAt(portStart) !== COLON) return false;
    for (let i = portStart + 1; i < to; i++) if (!isAsciiDigit(text.charCodeAt(i))) return false;
  }
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === PERCENT) {
      // Escapes in a host may only encode non-ASCII bytes, or `%` itself (IPv6 zones).
      if (!isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2))) return false;
      const isPercent = text.charCodeAt(i + 1) === 0x32 && text.charCodeAt(i + 2) === 0x35;
      if (text.charCodeAt(i + 1) < 0x38 && !isPercent) return false;
      i += 2;
    } else if (code < 0x80 && !HOST_CHARS[code]) {
      return false;
    }
  }
  return true;
}

function hasValidEscapes(text: string, from: number, to: number): boolean {
  for (let i = text.indexOf('%', from); i >= 0 && i < to; i = text.indexOf('%', i + 3)) {
    if (i + 2 >= to) return false;
    if (!isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2))) return false;
  }
  return true;
}

const SLASH = 0x2f;
const COLON = 0x3a;
const PERCENT = 0x25;

/** ASCII characters allowed unescaped, by code: alphanumerics plus the given marks. */
function asciiTable(marks: string): Uint8Array {
  const table = new Uint8Array(0x80);
  for (let code = 0; code < 0x80; code++) {
    if (isAsciiLetter(code) || isAsciiDigit(code)) table[code] = 1;
  }
  for (const mark of marks) table[mark.charCodeAt(0)] = 1;
  return table;
}

const USERINFO_CHARS = asciiTable("-._:~!$&'()*+,;=%@");
const HOST_CHARS = asciiTable("!$&'()*+,;=:[]<>\"-_.~");

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isAsciiDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isHexDigit(code: number): boolean {
  return isAsciiDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's encoding/json type-mismatch message. */
function cannotUnmarshal(value: unknown, target: string): string {
  return `json: cannot unmarshal ${goJsonKind(value)} into ${target}`;
}

function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** Node 20's String#toWellFormed (not in the ES2022 lib types). */
function toWellFormed(text: string): string {
  return (text as unknown as { toWellFormed(): string }).toWellFormed();
}

const ErrorText = Type.String({ description: 'The problems, one per line (a JSON string, as Alertmanager answers)' });
const CodeMessage = Type.Object(
  { code: Type.Integer(), message: Type.String() },
  { description: 'The whole body was rejected; nothing was stored' },
);

/**
 * The documented request and answers of the ingest routes. The body is decoded by hand (see
 * decodePostableAlerts) to give Alertmanager's exact errors, so this schema only documents it.
 */
export function ingestRouteSchema(summary: string, body: TSchema) {
  return {
    summary,
    tags: ['ingest'],
    body,
    response: {
      200: Type.Null({ description: 'Every alert was stored (empty body)' }),
      400: Type.Union([ErrorText, CodeMessage], { description: 'Invalid alerts (the valid ones were stored), or an unreadable body' }),
      413: CodeMessage,
      415: CodeMessage,
      422: CodeMessage,
      429: Type.String({ description: 'Alerts refused by a limit, one per line; the others were stored' }),
      500: Type.String({ description: 'The store failed' }),
    },
  };
}
