import type { Matcher } from './matcher.ts';

/** A config `matchers:` line: one or more matchers, optionally in braces. */
export declare function parseMatchers(text: string): Matcher[];
/** An API `filter` value: exactly one matcher, no braces. */
export declare function parseMatcher(text: string): Matcher;
