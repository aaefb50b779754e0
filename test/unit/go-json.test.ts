import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ZERO_TIME,
  compareUtf8,
  encodeString,
  encodeStringMap,
  encodeTime,
} from '../../src/notify/go-json.ts';

/** Go's encodeState.string (escapeHTML on, Go ≥ 1.22), one code point at a time. */
function goReference(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

describe('encodeString', () => {
  it('leaves plain text alone', () => {
    assert.equal(encodeString('HighLatency a:9100 é😀'), '"HighLatency a:9100 é😀"');
    assert.equal(encodeString(''), '""');
  });

  it('escapes <, > and & as Go does', () => {
    assert.equal(
      encodeString('http://prom:9090/graph?g0.expr=up&g0.tab=1 <b>'),
      '"http://prom:9090/graph?g0.expr=up\\u0026g0.tab=1 \\u003cb\\u003e"',
    );
  });

  it('escapes U+2028 and U+2029', () => {
    assert.equal(encodeString('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"');
  });

  it('uses short escapes for \\b \\f \\n \\r \\t and \\u00xx for other controls, DEL raw', () => {
    assert.equal(encodeString('\b\f\n\r\t\u0000\u0001\u001f\u007f'), '"\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\u007f"');
  });

  it('escapes quotes and backslashes', () => {
    assert.equal(encodeString('q"bs\\'), '"q\\"bs\\\\"');
  });

  it('turns unpaired surrogates into U+FFFD and keeps pairs', () => {
    assert.equal(encodeString('\ud800\udc00x\udc00y\ud83d'), '"\u{10000}x\ufffdy\ufffd"');
  });

  it('does not mistake an escaped backslash followed by text for an escape', () => {
    assert.equal(encodeString('\\ud800 \\u003c'), '"\\\\ud800 \\\\u003c"');
  });

  it('matches a code-point-by-code-point model of Go for any UTF-16 string', () => {
    const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 });
    fc.assert(
      fc.property(codeUnits, (units) => {
        const value = String.fromCharCode(...units);
        assert.equal(encodeString(value), goReference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the model on strings dense in special characters', () => {
    const special = fc.constantFrom(
      ...['<', '>', '&', '"', '\\', '\u2028', '\u2029', '\u0001', '\b', '\u007f', 'u', 'd', '8', 'a'],
      ...['\ud800', '\udfff', '\ud83d', '\ude00', '\ue000', '\ufffd'],
    );
    fc.assert(
      fc.property(fc.array(special, { maxLength: 30 }), (chars) => {
        const value = chars.join('');
        assert.equal(encodeString(value), goReference(value));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compareUtf8', () => {
  it('orders by code point where UTF-16 would not', () => {
    const keys = ['\u{1F600}', '\ue000', 'b', 'a', 'ab', '\u00e9'];
    assert.deepEqual(keys.sort(compareUtf8), ['a', 'ab', 'b', '\u00e9', '\ue000', '\u{1F600}']);
  });

  it('agrees with comparing UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 }), (a, b) => {
        assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeStringMap', () => {
  it('sorts keys by bytes and escapes keys and values', () => {
    assert.equal(
      encodeStringMap({ z: '1', a: '<', '\u{1F600}': 'x', '\ue000': 'y', B: '2' }),
      '{"B":"2","a":"\\u003c","z":"1","\ue000":"y","\u{1F600}":"x"}',
    );
  });

  it('writes an empty map as {}', () => {
    assert.equal(encodeStringMap({}), '{}');
  });

  it('keeps a __proto__ label like any other', () => {
    assert.equal(encodeStringMap(JSON.parse('{"__proto__":"p","a":"b"}')), '{"__proto__":"p","a":"b"}');
  });
});

describe('encodeTime', () => {
  it('trims trailing zeros of the fraction and drops an empty one', () => {
    assert.equal(encodeTime(Date.UTC(2024, 4, 1, 10, 0, 0, 0)), '"2024-05-01T10:00:00Z"');
    assert.equal(encodeTime(Date.UTC(2024, 4, 1, 10, 0, 0, 100)), '"2024-05-01T10:00:00.1Z"');
    assert.equal(encodeTime(Date.UTC(2024, 4, 1, 10, 0, 0, 120)), '"2024-05-01T10:00:00.12Z"');
    assert.equal(encodeTime(Date.UTC(2024, 4, 1, 10, 0, 0, 123)), '"2024-05-01T10:00:00.123Z"');
    assert.equal(encodeTime(Date.UTC(2024, 4, 1, 10, 0, 0, 5)), '"2024-05-01T10:00:00.005Z"');
  });

  it('renders times before 1970 and the year 0', () => {
    assert.equal(encodeTime(Date.UTC(1969, 11, 31, 23, 59, 59, 990)), '"1969-12-31T23:59:59.99Z"');
    assert.equal(encodeTime(-62167219200000), '"0000-01-01T00:00:00Z"');
  });

  it('is the encoding of Go zero time for 0001-01-01', () => {
    assert.equal(encodeTime(-62135596800000), ZERO_TIME);
  });

  it('refuses years outside 0-9999 like Go', () => {
    assert.throws(() => encodeTime(Date.UTC(10000, 0, 1)), RangeError);
    assert.throws(() => encodeTime(-62167219200001), RangeError);
    assert.throws(() => encodeTime(Number.NaN), RangeError);
  });
});
