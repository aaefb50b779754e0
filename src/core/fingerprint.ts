import { sortedNames, type LabelSet } from './label-set.ts';

const OFFSET_HIGH = 0xcbf29ce4;
const OFFSET_LOW = 0x84222325;
const PRIME_LOW = 0x1b3; // the 64-bit FNV prime is 2^40 + 0x1b3
const SEPARATOR = 0xff;

// The UTF-8 bytes of one character; reused so that the hot loop allocates nothing.
const charBytes = new Uint8Array(4);

/** Alertmanager's fingerprint: FNV-1a 64 over sorted `name 0xFF value 0xFF`, 16 hex digits. */
export function fingerprint(labels: LabelSet): string {
  // The 64-bit state as two 32-bit halves, multiplied in 16-bit pieces to stay exact.
  let high = OFFSET_HIGH | 0;
  let low = OFFSET_LOW | 0;
  for (const name of sortedNames(labels)) {
    for (const s of [name, labels[name]]) {
      for (let i = 0; i <= s.length; ) {
        let count = 1;
        if (i === s.length) charBytes[0] = SEPARATOR;
        else count = encodeCharAt(s, i);
        i += count === 4 ? 2 : 1;
        for (let k = 0; k < count; k++) {
          const x = low ^ charBytes[k];
          const lowPart = (x & 0xffff) * PRIME_LOW;
          const highPart = (x >>> 16) * PRIME_LOW + (lowPart >>> 16);
          low = ((highPart & 0xffff) << 16) | (lowPart & 0xffff);
          // The 2^40 term of the prime moves the low word's bottom 24 bits into the high word.
          high = (Math.imul(high, PRIME_LOW) + (highPart >>> 16) + (x << 8)) | 0;
        }
      }
    }
  }
  return hex8(high) + hex8(low);
}

/**
 * Writes the UTF-8 encoding of the character at s[i] into charBytes and returns its length
 * (4 only for a surrogate pair). A lone surrogate counts as U+FFFD, as Go's JSON decoder makes it.
 */
function encodeCharAt(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c < 0x80) {
    charBytes[0] = c;
    return 1;
  }
  if (c < 0x800) {
    charBytes[0] = 0xc0 | (c >> 6);
    charBytes[1] = 0x80 | (c & 0x3f);
    return 2;
  }
  const next = s.charCodeAt(i + 1);
  if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
    c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
    charBytes[0] = 0xf0 | (c >> 18);
    charBytes[1] = 0x80 | ((c >> 12) & 0x3f);
    charBytes[2] = 0x80 | ((c >> 6) & 0x3f);
    charBytes[3] = 0x80 | (c & 0x3f);
    return 4;
  }
  if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
  charBytes[0] = 0xe0 | (c >> 12);
  charBytes[1] = 0x80 | ((c >> 6) & 0x3f);
  charBytes[2] = 0x80 | (c & 0x3f);
  return 3;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// A table lookup per byte: number-to-string conversion is a visible cost on the ingest path.
function hex8(n: number): string {
  return HEX_BYTE[(n >>> 24) & 0xff] + HEX_BYTE[(n >>> 16) & 0xff] + HEX_BYTE[(n >>> 8) & 0xff] + HEX_BYTE[n & 0xff];
}
