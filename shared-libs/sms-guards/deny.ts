/**
 * CHT's outgoing deny rules, from `isOutgoingAllowed` in cht-core
 * shared-libs/transitions/src/lib/messages.js (settings documented at
 * https://docs.communityhealthtoolkit.org/building/reference/app-settings/), as a pure function
 * that also says why a number is denied.
 *
 * cht-core calls these checks with the report's sender (`doc.from`) when it creates a reply; for an
 * auto-reply the sender is also the recipient. This function checks whichever number it is given;
 * pass the message's recipient (`to`) to apply the rules to every outgoing message.
 */
import { same } from '../phone-number/index.js';

/** The app settings the deny rules read. Types are as loose as CHT's settings doc allows. */
export interface OutgoingDenySettings {
  /** Comma-separated prefixes ("+2547, SAFARI"); matched case-insensitively after trimming. */
  outgoing_deny_list?: string | null;
  /** Deny numbers shorter than this; CHT uses parseInt, so "6" and 6.9 both mean 6. */
  outgoing_deny_shorter_than?: number | string | null;
  /** Deny numbers containing a letter; only boolean `true` turns it on, as in CHT. */
  outgoing_deny_with_alphas?: boolean | string | null;
  /** The gateway's own number: replying to it would start a message loop. */
  gateway_number?: string | null;
}

/** CHT's `sanitize`: lower-case and trim. */
function sanitize(value: string): string {
  return value.toLowerCase().trim();
}

/** CHT's `parseInt(setting)`: "6", 6.9 and "6 chars" give 6; unset, "", "true" give NaN (off). */
function parseIntLike(value: number | string | null | undefined): number {
  return value === null || value === undefined ? Number.NaN : Number.parseInt(String(value), 10);
}

function shorterThanReason(to: string, setting: OutgoingDenySettings['outgoing_deny_shorter_than']): string | null {
  const minimum = parseIntLike(setting);
  const length = sanitize(to).length;
  if (minimum > 0 && length < minimum) {
    return `recipient has ${length} characters, fewer than outgoing_deny_shorter_than (${minimum})`;
  }
  return null;
}

function alphasReason(to: string, setting: OutgoingDenySettings['outgoing_deny_with_alphas']): string | null {
  if (setting === true && /[a-z]/i.test(to)) {
    return 'recipient contains letters (outgoing_deny_with_alphas)';
  }
  return null;
}

function listReason(to: string, list: OutgoingDenySettings['outgoing_deny_list']): string | null {
  if (typeof list !== 'string') {
    return null;
  }
  const recipient = sanitize(to);
  for (const entry of list.split(',')) {
    const prefix = sanitize(entry);
    if (prefix && recipient.startsWith(prefix)) {
      return `recipient matches outgoing_deny_list prefix '${entry.trim()}'`;
    }
  }
  return null;
}

/**
 * Why CHT would deny sending to `to`, or null when it is allowed. Checks run in CHT's order:
 * gateway number, outgoing_deny_shorter_than, outgoing_deny_with_alphas, outgoing_deny_list.
 * An empty or missing number is allowed, as in CHT. Reasons never contain the number itself, so
 * they are safe to log and to store as state details.
 */
export function denyReason(to: string | null | undefined, settings: OutgoingDenySettings): string | null {
  if (!to) {
    return null;
  }
  if (typeof settings.gateway_number === 'string' && same(settings.gateway_number, to)) {
    return "recipient is the gateway's own number (gateway_number)";
  }
  return (
    shorterThanReason(to, settings.outgoing_deny_shorter_than) ??
    alphasReason(to, settings.outgoing_deny_with_alphas) ??
    listReason(to, settings.outgoing_deny_list)
  );
}

/** CHT's `isOutgoingAllowed` for the given settings. */
export function isOutgoingAllowed(to: string | null | undefined, settings: OutgoingDenySettings): boolean {
  return denyReason(to, settings) === null;
}
