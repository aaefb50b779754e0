import type { Alert } from '../core/alert.ts';
import type { GroupIncarnation, NotifyLogEntry } from '../core/group.ts';
import { StoreError } from './store-errors.ts';
import type { StoredGroup } from './store.ts';

/*
 * How group data is written into Redis values. An alert is a JSON array whose first element is
 * updatedAt, so the Lua scripts can compare it without decoding the rest (see lua/shared.lua).
 * Numbers cross into Lua as strings formatted by String(), which is also how JSON writes them.
 */

export function encodeAlert(alert: Alert): string {
  return JSON.stringify([
    alert.updatedAt,
    alert.startsAt,
    alert.endsAt,
    alert.timeout ? 1 : 0,
    alert.generatorURL,
    alert.labels,
    alert.annotations,
  ]);
}

export function decodeAlert(fingerprint: string, text: string): Alert {
  const value = parseArray(text, 7, `alert ${fingerprint}`);
  const [updatedAt, startsAt, endsAt, timeout, generatorURL, labels, annotations] = value;
  return { fingerprint, labels, annotations, startsAt, endsAt, generatorURL, updatedAt, timeout: timeout === 1 };
}

export function encodeLogEntry(entry: NotifyLogEntry): string {
  return JSON.stringify([entry.tick, entry.firing, entry.resolved]);
}

export function decodeLogEntry(integration: string, text: string): NotifyLogEntry {
  const [tick, firing, resolved] = parseArray(text, 3, `notify log entry ${integration}`);
  return { firing, resolved, tick };
}

/** The incarnation from the `createdAt` and `origin` fields of a group's meta hash. */
export function decodeIncarnation(createdAt: string | null, origin: string | null): GroupIncarnation | undefined {
  if (createdAt === null) return undefined;
  return { createdAt: Number(createdAt), origin: Number(origin) };
}

/** A group's meta, alerts and log hashes as lua/shared.lua's group_hashes returns them. */
export type GroupHashes = readonly [meta: readonly string[], alerts: readonly string[], log: readonly string[]];

/** A hash as a record, from the flat field, value, field, value, ... array HGETALL returns in Lua. */
function hashFields(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

/** A group from its three hashes and its due score, or undefined when it is absent. */
export function decodeGroup(id: string, [metaFields, alertFields, logFields]: GroupHashes, due: string | null): StoredGroup | undefined {
  const meta = hashFields(metaFields);
  if (meta.createdAt === undefined) return undefined;
  if (meta.key === undefined || meta.labels === undefined) {
    throw new StoreError('CORRUPT', `group ${id} has an incomplete meta hash`);
  }
  if (due === null) throw new StoreError('CORRUPT', `group ${id} has no due time`);
  const alerts: Alert[] = [];
  for (let i = 0; i < alertFields.length; i += 2) alerts.push(decodeAlert(alertFields[i], alertFields[i + 1]));
  const log: Record<string, NotifyLogEntry> = {};
  for (let i = 0; i < logFields.length; i += 2) log[logFields[i]] = decodeLogEntry(logFields[i], logFields[i + 1]);
  return {
    id,
    key: meta.key,
    routeId: meta.routeId,
    receiver: meta.receiver,
    labels: parse(meta.labels, `labels of group ${id}`),
    createdAt: Number(meta.createdAt),
    origin: Number(meta.origin),
    lastTick: Number(meta.lastTick),
    alerts,
    log,
    due: Number(due),
  };
}

function parseArray(text: string, length: number, what: string): any[] {
  const value = parse(text, what);
  if (!Array.isArray(value) || value.length !== length) {
    throw new StoreError('CORRUPT', `stored ${what} is not an array of ${length}`);
  }
  return value;
}

function parse(text: string, what: string): any {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError('CORRUPT', `stored ${what} is not JSON`, { cause: err });
  }
}
