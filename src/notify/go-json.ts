import type { LabelSet } from '../core/label-set.ts';

/**
 * Pieces of JSON exactly as Go's encoding/json Encoder (Go ≥ 1.22, HTML escaping on) writes
 * them, for building payloads by concatenation.
 *
 * Why JSON.stringify plus a replace is equivalent for strings: both escape `"`, `\` and
 * U+0000–U+001F identically (`\b \t \n \f \r`, otherwise `\u00xx` in lower case). Go also
 * escapes `<`, `>`, `&`, U+2028 and U+2029, which the replace adds; none of those can occur
 * inside an escape sequence JSON.stringify writes. JSON.stringify escapes unpaired surrogates,
 * which are replaced beforehand.
 */

const NEEDS_CARE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const GO_ONLY_ESCAPES = /[<>&\u2028\u2029]/g;
const GO_ESCAPE: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A JSON string literal. An unpaired surrogate becomes U+FFFD, as Alertmanager's JSON decoder
 * turns one into U+FFFD when the alert arrives, so that is the character it would send.
 */
export function encodeString(value: string): string {
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  return JSON.stringify(value.replace(UNPAIRED_SURROGATE, '\ufffd')).replace(
    GO_ONLY_ESCAPES,
    (char) => GO_ESCAPE[char],
  );
}

/** A Go `map[string]string`: keys in UTF-8 byte order. */
export function encodeStringMap(map: LabelSet): string {
  const names = Object.keys(map).sort(compareUtf8);
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    out += `${i === 0 ? '' : ','}${encodeString(name)}:${encodeString(map[name])}`;
  }
  return `${out}}`;
}

/** Orders strings as Go compares them: by their UTF-8 bytes, i.e. by code point. */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// UTF-16 sorts U+E000–U+FFFF after the surrogates that encode U+10000 and above; code point
// order puts them before.
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Go's zero `time.Time`, as Alertmanager sends it for a firing alert's `endsAt`. */
export const ZERO_TIME = '"0001-01-01T00:00:00Z"';

/**
 * A `time.Time` in UTC as Go marshals it (RFC 3339 with the fraction's trailing zeros
 * trimmed). Go refuses years outside 0–9999, and so does this (RangeError).
 */
export function encodeTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  if (iso.length !== 24) throw new RangeError(`time ${iso} is outside the years 0-9999`);
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `"${iso.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z"`;
}
