/**
 * Opt-out keys. A subscriber opts out of one sender id (a provider's opt-out notification names
 * the sender id and the phone number), or an operator can block a number for every sender. Both
 * are stored as one string key per entry.
 */

/** The sender part of a key that covers every sender. */
export const ANY_SENDER = '*';

/** Between number and sender; a phone number never contains it. */
const SEPARATOR = '|';

/**
 * A stable key for an opt-out entry: `<number>|<sender>`. The number is used as given (E.164 is
 * expected; only surrounding whitespace is removed). AT sender ids are case-sensitive
 * alphanumerics, so the sender keeps its case and is only trimmed; a missing or blank sender
 * gives '*', meaning every sender.
 */
export function optOutKey(number: string, senderId?: string | null): string {
  const sender = senderId?.trim() || ANY_SENDER;
  return `${number.trim()}${SEPARATOR}${sender}`;
}

/**
 * True when `number` must not receive messages from `senderId`: the list holds the key for that
 * exact sender, or the every-sender ('*') key for the number. Pass the sender id the message
 * will actually go out with; with none, only every-sender entries apply.
 */
export function isOptedOut(
  list: ReadonlySet<string> | readonly string[],
  number: string,
  senderId?: string | null,
): boolean {
  const has = (key: string): boolean => ('has' in list ? list.has(key) : list.includes(key));
  return has(optOutKey(number, senderId)) || has(optOutKey(number));
}
