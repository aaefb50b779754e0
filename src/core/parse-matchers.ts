import { hasReservedChar, isGoSpace, newMatcher, type Matcher, type MatchType } from './matcher.ts';
import { RegexSyntaxError } from './regex.ts';

export class MatcherParseError extends Error {
  override readonly name = 'MatcherParseError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`cannot parse matchers ${JSON.stringify(input)}: ${reason}`);
  }
}

/** A config `matchers:` line: one or more matchers, optionally in braces. */
export function parseMatchers(text: string): Matcher[] {
  return classicElseUtf8(text, () => parseClassicList(text), () => parseUtf8(text));
}

/** An API `filter` value: exactly one matcher, no braces. */
export function parseMatcher(text: string): Matcher {
  if (text.startsWith('{') || text.endsWith('}')) throw new MatcherParseError(text, 'unexpected open or close brace');
  const one = (): Matcher[] => {
    const ms = parseUtf8(text);
    if (ms.length !== 1) throw new Error(ms.length === 0 ? 'no matchers' : `expected 1 matcher, found ${ms.length}`);
    return ms;
  };
  return classicElseUtf8(text, () => [parseClassicOne(text)], one)[0];
}

/**
 * Alertmanager's default mode parses with both syntaxes and keeps the UTF-8 result only when
 * the classic parser fails: when both succeed it takes the classic result if they differ, and
 * if they agree the results are equal. The UTF-8 error is the one reported: it has positions.
 */
function classicElseUtf8(text: string, classic: () => Matcher[], utf8: () => Matcher[]): Matcher[] {
  try {
    return classic();
  } catch {
    try {
      return utf8();
    } catch (err) {
      throw new MatcherParseError(text, err instanceof Error ? err.message : String(err));
    }
  }
}

function buildMatcher(type: MatchType, name: string, value: string): Matcher {
  try {
    return newMatcher(type, name, value);
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw new Error(`failed to create matcher: ${err.message}`);
    throw err;
  }
}

// ---- UTF-8 syntax: `{name op value, ...}` with bare or Go-quoted names and values ----------

type TokenKind = '{' | '}' | ',' | MatchType | 'quoted' | 'bare';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Columns in code points, as Alertmanager reports them. */
  readonly start: number;
  readonly end: number;
}

function parseUtf8(text: string): Matcher[] {
  const tokens = lex(text);
  const columns = [...text].length;
  let next = 0;
  const peek = (): Token | undefined => tokens[next];
  const take = (kinds: readonly TokenKind[], expected: string): Token => {
    const t = tokens[next];
    if (t === undefined) throw new Error(`${columns}:${columns}: end of input: ${expected}`);
    if (!kinds.includes(t.kind)) throw new Error(`${t.start}:${t.end}: unexpected ${t.text}: ${expected}`);
    next++;
    return t;
  };

  const matchers: Matcher[] = [];
  const braced = peek()?.kind === '{';
  if (braced) next++;
  while (peek() !== undefined && peek()!.kind !== '}') {
    const name = unquoteToken(take(['quoted', 'bare'], 'expected label name'));
    const op = take(['=', '!=', '=~', '!~'], "expected an operator such as '=', '!=', '=~' or '!~'");
    const value = unquoteToken(take(['quoted', 'bare'], 'expected label value'));
    matchers.push(buildMatcher(op.kind as MatchType, name, value));
    if (peek() === undefined || peek()!.kind === '}') break;
    take([','], 'expected a comma or close brace');
  }
  const close = peek();
  if (braced) take(['}'], 'expected close brace');
  else if (close !== undefined) throw new Error(`${close.start}:${close.end}: ${close.text}: expected opening brace`);
  const extra = peek();
  if (extra !== undefined) throw new Error(`${extra.start}:${extra.end}: ${extra.text}: expected end of input`);
  return matchers;
}

function lex(text: string): Token[] {
  const chars = Array.from(text);
  const tokens: Token[] = [];
  const emit = (kind: TokenKind, start: number, end: number): void => {
    tokens.push({ kind, text: chars.slice(start, end).join(''), start, end });
  };
  for (let i = 0; i < chars.length; ) {
    const c = chars[i];
    const start = i;
    if (isGoSpace(c)) {
      i++;
    } else if (c === '{' || c === '}' || c === ',') {
      emit(c, start, ++i);
    } else if (c === '=') {
      i += chars[i + 1] === '~' ? 2 : 1;
      emit(i - start === 2 ? '=~' : '=', start, i);
    } else if (c === '!') {
      const second = chars[i + 1];
      if (second !== '=' && second !== '~') throw new Error(`${i + 1}:${i + 2}: expected one of '=~' after '!'`);
      i += 2;
      emit(second === '=' ? '!=' : '!~', start, i);
    } else if (c === '"') {
      for (i++; i < chars.length && chars[i] !== '"'; i++) if (chars[i] === '\\') i++;
      if (i >= chars.length) throw new Error(`${start}:${chars.length}: ${chars.slice(start).join('')}: missing end "`);
      emit('quoted', start, ++i);
    } else if (hasReservedChar(c)) {
      throw new Error(`${start}:${start + 1}: ${c}: invalid input`);
    } else {
      while (i < chars.length && !hasReservedChar(chars[i])) i++;
      emit('bare', start, i);
    }
  }
  return tokens;
}

function unquoteToken(t: Token): string {
  if (t.kind === 'bare') return t.text;
  try {
    return unquoteGo(t.text.slice(1, -1));
  } catch (err) {
    throw new Error(`${t.start}:${t.end}: ${t.text}: invalid input (${(err as Error).message})`);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"',
};
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body of a Go double-quoted string literal (strconv.Unquote); the result must be UTF-8. */
function unquoteGo(body: string): string {
  if (!body.includes('\\')) {
    if (body.includes('\n')) throw new Error('newline in quoted string');
    return body;
  }
  const parts: Buffer[] = [];
  let plain = '';
  const flush = (): void => {
    parts.push(Buffer.from(plain, 'utf8'));
    plain = '';
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\n') throw new Error('newline in quoted string');
    if (c !== '\\') {
      plain += c;
      continue;
    }
    const e = body[++i] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      plain += simple;
    } else if (e === 'x' || (e >= '0' && e <= '7')) {
      const digits = e === 'x' ? body.slice(i + 1, i + 3) : body.slice(i, i + 3);
      const byte = e === 'x' ? parseDigits(digits, 2, 16) : parseDigits(digits, 3, 8);
      if (byte > 0xff) throw new Error(`octal escape \\${digits} is above \\377`);
      flush();
      parts.push(Buffer.of(byte));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const width = e === 'u' ? 4 : 8;
      const cp = parseDigits(body.slice(i + 1, i + 1 + width), width, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new Error(`\\${e} escape is not a valid code point`);
      plain += String.fromCodePoint(cp);
      i += width;
    } else {
      throw new Error(`unknown escape \\${e}`);
    }
  }
  flush();
  try {
    return strictUtf8.decode(Buffer.concat(parts));
  } catch {
    throw new Error('quoted string contains invalid UTF-8 code points');
  }
}

function parseDigits(digits: string, width: number, radix: 8 | 16): number {
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (digits.length !== width || !valid.test(digits)) throw new Error(`bad escape digits ${JSON.stringify(digits)}`);
  return parseInt(digits, radix);
}

// ---- Classic syntax: Prometheus label names, values optionally in double quotes ------------

// Go's \s is [\t\n\f\r ]; `(?s).*?` keeps the value lazy so trailing whitespace is dropped.
const CLASSIC = /^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*([\s\S]*?)[\t\n\f\r ]*$/;

function parseClassicList(text: string): Matcher[] {
  let s = text.startsWith('{') ? text.slice(1) : text;
  if (s.endsWith('}')) s = s.slice(0, -1);
  const pieces: string[] = [];
  let piece = '';
  let quoted = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',') {
      if (!quoted) {
        pieces.push(piece);
        piece = '';
        continue;
      }
    } else if (c === '"') {
      if (escaped) escaped = false;
      else quoted = !quoted;
    } else {
      escaped = c === '\\' && !escaped;
    }
    piece += c;
  }
  const last = trimGoSpace(piece);
  if (last !== '') pieces.push(last);
  return pieces.map(parseClassicOne);
}

function trimGoSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s[start])) start++;
  while (end > start && isGoSpace(s[end - 1])) end--;
  return s.slice(start, end);
}

function parseClassicOne(text: string): Matcher {
  const m = CLASSIC.exec(text);
  if (m === null) throw new Error(`bad matcher format: ${text}`);
  const [, name, op, raw] = m;
  const quoted = raw.startsWith('"');
  const body = quoted ? raw.slice(1) : raw;
  let value = '';
  let closed = !quoted;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    const last = i === body.length - 1;
    if (c === '\\' && !last) {
      const e = body[++i];
      value += e === 'n' ? '\n' : e === '"' || e === '\\' ? e : '\\' + e;
    } else if (c === '"') {
      if (closed || !last) throw new Error(`matcher value contains unescaped double quote: ${raw}`);
      closed = true;
    } else {
      value += c;
    }
  }
  if (!closed) throw new Error(`matcher value contains unescaped double quote: ${raw}`);
  return buildMatcher(op as MatchType, name, value);
}
