// re2-wasm's RE2 class rewrites patterns as if they were JavaScript syntax (it changes `\Q/\E`
// and `[(?<]`) and leaks the program of every pattern it rejects, so its compiled RE2 wrapper
// is used directly.
import re2Wasm from 're2-wasm/build/wasm/re2.js';

/** Whether a whole string matches. */
export type RegexTest = (s: string) => boolean;

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
  }
}

interface Program {
  ok(): boolean;
  error(): string;
  match(input: string, start: number, captureGroups: boolean): { index: number };
  delete(): void;
}

const MEMO_ENTRIES = 1024;
const MEMO_MAX_LENGTH = 1024;

// The wasm heap is a fixed 16 MiB and programs are never freed on their own (a few thousand
// leak it dry), so each program is shared per pattern and deleted once no test uses it.
const byPattern = new Map<string, WeakRef<RegexTest>>();
const release = new FinalizationRegistry<{ pattern: string; program: Program }>(({ pattern, program }) => {
  if (byPattern.get(pattern)?.deref() === undefined) byPattern.delete(pattern);
  program.delete();
});

/**
 * Compiles a Go RE2 pattern, fully anchored as Alertmanager does (`^(?:P)$`). Results are
 * memoized per input string: label values repeat a lot and each RE2 call costs microseconds.
 */
export function compileRegex(pattern: string): RegexTest {
  const shared = byPattern.get(pattern)?.deref();
  if (shared !== undefined) return shared;
  const program = compileAnchored(pattern);
  const memo = new Map<string, boolean>();
  const test: RegexTest = (s) => {
    let matched = memo.get(s);
    if (matched === undefined) {
      matched = program.match(wellFormed(s), 0, false).index >= 0;
      if (s.length <= MEMO_MAX_LENGTH) {
        if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
        memo.set(s, matched);
      }
    }
    return matched;
  };
  byPattern.set(pattern, new WeakRef(test));
  release.register(test, { pattern, program });
  return test;
}

function compileAnchored(pattern: string): Program {
  const program: Program = new re2Wasm.WrappedRE2(`^(?:${toRe2Syntax(wellFormed(pattern))})$`, false, false, false) as unknown as Program;
  if (program.ok()) return program;
  const reason = program.error();
  program.delete();
  throw new RegexSyntaxError(pattern, reason);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Lone surrogates as U+FFFD, as Go's JSON decoder stores them (the wasm UTF-8 encoder mangles them). */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

const NAMED_GROUP = /\(\?P?<(?![=!])([^>]*)>/y;

/**
 * Where Go's regexp and the C++ RE2 in re2-wasm differ: Go rejects `\C` and duplicate group
 * names, and (since Go 1.22) accepts `(?<name>…)`, which is rewritten as `(?P<name>…)`.
 */
function toRe2Syntax(pattern: string): string {
  const groupNames = new Set<string>();
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const escaped = pattern[i + 1];
      if (escaped === 'C') throw new RegexSyntaxError(pattern, 'invalid escape sequence: \\C');
      const end = escaped === 'Q' && !inClass ? quotedEnd(pattern, i) : i + 2;
      out += pattern.slice(i, end);
      i = end - 1;
    } else if (inClass) {
      const posixEnd = c === '[' && pattern[i + 1] === ':' ? pattern.indexOf(':]', i + 2) : -1;
      if (posixEnd >= 0) {
        out += pattern.slice(i, posixEnd + 2);
        i = posixEnd + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else {
      NAMED_GROUP.lastIndex = i;
      const group = c === '(' ? NAMED_GROUP.exec(pattern) : null;
      if (group === null) {
        out += c;
        continue;
      }
      const name = group[1];
      if (groupNames.has(name)) throw new RegexSyntaxError(pattern, `duplicate capture group name: ${name}`);
      groupNames.add(name);
      out += `(?P<${name}>`;
      i += group[0].length - 1;
    }
  }
  return out;
}

/** The index after the `\E` closing the `\Q` at start, or the end: `\Q…\E` is all literal. */
function quotedEnd(pattern: string, start: number): number {
  const end = pattern.indexOf('\\E', start + 2);
  return end < 0 ? pattern.length : end + 2;
}
