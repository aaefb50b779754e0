import { compareBytes, goQuote, labelValue, type LabelSet } from './label-set.ts';
import { compileRegex } from './regex.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  /** For regex types: the pattern as written (Alertmanager anchors it when compiling). */
  readonly value: string;
  matches(value: string): boolean;
}

/** Throws RegexSyntaxError (from regex.ts) for an invalid pattern. */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  return { name, type, value, matches: valueTest(type, value) };
}

function valueTest(type: MatchType, value: string): (s: string) => boolean {
  switch (type) {
    case '=':
      return (s) => s === value;
    case '!=':
      return (s) => s !== value;
    case '=~':
      return compileRegex(value);
    case '!~': {
      const test = compileRegex(value);
      return (s) => !test(s);
    }
    default:
      throw new Error(`unknown match type ${JSON.stringify(type)}`);
  }
}

/** All matchers hold; a missing label matches as the empty string. */
export function matchesLabels(matchers: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of matchers) {
    if (!m.matches(labelValue(labels, m.name) ?? '')) return false;
  }
  return true;
}

// Go's unicode.IsSpace.
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_CHAR = new RegExp(`^[${SPACE}]$`);
const RESERVED = new RegExp(`[${SPACE}{}!=~,\\\\"'\`]`);

/** Whitespace as Go sees it (unicode.IsSpace), for a single character. */
export function isGoSpace(ch: string): boolean {
  return SPACE_CHAR.test(ch);
}

/** Whether s has a character that cannot appear in an unquoted token of the matcher syntax. */
export function hasReservedChar(s: string): boolean {
  return RESERVED.test(s);
}

/**
 * Alertmanager's Matcher.String: `name="value"` with only `\`, newline and `"` escaped, or both
 * sides Go-quoted when the name could not be read back unquoted.
 */
export function formatMatcher(m: Matcher): string {
  if (hasReservedChar(m.name)) return goQuote(m.name) + m.type + goQuote(m.value);
  return `${m.name}${m.type}"${m.value.replace(/[\\\n"]/g, openMetricsEscape)}"`;
}

function openMetricsEscape(ch: string): string {
  return ch === '\n' ? '\\n' : '\\' + ch;
}

/** Alertmanager's Matchers.String: `{a="1",b=~"2"}`. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return '{' + matchers.map(formatMatcher).join(',') + '}';
}

const TYPE_ORDER: Readonly<Record<MatchType, number>> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Alertmanager's matcher order: name, then value (byte order), then `=` `!=` `=~` `!~`. */
export function compareMatchers(a: Matcher, b: Matcher): number {
  return compareBytes(a.name, b.name) || compareBytes(a.value, b.value) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}
