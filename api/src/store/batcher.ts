/**
 * Coalesces single calls into batches: callers await their own item, the batch function sees
 * every item that arrived while the previous batch was running. No timers: the first item of an
 * idle batcher starts a batch on the next tick, so a lone request is not delayed.
 */
export type BatchFn<I, O> = (items: I[]) => Promise<O[]>;

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly fn: BatchFn<I, O>,
    private readonly maxBatch = 200,
    private readonly concurrency = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running < this.concurrency) setImmediate(() => this.drain());
    });
  }

  get size(): number {
    return this.queue.length;
  }

  /** Starts what is queued now rather than on the next tick (e.g. before the store closes). */
  flush(): void {
    this.drain();
  }

  private drain(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      this.fn(batch.map((p) => p.item))
        .then((results) => {
          batch.forEach((p, i) => p.resolve(results[i] as O));
        })
        .catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        })
        .finally(() => {
          this.running--;
          if (this.queue.length > 0) this.drain();
        });
    }
  }
}
