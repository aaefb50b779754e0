/** Ids per run before it is split: an insert or delete moves at most this many, not all ids. */
const RUN = 512;

/**
 * A set of ids in ascending order (JavaScript string order), read in pages from any id. Kept as
 * consecutive sorted runs, so that adding or deleting an id costs two binary searches and a
 * splice of one run, however many ids there are.
 */
export class SortedIds {
  /** Non-empty, each ascending, each wholly below the next. */
  readonly #runs: string[][] = [];

  add(id: string): void {
    if (this.#runs.length === 0) {
      this.#runs.push([id]);
      return;
    }
    const r = Math.min(this.#runReaching(id), this.#runs.length - 1);
    const run = this.#runs[r];
    const at = search(run.length, (i) => run[i] < id);
    if (run[at] === id) return;
    run.splice(at, 0, id);
    if (run.length > RUN) this.#runs.splice(r + 1, 0, run.splice(RUN / 2));
  }

  delete(id: string): void {
    const r = this.#runReaching(id);
    const run = this.#runs[r];
    if (run === undefined) return;
    const at = search(run.length, (i) => run[i] < id);
    if (run[at] !== id) return;
    run.splice(at, 1);
    if (run.length === 0) this.#runs.splice(r, 1);
  }

  /** The first `count` ids greater than `after` (from the first id when undefined). */
  after(after: string | undefined, count: number): string[] {
    let r = 0;
    let at = 0;
    if (after !== undefined) {
      r = this.#runReaching(after);
      const run = this.#runs[r] ?? [];
      at = search(run.length, (i) => run[i] <= after);
    }
    const ids: string[] = [];
    for (; r < this.#runs.length && ids.length < count; r++, at = 0) {
      ids.push(...this.#runs[r].slice(at, at + count - ids.length));
    }
    return ids;
  }

  /** The first run whose last id is `id` or greater; the number of runs when there is none. */
  #runReaching(id: string): number {
    return search(this.#runs.length, (r) => (this.#runs[r].at(-1) as string) < id);
  }
}

/** Binary search: the first index below `length` at which `before` is false; `before` must hold up to some index and not after. */
function search(length: number, before: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}
