import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RouteConfig } from '../../src/config/config.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import { newMatcher } from '../../src/core/matcher.ts';
import { parseMatchers } from '../../src/core/parse-matchers.ts';

/**
 * What scripts/am-vectors.ts recorded from the real Alertmanager 0.25. Where 0.25 and current
 * Alertmanager differ the vectors stay out of the way: no child route says `group_by: []`
 * (0.25 inherits the parent's, current Alertmanager groups by nothing), label names are
 * classic (0.25 rejects UTF-8 names and only has the classic matcher parser), and no group
 * label name is another's prefix followed by a digit (0.25 sorts the rendered
 * `name="value"` strings, so `{foo2="x", foo="y"}`; current Alertmanager sorts by name).
 */
export interface AmVectors {
  readonly recordedWith: string;
  readonly config: string;
  readonly alerts: readonly {
    /** As posted; empty values included. */
    readonly posted: LabelSet;
    /** As Alertmanager stored them. */
    readonly labels: LabelSet;
    readonly fingerprint: string;
  }[];
  readonly notifications: readonly {
    readonly receiver: string;
    readonly groupKey: string;
    readonly groupLabels: LabelSet;
    /** Fingerprints in notification order. */
    readonly alerts: readonly string[];
  }[];
}

export const amVectors: AmVectors = JSON.parse(readFileSync(new URL('../fixtures/am-vectors.json', import.meta.url), 'utf8'));

interface YamlRoute {
  readonly receiver?: string;
  readonly group_by?: string[];
  readonly matchers?: string[];
  readonly match?: Record<string, string>;
  readonly match_re?: Record<string, string>;
  readonly continue?: boolean;
  readonly routes?: YamlRoute[];
}

/**
 * The fixture's route tree as the config loader would hand it over (matchers only; the
 * durations are not part of any key). Legacy match_re values are stored anchored, as in
 * Alertmanager.
 */
export function amVectorsRouteConfig(): RouteConfig {
  return toRouteConfig((parse(amVectors.config) as { route: YamlRoute }).route);
}

function toRouteConfig(node: YamlRoute): RouteConfig {
  return {
    receiver: node.receiver,
    groupBy: node.group_by,
    matchers: [
      ...(node.matchers ?? []).flatMap((line) => parseMatchers(line)),
      ...Object.entries(node.match ?? {}).map(([name, value]) => newMatcher('=', name, value)),
      ...Object.entries(node.match_re ?? {}).map(([name, value]) => newMatcher('=~', name, `^(?:${value})$`)),
    ],
    continue: node.continue ?? false,
    routes: (node.routes ?? []).map(toRouteConfig),
  };
}
