import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatApiTime, parseApiTime, parseTimestamp, ZERO_TIME } from '../../src/core/timestamp.ts';

describe('parseTimestamp (strict RFC 3339)', () => {
  const valid: [string, number][] = [
    ['1970-01-01T00:00:00Z', 0],
    ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T10:00:00.5Z', Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ['2024-05-01T10:00:00.123456789Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-05-01T10:00:00.999999999999Z', Date.UTC(2024, 4, 1, 10, 0, 0, 999)],
    ['2024-05-01T12:30:00+02:30', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T07:00:00-03:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    // Sub-millisecond digits are dropped towards the past, also before 1970.
    ['1969-12-31T23:59:59.9999Z', -1],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${text}`, () => assert.equal(parseTimestamp(text), ms));
  }

  it("reads Go's zero time as ZERO_TIME, which is its real instant", () => {
    assert.equal(parseTimestamp('0001-01-01T00:00:00Z'), ZERO_TIME);
    assert.equal(ZERO_TIME, new Date('0001-01-01T00:00:00Z').getTime());
    assert.equal(parseTimestamp('0001-01-01T01:00:00+01:00'), ZERO_TIME);
  });

  it('handles years below 100 (which Date.UTC maps to 19xx)', () => {
    assert.equal(parseTimestamp('0099-03-01T00:00:00Z'), new Date('0099-03-01T00:00:00Z').getTime());
    assert.equal(parseTimestamp('0000-01-01T00:00:00Z'), new Date('0000-01-01T00:00:00Z').getTime());
  });

  const invalid = [
    '',
    'yesterday',
    '2024-05-01',
    '2024-05-01T10:00Z',
    '2024-05-01T10:00:00',
    '2024-05-01 10:00:00Z',
    '2024-05-01t10:00:00z',
    '2024-05-01T10:00:00z',
    '2024-05-01T10:00:00.Z',
    '2024-05-01T10:00:00,5Z',
    '2024-05-01T10:00:00+0100',
    '2024-05-01T10:00:00.000+0100',
    '2024-05-01T10:00:00+01',
    '2024-05-01T10:00:00+24:00',
    '2024-05-01T10:00:00+01:60',
    '2024-05-01T10:00:00Z ',
    ' 2024-05-01T10:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-01T00:00:00Z',
    '2024-05-00T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T10:60:00Z',
    '2024-05-01T10:00:60Z',
    '12024-05-01T10:00:00Z',
    '+2024-05-01T10:00:00Z',
    '2024-5-01T10:00:00Z',
    '2024-05-01T10:00:0aZ',
  ];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseTimestamp(text), undefined));
  }
});

describe('parseApiTime (what go-openapi accepts)', () => {
  // Each was accepted (or rejected) by Alertmanager 0.25 on POST /api/v2/alerts.
  const accepted: [string, number][] = [
    ['2024-01-01T00:00:00Z', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00.25', Date.UTC(2024, 0, 1, 0, 0, 0, 250)],
    ['2024-01-01T00:00Z', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01 00:00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01 00:00:00.5', Date.UTC(2024, 0, 1, 0, 0, 0, 500)],
    ['2024-01-01T00:00:00.000+0100', Date.UTC(2023, 11, 31, 23)],
    ['2024-01-01T00:00:00.000000-0100', Date.UTC(2024, 0, 1, 1)],
    ['2024-02-03T23:59:59,5Z', Date.UTC(2024, 1, 3, 23, 59, 59, 500)],
    ['2024-02-03T23:59:59.123456789123Z', Date.UTC(2024, 1, 3, 23, 59, 59, 123)],
    // go-openapi reads "" as the Unix epoch (0.25 stored such an alert with startsAt 1970).
    ['', 0],
  ];
  for (const [text, ms] of accepted) {
    it(`accepts ${JSON.stringify(text)}`, () => assert.equal(parseApiTime(text), ms));
  }

  const rejected = [
    'yesterday',
    '2024-01-01',
    '2024-01-01t00:00:00z',
    '2024-01-01 00:00:00Z',
    '2024-01-01T00:00:00+0100',
    '2024-01-01T00:00:00.1+0100',
    '2024-01-01T00:00+01:00',
    '2024-01-01 00:00',
    '2024-02-30T00:00:00Z',
    '2024-02-03T24:00:00Z',
    '2024-02-03T23:59:60Z',
    '12024-02-03T23:59:59Z',
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseApiTime(text), undefined));
  }

  it('agrees with parseTimestamp on everything RFC 3339', () => {
    for (const text of ['2024-05-01T10:00:00.123456+05:45', '0001-01-01T00:00:00Z', '1999-12-31T23:59:59Z']) {
      assert.equal(parseApiTime(text), parseTimestamp(text));
    }
  });
});

describe('formatApiTime', () => {
  it('renders UTC with milliseconds', () => {
    assert.equal(formatApiTime(Date.UTC(2024, 4, 1, 10)), '2024-05-01T10:00:00.000Z');
    assert.equal(formatApiTime(Date.UTC(2024, 4, 1, 10, 0, 0, 7)), '2024-05-01T10:00:00.007Z');
    assert.equal(formatApiTime(ZERO_TIME), '0001-01-01T00:00:00.000Z');
  });

  it('round-trips through parseTimestamp', () => {
    for (const ms of [0, 1, -1, 1714557600123, ZERO_TIME, 253402300799999]) {
      assert.equal(parseTimestamp(formatApiTime(ms)), ms);
    }
  });
});
