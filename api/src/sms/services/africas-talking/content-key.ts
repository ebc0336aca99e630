/**
 * The content key that ties a message's incoming callback to its copy in AT's inbox when their
 * ids differ in form (live callbacks carry a UUID, the fetch API an integer:
 * https://github.com/nyaruka/courier/blob/main/handlers/africastalking/handler_test.go,
 * https://developers.africastalking.com/docs/sms/fetch_messages). The callback's date has no
 * milliseconds and the fetch API's has, so the date counts to the second.
 */

/** Phone numbers and short codes compare by their digits; anything else (a name) as given. */
function party(value: string): string {
  const v = value.trim();
  return /^\+?[\d\s().-]+$/.test(v) ? v.replace(/\D/g, '') : v;
}

/** The UTC second of an AT date (ISO; one without a zone is taken as UTC), or undefined. */
export function secondOf(date: string): string | undefined {
  const d = date.trim();
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(d) ? d : `${d.replace(' ', 'T')}Z`;
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** `[from, to, text, second]`, or undefined when `to` or a readable `date` is missing. */
export function contentKey(m: {
  from: string;
  to?: string | undefined;
  text: string;
  date?: string | undefined;
}): string | undefined {
  if (m.to === undefined || m.to.trim() === '' || m.date === undefined) return undefined;
  const second = secondOf(m.date);
  if (!second) return undefined;
  return JSON.stringify([party(m.from), party(m.to), m.text, second]);
}
