/** Stand-in for SmsCore.withCursor until it lands: one in-process cursor per core. */
import type { SmsCore } from '../../types.js';

interface LeasedCursor {
  readonly data: Readonly<Record<string, unknown>> | undefined;
  save(data: Record<string, unknown>): Promise<void>;
}
type CursorRun<R> = { ran: true; result: R } | { ran: false; heldUntil: string };

const stores = new WeakMap<object, Map<string, Record<string, unknown>>>();

export async function withPollCursor<R>(
  owner: object,
  core: SmsCore & { withCursor?: <T>(n: string, l: number, f: (c: LeasedCursor) => Promise<T>) => Promise<CursorRun<T>> },
  name: string,
  leaseMs: number,
  fn: (cursor: LeasedCursor) => Promise<R>,
): Promise<CursorRun<R>> {
  if (core.withCursor) return core.withCursor(name, leaseMs, fn);
  const key = owner;
  const map = stores.get(key) ?? new Map<string, Record<string, unknown>>();
  stores.set(key, map);
  const cursor: LeasedCursor = {
    get data() {
      return map.get(name);
    },
    save: async (data) => {
      map.set(name, data);
    },
  };
  return { ran: true, result: await fn(cursor) };
}
