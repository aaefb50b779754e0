import type { LabelSet } from './label-set.ts';

/** Alertmanager's fingerprint: FNV-1a 64 over sorted `name 0xFF value 0xFF`, 16 hex digits. */
export declare function fingerprint(labels: LabelSet): string;
