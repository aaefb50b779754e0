export interface DueEntry {
  readonly id: string;
  readonly due: number;
}

/** Ids ordered by due time: earliest in O(1), insert, move and delete in O(log n). */
export class DueQueue {
  readonly #heap: DueEntry[] = [];
  readonly #position = new Map<string, number>();

  peek(): DueEntry | undefined {
    return this.#heap[0];
  }

  get(id: string): number | undefined {
    const at = this.#position.get(id);
    return at === undefined ? undefined : this.#heap[at].due;
  }

  set(id: string, due: number): void {
    const at = this.#position.get(id);
    if (at === undefined) {
      this.#place({ id, due }, this.#heap.length);
      this.#up(this.#heap.length - 1);
      return;
    }
    const before = this.#heap[at].due;
    this.#heap[at] = { id, due };
    if (due < before) this.#up(at);
    else this.#down(at);
  }

  delete(id: string): void {
    const at = this.#position.get(id);
    if (at === undefined) return;
    this.#position.delete(id);
    const last = this.#heap.pop() as DueEntry;
    if (at === this.#heap.length) return;
    this.#place(last, at);
    this.#up(at);
    this.#down(this.#position.get(last.id) as number);
  }

  #place(entry: DueEntry, at: number): void {
    this.#heap[at] = entry;
    this.#position.set(entry.id, at);
  }

  #up(at: number): void {
    const entry = this.#heap[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.#heap[parent].due <= entry.due) break;
      this.#place(this.#heap[parent], at);
      at = parent;
    }
    this.#place(entry, at);
  }

  #down(at: number): void {
    const entry = this.#heap[at];
    const size = this.#heap.length;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#heap[child + 1].due < this.#heap[child].due) child++;
      if (this.#heap[child].due >= entry.due) break;
      this.#place(this.#heap[child], at);
      at = child;
    }
    this.#place(entry, at);
  }
}
