import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  compareMatchers,
  formatMatcher,
  formatMatchers,
  matchesLabels,
  newMatcher,
  type Matcher,
  type MatchType,
} from '../../src/core/matcher.ts';
import { MatcherParseError, parseMatcher, parseMatchers } from '../../src/core/parse-matchers.ts';
import { compileRegex, RegexSyntaxError } from '../../src/core/regex.ts';

const triple = (m: Matcher): [string, MatchType, string] => [m.name, m.type, m.value];

describe('newMatcher and matchesLabels', () => {
  it('applies the four operators', () => {
    assert.equal(newMatcher('=', 'a', 'x').matches('x'), true);
    assert.equal(newMatcher('=', 'a', 'x').matches('xx'), false);
    assert.equal(newMatcher('!=', 'a', 'x').matches('y'), true);
    assert.equal(newMatcher('!=', 'a', 'x').matches('x'), false);
    assert.equal(newMatcher('=~', 'a', 'x+').matches('xxx'), true);
    assert.equal(newMatcher('!~', 'a', 'x+').matches('xxx'), false);
    assert.equal(newMatcher('!~', 'a', 'x+').matches('y'), true);
  });

  it('anchors regexes around the whole pattern', () => {
    const m = newMatcher('=~', 'a', 'foo|bar');
    assert.equal(m.matches('foo'), true);
    assert.equal(m.matches('bar'), true);
    assert.equal(m.matches('foobar'), false);
    assert.equal(m.matches('xfoo'), false);
    assert.equal(newMatcher('=~', 'a', 'foo').matches('foo\n'), false);
  });

  it('treats a missing label as the empty string', () => {
    assert.equal(matchesLabels([newMatcher('!=', 'foo', 'bar')], {}), true);
    assert.equal(matchesLabels([newMatcher('=', 'foo', '')], {}), true);
    assert.equal(matchesLabels([newMatcher('=~', 'foo', '.*')], {}), true);
    assert.equal(matchesLabels([newMatcher('=~', 'foo', '.+')], {}), false);
    assert.equal(matchesLabels([newMatcher('=', 'toString', '')], {}), true, 'no Object.prototype members');
  });

  it('ANDs the matchers', () => {
    const ms = [newMatcher('=', 'a', '1'), newMatcher('=~', 'b', '2|3')];
    assert.equal(matchesLabels(ms, { a: '1', b: '3' }), true);
    assert.equal(matchesLabels(ms, { a: '1', b: '4' }), false);
    assert.equal(matchesLabels([], { a: '1' }), true);
  });

  it('rejects an invalid regex with an error naming the pattern and the reason', () => {
    assert.throws(
      () => newMatcher('=~', 'a', 'x(y'),
      (err: unknown) => err instanceof RegexSyntaxError && err.pattern === 'x(y' && /x\(y/.test(err.message) && /missing \)/.test(err.reason),
    );
  });
});

describe('compileRegex (RE2 semantics)', () => {
  const matches = (pattern: string, s: string): boolean => compileRegex(pattern)(s);

  it('rejects what RE2 lacks: look-around and back-references', () => {
    for (const p of ['(?=a)a', '(?!a)b', '(?<=a)b', '(?<!a)b', '(a)\\1']) assert.throws(() => compileRegex(p), RegexSyntaxError, p);
  });

  it('rejects what Go rejects: unknown escapes and duplicate group names', () => {
    for (const p of ['\\u0041', '\\cA', '\\C']) assert.throws(() => compileRegex(p), /invalid escape sequence/, p);
    assert.throws(() => compileRegex('(?P<n>a)(?<n>b)'), /duplicate capture group name/);
    assert.equal(compileRegex('(?P<n>a)\\Q(?P<n>b)\\E')('a(?P<n>b)'), true, 'not a group inside \\Q…\\E');
  });

  it('keeps Go meaning where JavaScript differs', () => {
    assert.equal(matches('a.b', 'a\rb'), true, '. matches \\r');
    assert.equal(matches('a.b', 'a\u2028b'), true, '. matches U+2028');
    assert.equal(matches('a.b', 'a\nb'), false, '. excludes \\n');
    assert.equal(matches('(?s)a.b', 'a\nb'), true);
    assert.equal(matches('(?i)abc', 'ABC'), true);
    assert.equal(matches('(?P<n>a)b', 'ab'), true);
    assert.equal(matches('(?<n>a)b', 'ab'), true);
    assert.equal(matches('\\pL+', 'héllo'), true);
    assert.equal(matches('[[:alpha:]]+', 'abc'), true);
    assert.equal(matches('.', '😀'), true, 'one code point');
    assert.equal(matches('', ''), true);
    assert.equal(matches('a.b', 'a\ud800b'), true, 'a lone surrogate is one U+FFFD');
    assert.equal(matches('a\ufffdb', 'a\udc00b'), true);
  });

  it('treats \\Q…\\E and classes as Go does', () => {
    assert.equal(matches('\\Q/\\E', '/'), true);
    assert.equal(matches('\\Q/\\E', '\\/'), false);
    assert.equal(matches('\\Q(?<a\\E', '(?<a'), true);
    assert.equal(matches('\\Q.*\\E', 'ab'), false);
    assert.throws(() => compileRegex('\\Qa.b'), /missing \)/, 'as in Go, an unclosed \\Q swallows the anchoring `)$`');
    assert.equal(matches('[(?<]', 'P'), false);
    assert.equal(matches('[(?<]', '<'), true);
    assert.equal(matches('a/b', 'a/b'), true);
    assert.throws(() => compileRegex('[\\Q]\\E]'), RegexSyntaxError, '\\Q inside a class');
  });

  it('gives the same answers from its memo, past its bound', () => {
    const test = compileRegex('[0-9]+[13579]');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) assert.equal(test(String(i)), i >= 10 && i % 2 === 1, String(i));
    }
  });

  it('shares one program per pattern and frees programs no longer used', async () => {
    assert.equal(compileRegex('shared|pattern'), compileRegex('shared|pattern'));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // re2-wasm's fixed heap holds about 9k such programs: 12k only fit if unused ones are freed.
    for (let batch = 0; batch < 12; batch++) {
      for (let i = 0; i < 1000; i++) assert.equal(compileRegex(`p${batch}_${i}|x+`)('xx'), true);
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  });
});

describe('formatMatcher and formatMatchers', () => {
  it('renders name, operator and escaped value', () => {
    assert.equal(formatMatcher(newMatcher('=', 'team', 'db')), 'team="db"');
    assert.equal(formatMatcher(newMatcher('=~', 'sev', 'crit|page')), 'sev=~"crit|page"');
    assert.equal(formatMatcher(newMatcher('!=', 'msg', 'say "hi"\\\n\t')), 'msg!="say \\"hi\\"\\\\\\n\t"');
    assert.equal(formatMatcher(newMatcher('!~', 'city', 'Zürich\u00a0')), 'city!~"Zürich\u00a0"');
  });

  it('Go-quotes name and value when the name has a reserved character', () => {
    assert.equal(formatMatcher(newMatcher('=', 'foo bar', 'x\ty')), '"foo bar"="x\\ty"');
    assert.equal(formatMatcher(newMatcher('=', 'a,b', 'v')), '"a,b"="v"');
    assert.equal(formatMatcher(newMatcher('=', 'a\u00a0b', 'v')), '"a\\u00a0b"="v"');
    for (const ch of ['{', '}', '!', '=', '~', ',', '\\', '"', "'", '`', '\n', '\u0085', '\u3000']) {
      assert.match(formatMatcher(newMatcher('=', `x${ch}`, 'v')), /^"/, JSON.stringify(ch));
    }
    for (const ch of ['.', ':', '-', 'é', '😀', '\ufeff']) {
      assert.match(formatMatcher(newMatcher('=', `x${ch}`, 'v')), /^x/, JSON.stringify(ch));
    }
  });

  it('joins with a bare comma inside braces', () => {
    assert.equal(formatMatchers([]), '{}');
    assert.equal(formatMatchers([newMatcher('=', 'a', '1'), newMatcher('!~', 'b', '2')]), '{a="1",b!~"2"}');
  });
});

describe('compareMatchers', () => {
  it('sorts by name, then value, then = != =~ !~', () => {
    const ms = [
      newMatcher('!~', 'b', 'x'),
      newMatcher('=~', 'b', 'x'),
      newMatcher('!=', 'b', 'x'),
      newMatcher('=', 'b', 'x'),
      newMatcher('=', 'b', 'a'),
      newMatcher('=', '\u{1f600}', 'x'),
      newMatcher('=', '\uff61', 'x'),
      newMatcher('=', 'a', 'z'),
    ];
    assert.deepEqual(
      ms.sort(compareMatchers).map(triple),
      [
        ['a', '=', 'z'],
        ['b', '=', 'a'],
        ['b', '=', 'x'],
        ['b', '!=', 'x'],
        ['b', '=~', 'x'],
        ['b', '!~', 'x'],
        ['\uff61', '=', 'x'],
        ['\u{1f600}', '=', 'x'],
      ],
    );
  });
});

describe('parseMatchers', () => {
  const accepted: [string, [string, MatchType, string][]][] = [
    ['', []],
    ['{}', []],
    ['foo=bar', [['foo', '=', 'bar']]],
    ['{foo=bar,}', [['foo', '=', 'bar']]],
    ['{ foo = bar , baz !~ "q" , }', [['foo', '=', 'bar'], ['baz', '!~', 'q']]],
    ['foo=~[a-z]+', [['foo', '=~', '[a-z]+']]],
    ['foo!=🙂bar', [['foo', '!=', '🙂bar']]],
    ['{"foo"="\\xf0\\x9f\\x99\\x82"}', [['foo', '=', '🙂']]],
    ['"foo"="\\U0001f642",', [['foo', '=', '🙂']]],
    ['{"foo"="bar\\n\\t\\"\\\\"}', [['foo', '=', 'bar\n\t"\\']]],
    ['"foo bar"=~"a,b"', [['foo bar', '=~', 'a,b']]],
    ['{foo🙂=bar,bar=baz🙂}', [['foo🙂', '=', 'bar'], ['bar', '=', 'baz🙂']]],
    ['a="x,y", b = "q\\"r" ,', [['a', '=', 'x,y'], ['b', '=', 'q"r']]],
  ];
  for (const [input, expected] of accepted) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseMatchers(input).map(triple), expected));
  }

  const classicFallback: [string, string, [string, MatchType, string][]][] = [
    ['a bare value with a space', 'foo=bar baz', [['foo', '=', 'bar baz']]],
    ['reserved characters in bare values', '{foo=!bar,bar=$baz\\n}', [['foo', '=', '!bar'], ['bar', '=', '$baz\n']]],
    ['a regex escape invalid in Go strings', 'foo=~"\\d+"', [['foo', '=~', '\\d+']]],
    ['a literal newline inside quotes', 'foo="a\nb"', [['foo', '=', 'a\nb']]],
    ['an escape producing invalid UTF-8', 'a="\\377"', [['a', '=', '\\377']]],
    ['a missing close brace', '{foo=bar', [['foo', '=', 'bar']]],
    ['a lone open brace', '{', []],
  ];
  for (const [why, input, expected] of classicFallback) {
    it(`falls back to the classic parser for ${why}`, () => assert.deepEqual(parseMatchers(input).map(triple), expected));
  }

  const disagreements: [string, string, [string, MatchType, string][]][] = [
    ['byte escapes', '{foo="\\xf0\\x9f\\x99\\x82"}', [['foo', '=', '\\xf0\\x9f\\x99\\x82']]],
    ['a \\t escape', 'foo="\\t"', [['foo', '=', '\\t']]],
    ['a non-breaking space', 'a=\u00a0b\u00a0', [['a', '=', '\u00a0b']]],
  ];
  for (const [why, input, expected] of disagreements) {
    it(`prefers the classic result when both parse ${why} differently`, () => assert.deepEqual(parseMatchers(input).map(triple), expected));
  }

  const rejected: [string, RegExp][] = [
    [',', /0:1: unexpected ,: expected label name/],
    ['{,}', /1:2: unexpected ,/],
    ['a=b,,', /4:5: unexpected ,/],
    ['{foo!bar}', /expected one of '=~'/],
    ['{foo=:"bar"}', /6:11: unexpected "bar": expected a comma or close brace/],
    ['{"foo"="\\xf0\\x9f"}', /invalid UTF-8/],
    ['{foo="a"}}', /9:10: }: expected end of input/],
    ['foo=~"("', /invalid regular expression "\("/],
    ['0foo=bar baz', /expected a comma or close brace/],
  ];
  for (const [input, message] of rejected) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseMatchers(input), (err: unknown) => err instanceof MatcherParseError && err.input === input && message.test(err.message));
    });
  }
});

describe('parseMatcher (API filter)', () => {
  it('parses exactly one matcher', () => {
    assert.deepEqual(triple(parseMatcher('foo=bar')), ['foo', '=', 'bar']);
    assert.deepEqual(triple(parseMatcher('foo🙂=~"a|b"')), ['foo🙂', '=~', 'a|b']);
    assert.deepEqual(triple(parseMatcher('foo=!bar\\n')), ['foo', '=', '!bar\n']);
  });

  it('reads a comma as part of the value, as the classic single-matcher parser does', () => {
    assert.deepEqual(triple(parseMatcher('foo=bar,bar=baz')), ['foo', '=', 'bar,bar=baz']);
  });

  it('rejects braces, emptiness and bad syntax', () => {
    assert.throws(() => parseMatcher('{foo=bar}'), /unexpected open or close brace/);
    assert.throws(() => parseMatcher('foo=bar}'), /unexpected open or close brace/);
    assert.throws(() => parseMatcher(''), /no matchers/);
    assert.throws(() => parseMatcher('foo!bar'), MatcherParseError);
  });
});
