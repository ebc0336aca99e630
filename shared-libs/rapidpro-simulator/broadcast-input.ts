/**
 * Validation of `POST /api/v2/broadcasts.json` bodies, with RapidPro's error shapes: a 400 whose
 * JSON names each bad field with a list of messages (Django REST framework's format, texts from
 * RapidPro's serializers).
 */

/** RapidPro's limits: 640 characters of text, 100 urns per broadcast. */
const MAX_TEXT = 640;
const MAX_URNS = 100;
/** What the simulator takes as a phone URN: `tel:` and an international number. */
const TEL_URN = /^tel:\+\d{5,15}$/;

export type FieldErrors = Record<string, string[]>;

export type BroadcastInput = { urns: string[]; text: string } | { errors: FieldErrors };

/** The Python type name Django REST framework puts in its messages. */
function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return { string: 'str', boolean: 'bool', object: 'dict' }[typeof v as string] ?? typeof v;
}

export function parseBroadcast(body: unknown): BroadcastInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(body)}.`] } };
  }
  const o = body as Record<string, unknown>;
  const errors: FieldErrors = {};

  if (o.text === undefined || o.text === null) errors.text = ['This field is required.'];
  else if (typeof o.text !== 'string') errors.text = ['Value must be a string or dict of strings.'];
  else if (o.text.length > MAX_TEXT) errors.text = [`Ensure this field has no more than ${MAX_TEXT} characters.`];

  const urns: string[] = [];
  if (o.urns !== undefined && o.urns !== null) {
    if (!Array.isArray(o.urns)) errors.urns = [`Expected a list of items but got type "${typeName(o.urns)}".`];
    else if (o.urns.length > MAX_URNS) errors.urns = [`Ensure this field has no more than ${MAX_URNS} elements.`];
    else {
      const bad = o.urns.filter((u) => typeof u !== 'string' || !TEL_URN.test(u));
      if (bad.length > 0) {
        errors.urns = bad.map((u) => `Invalid URN: ${String(u)}. Ensure phone numbers contain country codes.`);
      } else urns.push(...(o.urns as string[]));
    }
  }
  for (const field of ['contacts', 'groups']) {
    const refs = o[field];
    // The simulator keeps no contacts or groups, so every reference is unknown.
    if (Array.isArray(refs) && refs.length > 0) errors[field] = [`No such object: ${String(refs[0])}`];
  }
  if (Object.keys(errors).length > 0) return { errors };
  if (urns.length === 0) return { errors: { non_field_errors: ['Must provide either urns, contacts or groups'] } };
  return { urns, text: o.text as string };
}
