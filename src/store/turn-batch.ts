/**
 * Gathers the items added during one turn of the event loop and sends them together at its end
 * (the check phase). For work whose reply is not urgent but whose round trips are many: the
 * commits of flushes whose deliveries ended in the same turn go to Redis as one call, not one
 * call each.
 */
export class TurnBatch<Item, Result> {
  /** Sends a batch; the promise at each index settles its item. */
  readonly #send: (items: readonly Item[]) => readonly Promise<Result>[];
  #items: Item[] = [];
  #waiting: Settlers<Result>[] = [];

  constructor(send: (items: readonly Item[]) => readonly Promise<Result>[]) {
    this.#send = send;
  }

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (this.#items.length === 0) setImmediate(() => this.#flush());
      this.#items.push(item);
      this.#waiting.push({ resolve, reject });
    });
  }

  #flush(): void {
    const items = this.#items;
    const waiting = this.#waiting;
    this.#items = [];
    this.#waiting = [];
    let results: readonly Promise<Result>[];
    try {
      results = this.#send(items);
    } catch (err) {
      for (const { reject } of waiting) reject(err);
      return;
    }
    results.forEach((result, i) => result.then(waiting[i].resolve, waiting[i].reject));
  }
}

interface Settlers<Result> {
  readonly resolve: (result: Result) => void;
  readonly reject: (err: unknown) => void;
}
