import { createHmac } from 'node:crypto';
import type { Store, StoredGroup } from '../store/store.ts';
import { QueryError } from './query-schemas.ts';

/*
 * Cursor paging over the store's groups in ascending id order. A cursor is the last group id
 * examined plus a checksum: it holds nothing secret (group ids are public), the checksum only
 * turns an edited or truncated cursor into a 400 instead of a silently wrong page, and every
 * replica computes the same one, so any replica continues a paging run.
 */

const CHECKSUM_KEY = 'grouper cursor v1';

function checksum(body: string): string {
  return createHmac('sha256', CHECKSUM_KEY).update(body).digest('base64url').slice(0, 16);
}

export function encodeCursor(after: string): string {
  const body = Buffer.from(after, 'utf8').toString('base64url');
  return `${body}.${checksum(body)}`;
}

/** The group id a cursor continues after; QueryError 400 when it was not made by encodeCursor. */
export function decodeCursor(cursor: string): string {
  const dot = cursor.indexOf('.');
  const body = cursor.slice(0, dot);
  if (dot <= 0 || cursor.slice(dot + 1) !== checksum(body)) throw new QueryError(400, 'invalid cursor');
  return Buffer.from(body, 'base64url').toString('utf8');
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** Groups examined by one request at most, so that a selective filter never reads the whole store at once. */
export const SCAN_BUDGET = 10_000;
const MIN_BATCH = 100;
const MAX_BATCH = 1000;

/**
 * Up to `limit` items made by `select` from the groups after `cursor`, skipping groups it maps
 * to undefined. Keeps reading the store until the page is full, the store ends, or SCAN_BUDGET
 * groups were examined; the next cursor continues after the last group examined.
 */
export async function collectPage<T>(
  store: Store,
  cursor: string | undefined,
  limit: number,
  select: (group: StoredGroup) => T | undefined,
): Promise<Page<T>> {
  let after = cursor === undefined ? undefined : decodeCursor(cursor);
  const items: T[] = [];
  let examined = 0;
  for (;;) {
    const batch = Math.min(MAX_BATCH, Math.max(MIN_BATCH, limit - items.length), SCAN_BUDGET - examined);
    const page = await store.scanGroups(after, batch);
    for (let i = 0; i < page.groups.length; i++) {
      const group = page.groups[i];
      const item = select(group);
      if (item !== undefined) items.push(item);
      if (items.length === limit) {
        const storeEnds = page.next === undefined && i === page.groups.length - 1;
        return storeEnds ? { items } : { items, nextCursor: encodeCursor(group.id) };
      }
    }
    examined += page.groups.length;
    if (page.next === undefined) return { items };
    after = page.next;
    if (examined >= SCAN_BUDGET) return { items, nextCursor: encodeCursor(after) };
  }
}

/** Every group, read from the store a batch at a time; the next batch is read while this one is used. */
export async function* allGroups(store: Store): AsyncGenerator<StoredGroup> {
  let page = await store.scanGroups(undefined, MAX_BATCH);
  for (;;) {
    const next = page.next === undefined ? undefined : store.scanGroups(page.next, MAX_BATCH);
    // Handled below; until then, a failure must not count as unhandled if the caller stops early.
    next?.catch(() => {});
    yield* page.groups;
    if (next === undefined) return;
    page = await next;
  }
}
