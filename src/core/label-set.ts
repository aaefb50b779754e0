/** A label set or annotation set: name to value. Never mutated once built. */
export type LabelSet = Readonly<Record<string, string>>;
