/**
 * RapidPro references. A broadcast (https://rapidpro.io/api/v2/, `broadcasts`) creates one
 * message per URN; CHT keeps the broadcast id as a message's `gateway_ref`. A text sent to several
 * numbers in one broadcast gives each message its own reference, `<broadcast id>:<urn>`, so the
 * gateway-reference index maps each recipient's status to its message; a broadcast to one number
 * keeps CHT's bare id.
 */

/** `tel:` URN of a number: the digits and a leading `+` only, as RapidPro normalises it. */
export function telUrn(to: string): string {
  const trimmed = to.trim();
  const plus = trimmed.startsWith('+') ? '+' : '';
  return `tel:${plus}${trimmed.replace(/\D/g, '')}`;
}

/** A URN as RapidPro reports it, in `telUrn`'s form (other schemes unchanged). */
export function normaliseUrn(urn: string): string {
  return urn.startsWith('tel:') ? telUrn(urn.slice(4)) : urn;
}

export function gatewayRef(broadcastId: number | string, urn: string, urnCount: number): string {
  return urnCount > 1 ? `${broadcastId}:${urn}` : String(broadcastId);
}

export interface ParsedRef {
  broadcast: string;
  /** Absent for a one-recipient broadcast: every message of the broadcast is this message's. */
  urn?: string;
}

/** undefined for a reference RapidPro did not give (not a broadcast id). */
export function parseRef(ref: string): ParsedRef | undefined {
  const m = /^(\d+)(?::(.+))?$/.exec(ref);
  if (!m) return undefined;
  return m[2] === undefined ? { broadcast: m[1] as string } : { broadcast: m[1] as string, urn: m[2] };
}
