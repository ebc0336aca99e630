/**
 * Point reads on the message index for other rooms, each standing in for one of CHT's views
 * (which stay installed for CHT): which document holds a message uuid (medic-sms/messages_by_uuid),
 * which message a provider reference names (medic-sms/messages_by_gateway_ref), and the messages
 * waiting for a gateway, oldest due first (medic/messages_by_state `pending-or-forwarded`), and
 * the provider exchanges a message took part in.
 */
import { IndexBehindError, IndexBuildingError, type MessageIndex } from './indexer.js';
import { HIGH, PREFIX, SERIES, type RowBody } from './rows.js';
import { bucketedRows, MergedRows } from './scan.js';

/**
 * The doc id holding a message whose doc id is not its uuid: the id, `null` when the index knows
 * no such message, `undefined` while the index is still being built (ask elsewhere).
 */
export async function docIdForUuid(index: MessageIndex, uuid: string): Promise<string | null | undefined> {
  if (!index.isBuilt) return undefined;
  return exactRead(index, async () => (await index.rows.get<RowBody>(PREFIX.uuid + uuid))?.d);
}

/**
 * A point read whose miss is final: a hit is answered at once; a miss waits for every write
 * acknowledged before it to reach the index (it may have been written a moment ago) and reads again.
 */
async function exactRead<T>(index: MessageIndex, read: () => Promise<T | undefined>): Promise<T | null> {
  const hit = await read();
  if (hit !== undefined) return hit;
  await index.readyForRead();
  return (await read()) ?? null;
}

/**
 * The message a provider reference names (its send result is stored): `null` when there is none,
 * `undefined` when the index cannot tell (being built, or behind the database for too long). A
 * miss waits for every write acknowledged before it to reach the index (nothing to wait for on the
 * embedded store; the changes feed on CouchDB, where another instance may have sent the message),
 * so `null` is exact; the caller parks a report whose send result has not landed yet.
 */
export async function messageForRef(
  index: MessageIndex,
  ref: string,
): Promise<{ docId: string; uuid: string } | null | undefined> {
  if (!index.isBuilt) return undefined;
  const prefix = PREFIX.gatewayRef(ref);
  const hint = PREFIX.refHint(ref);
  try {
    return await exactRead(index, async () => {
      // The hint is a point read; without it (an older index, or its holder dropped the
      // reference while another message still has it) the range of g: rows answers.
      const body = (await index.rows.get<RowBody>(hint)) ?? (await firstInRange(index, prefix));
      return body?.u ? { docId: body.d, uuid: body.u } : undefined;
    });
  } catch (err) {
    if (err instanceof IndexBuildingError || err instanceof IndexBehindError) return undefined;
    throw err;
  }
}

async function firstInRange(index: MessageIndex, prefix: string): Promise<RowBody | undefined> {
  const [hit] = await index.rows.entries<RowBody>({ gte: prefix, lt: prefix + HIGH, limit: 1 });
  return hit?.[1];
}

/**
 * Which of these references have delivery reports parked, when the index knows without waiting:
 * on the embedded store once it follows every write (this process is the only writer). `undefined`
 * otherwise (CouchDB, where another instance may have parked one a moment ago: read the documents).
 */
export async function parkedAmong(index: MessageIndex, refs: string[]): Promise<boolean[] | undefined> {
  if (!index.knowsEveryWrite) return undefined;
  const found = await index.rows.getMany<RowBody>(refs.map((r) => PREFIX.parked(r)));
  return found.map((v) => v !== undefined);
}

/** The states a pull gateway is offered, as CHT's `pending-or-forwarded` key. */
export const WAITING_FOR_GATEWAY = ['pending', 'forwarded-to-gateway'] as const;

/** Messages waiting for a gateway, oldest due first (rows: {d: doc id, u: uuid}). */
export function waitingForGateway(index: MessageIndex, chunk: number): MergedRows {
  return new MergedRows(
    WAITING_FOR_GATEWAY.map((s) =>
      bucketedRows(index.rows, index.counts, SERIES.state(s), { prefix: PREFIX.outState(s), descending: false, chunk }),
    ),
    false,
  );
}

/**
 * The ids of the exchange log docs that concern a message, oldest first; `undefined` while the
 * index is still being built. It does not wait for the changes feed: the exchange log is written
 * in the background anyway, this instance's exchanges are indexed as they are written, and a
 * message's detail should not wait on a feed catching up with another instance's writes.
 */
export async function exchangesOf(
  index: MessageIndex,
  messageId: string,
  limit: number,
): Promise<string[] | undefined> {
  if (!index.isBuilt) return undefined;
  const prefix = PREFIX.exchange(messageId);
  return (await index.rows.entries<RowBody>({ gte: prefix, lt: prefix + HIGH, limit })).map(([, body]) => body.d);
}
