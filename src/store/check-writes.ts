import type { AlertWrite } from './store.ts';
import { StoreError } from './store-errors.ts';

/** Rejects a batch in which a write expects its group absent without saying how to create it. */
export function checkWrites(writes: readonly AlertWrite[]): void {
  for (const write of writes) {
    if (write.expected.groupCreatedAt === undefined && write.create === undefined) {
      throw new StoreError(
        'MISSING_CREATE',
        `write of alert ${write.alert.fingerprint} expects group ${write.group.id} absent but has no create`,
      );
    }
  }
}
