import type { LabelSet } from './label-set.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  /** For regex types: the pattern as written (Alertmanager anchors it when compiling). */
  readonly value: string;
  matches(value: string): boolean;
}

export declare function newMatcher(type: MatchType, name: string, value: string): Matcher;
export declare function matchesLabels(matchers: readonly Matcher[], labels: LabelSet): boolean;
