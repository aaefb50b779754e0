import type { Alert } from './alert.ts';
import { fingerprint } from './fingerprint.ts';
import { goQuote, type LabelSet } from './label-set.ts';
import { parseApiTime, ZERO_TIME } from './timestamp.ts';

/** An alert as a client posts it (API v2 `postableAlert`), straight from JSON: null = absent. */
export interface PostableAlert {
  readonly labels: LabelSet;
  readonly annotations?: LabelSet | null;
  readonly startsAt?: string | null;
  readonly endsAt?: string | null;
  readonly generatorURL?: string | null;
}

export type NormalizeResult = { readonly alert: Alert } | { readonly error: string };

/*
 * Grouper's limits (Alertmanager has none). Lengths are in UTF-16 code units, which is the byte
 * count for ASCII text.
 */
export const MAX_LABELS = 128;
export const MAX_LABEL_NAME_LENGTH = 1024;
export const MAX_LABEL_VALUE_LENGTH = 16 * 1024;
export const MAX_ANNOTATIONS = 128;
export const MAX_ANNOTATION_VALUE_LENGTH = 64 * 1024;
export const MAX_GENERATOR_URL_LENGTH = 32 * 1024;

interface SetLimits {
  readonly count: number;
  readonly valueLength: number;
  readonly noun: string;
}

const LABEL_LIMITS: SetLimits = {
  count: MAX_LABELS,
  valueLength: MAX_LABEL_VALUE_LENGTH,
  noun: 'labels',
};
const ANNOTATION_LIMITS: SetLimits = {
  count: MAX_ANNOTATIONS,
  valueLength: MAX_ANNOTATION_VALUE_LENGTH,
  noun: 'annotations',
};

const NO_ANNOTATIONS: LabelSet = Object.freeze({});

/**
 * Alertmanager's per-alert processing of a POST (spec §1.3 steps 1-5): defaults for the times,
 * empty label values dropped, then validation with Alertmanager's messages.
 */
export function normalizeAlert(
  input: PostableAlert,
  now: number,
  resolveTimeoutMs: number,
): NormalizeResult {
  const sentStartsAt = parseOptionalTime(input.startsAt);
  if (sentStartsAt === undefined) return { error: invalidTimeMessage(input.startsAt as string) };
  const sentEndsAt = parseOptionalTime(input.endsAt);
  if (sentEndsAt === undefined) return { error: invalidTimeMessage(input.endsAt as string) };

  let startsAt = sentStartsAt;
  if (startsAt === ZERO_TIME) startsAt = sentEndsAt === ZERO_TIME ? now : sentEndsAt;
  const timeout = sentEndsAt === ZERO_TIME;
  const endsAt = timeout ? now + resolveTimeoutMs : sentEndsAt;
  const labels = withoutEmptyValues(input.labels);
  const annotations = input.annotations ?? NO_ANNOTATIONS;
  const generatorURL = input.generatorURL ?? '';

  if (endsAt < startsAt) return { error: 'start time must be before end time' };
  const labelProblem = labelSetProblem(labels, LABEL_LIMITS);
  if (labelProblem !== undefined) return { error: `invalid label set: ${labelProblem}` };
  if (isEmpty(labels)) return { error: 'at least one label pair required' };
  const annotationProblem = labelSetProblem(annotations, ANNOTATION_LIMITS);
  if (annotationProblem !== undefined) {
    return { error: `invalid annotations: ${annotationProblem}` };
  }
  if (generatorURL.length > MAX_GENERATOR_URL_LENGTH) {
    return { error: `generatorURL longer than ${MAX_GENERATOR_URL_LENGTH} characters` };
  }

  return {
    alert: {
      fingerprint: fingerprint(labels),
      labels,
      annotations,
      startsAt,
      endsAt,
      generatorURL,
      updatedAt: now,
      timeout,
    },
  };
}

/** The reason given when a posted startsAt/endsAt is not a date-time Alertmanager accepts. */
export function invalidTimeMessage(text: string): string {
  return `parsing time ${goQuote(text)}: not an RFC 3339 date-time`;
}

function parseOptionalTime(text: string | null | undefined): number | undefined {
  return text === undefined || text === null ? ZERO_TIME : parseApiTime(text);
}

/** Alertmanager deletes labels whose value is empty before fingerprinting and validating. */
function withoutEmptyValues(labels: LabelSet): LabelSet {
  for (const name in labels) {
    if (labels[name] === '') {
      return Object.fromEntries(Object.entries(labels).filter(hasValue));
    }
  }
  return labels;
}

function hasValue(entry: [string, string]): boolean {
  return entry[1] !== '';
}

function isEmpty(set: LabelSet): boolean {
  for (const _ in set) return false;
  return true;
}

/**
 * Alertmanager's LabelSet.Validate in UTF-8 mode (names: non-empty valid UTF-8; values: valid
 * UTF-8), first problem only, then Grouper's size limits.
 */
function labelSetProblem(set: LabelSet, limits: SetLimits): string | undefined {
  let count = 0;
  for (const name in set) {
    const value = set[name];
    if (name.length === 0 || !isValidUtf8(name)) return `invalid name ${goQuote(name)}`;
    if (!isValidUtf8(value)) return `invalid value ${goQuote(value)}`;
    if (name.length > MAX_LABEL_NAME_LENGTH) {
      const shown = goQuote(name.slice(0, 64));
      return `name ${shown}... longer than ${MAX_LABEL_NAME_LENGTH} characters`;
    }
    if (value.length > limits.valueLength) {
      return `value of ${goQuote(name)} longer than ${limits.valueLength} characters`;
    }
    count++;
  }
  return count > limits.count ? `more than ${limits.count} ${limits.noun}` : undefined;
}

/** A JS string is valid UTF-8 when it has no lone surrogate (Node 20's String#isWellFormed). */
export function isValidUtf8(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}
