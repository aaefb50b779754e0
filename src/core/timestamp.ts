/**
 * Go's zero `time.Time` (0001-01-01T00:00:00Z) in epoch milliseconds. Alertmanager treats a zero
 * startsAt/endsAt as "not set", and its webhooks send it as the endsAt of firing alerts.
 */
export const ZERO_TIME = -62135596800000;

const MS_PER_DAY = 86_400_000;

/**
 * Strict RFC 3339 (`2024-05-01T10:00:00.123456789+02:00`): uppercase `T` and `Z`, any number of
 * fraction digits, `Z` or `±hh:mm`. Returns epoch milliseconds (sub-millisecond digits dropped,
 * so an instant within a millisecond of Go's zero time reads as zero) or undefined if invalid.
 */
export function parseTimestamp(text: string): number | undefined {
  return parseDateTime(text, false);
}

/**
 * What Alertmanager's API accepts for a `date-time` (go-openapi's layouts): RFC 3339 plus
 * `,` before the fraction, no zone (read as UTC), `±hhmm` after exactly 3 or 6 fraction digits,
 * minutes precision (`2024-05-01T10:00Z` or without `Z`) and `2024-05-01 10:00:00[.fraction]`.
 * The empty string is the Unix epoch, as in Alertmanager.
 */
export function parseApiTime(text: string): number | undefined {
  return text === '' ? 0 : parseDateTime(text, true);
}

/** API v2 rendering: RFC 3339 in UTC with milliseconds, `2024-05-01T10:00:00.000Z`. */
export function formatApiTime(ms: number): string {
  return new Date(ms).toISOString();
}

function parseDateTime(text: string, lenient: boolean): number | undefined {
  const length = text.length;
  if (length < 16 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return undefined;
  const separator = text.charCodeAt(10);
  const spaced = separator === SPACE;
  if (separator !== UPPER_T && !(lenient && spaced)) return undefined;
  if (text.charCodeAt(13) !== COLON) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;

  let pos = 16;
  let second = 0;
  let millis = 0;
  let fractionDigits = 0;
  const hasSeconds = pos < length && text.charCodeAt(pos) === COLON;
  if (hasSeconds) {
    second = digits(text, 17, 2);
    if (second < 0 || second > 59) return undefined;
    pos = 19;
    const mark = text.charCodeAt(pos);
    if (mark === DOT || (lenient && mark === COMMA)) {
      pos++;
      const start = pos;
      for (let code = text.charCodeAt(pos); code >= ZERO && code <= NINE; ) {
        if (pos - start < 3) millis = millis * 10 + (code - ZERO);
        code = text.charCodeAt(++pos);
      }
      fractionDigits = pos - start;
      if (fractionDigits === 0) return undefined;
      for (let d = fractionDigits; d < 3; d++) millis *= 10;
    }
  } else if (!lenient || spaced) {
    return undefined;
  }

  const offsetMinutes = zoneOffset(text, pos, lenient, hasSeconds, spaced, fractionDigits);
  if (offsetMinutes === undefined) return undefined;
  const days = daysFromCivil(year, month, day);
  const secondsOfDay = hour * 3600 + minute * 60 + second;
  return days * MS_PER_DAY + secondsOfDay * 1000 + millis - offsetMinutes * 60_000;
}

/** The zone suffix starting at pos, in minutes east of UTC; undefined if the layout forbids it. */
function zoneOffset(
  text: string,
  pos: number,
  lenient: boolean,
  hasSeconds: boolean,
  spaced: boolean,
  fractionDigits: number,
): number | undefined {
  const length = text.length;
  if (pos === length) return lenient ? 0 : undefined;
  if (spaced) return undefined;
  const sign = text.charCodeAt(pos);
  if (sign === UPPER_Z) return pos + 1 === length ? 0 : undefined;
  if (!hasSeconds || (sign !== PLUS && sign !== DASH)) return undefined;
  const hours = digits(text, pos + 1, 2);
  let minutes: number;
  if (pos + 6 === length && text.charCodeAt(pos + 3) === COLON) {
    minutes = digits(text, pos + 4, 2);
  } else if (lenient && pos + 5 === length && (fractionDigits === 3 || fractionDigits === 6)) {
    minutes = digits(text, pos + 3, 2);
  } else {
    return undefined;
  }
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  const offset = hours * 60 + minutes;
  return sign === PLUS ? offset : -offset;
}

/** The decimal number in text[start, start+count), or -1 if any of it is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i);
    if (code < ZERO || code > NINE) return -1;
    value = value * 10 + (code - ZERO);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Date.UTC misreads years 0-99). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const SPACE = 0x20;
const PLUS = 0x2b;
const COMMA = 0x2c;
const DASH = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_T = 0x54;
const UPPER_Z = 0x5a;
