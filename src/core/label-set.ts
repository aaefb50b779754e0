/** A label set or annotation set: name to value. Never mutated once built. */
export type LabelSet = Readonly<Record<string, string>>;

/**
 * Go's string order, which is UTF-8 byte order, i.e. code point order. UTF-16 order differs
 * only where a surrogate (an astral character) meets U+E000..U+FFFF, so those are re-ranked.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) < codePointRank(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** The label's value, or undefined when absent (never a value inherited from Object.prototype). */
export function labelValue(ls: LabelSet, name: string): string | undefined {
  return Object.hasOwn(ls, name) ? ls[name] : undefined;
}

export function sortedNames(ls: LabelSet): string[] {
  return Object.keys(ls).sort(compareBytes);
}

const PLAIN_ASCII = /^[ !#-[\]-~]*$/;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a', 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r',
};

/**
 * Go's strconv.Quote. A JS string cannot hold invalid UTF-8; a lone surrogate stands for the
 * U+FFFD that Go's JSON decoder would have put in its place.
 */
export function goQuote(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) out += quoteRune(ch);
  return out + '"';
}

function quoteRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (ch === '"' || ch === '\\') return '\\' + ch;
  if (cp >= 0x20 && cp < 0x7f) return ch;
  if (cp >= 0xd800 && cp < 0xe000) return '\ufffd';
  if (cp > 0x7f && PRINTABLE.test(ch)) return ch;
  const named = NAMED_ESCAPES[cp];
  if (named !== undefined) return named;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  return cp < 0x10000 ? '\\u' + hex(cp, 4) : '\\U' + hex(cp, 8);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** prometheus LabelSet.String: `{a="x", b="y"}`, names in byte order, values Go-quoted. */
export function formatLabelSet(ls: LabelSet): string {
  let out = '{';
  let first = true;
  for (const name of sortedNames(ls)) {
    if (!first) out += ', ';
    out += name + '=' + goQuote(ls[name]);
    first = false;
  }
  return out + '}';
}

/**
 * prometheus LabelSet.Before as an order: fewer labels first; then, walking the sorted union
 * of names, the set lacking a name comes first, else the first differing value decides.
 */
export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  const an = sortedNames(a);
  const bn = sortedNames(b);
  if (an.length !== bn.length) return an.length < bn.length ? -1 : 1;
  for (let i = 0, j = 0; i < an.length && j < bn.length; ) {
    const byName = compareBytes(an[i], bn[j]);
    if (byName < 0) return 1;
    if (byName > 0) return -1;
    const byValue = compareBytes(a[an[i]], b[bn[j]]);
    if (byValue !== 0) return byValue;
    i++;
    j++;
  }
  return 0;
}
