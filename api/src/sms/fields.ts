/**
 * Field schemas the services' callback routes share. A provider's id is a dedupe key and part of a
 * document id: text that is not well-formed UTF-16 (a lone surrogate, which only a JSON escape such
 * as `"\ud800"` can carry) is stored as U+FFFD, so two different ids would name one message and the
 * second would be dropped as a retry. Such values are refused, naming the field.
 */
import { z } from 'zod';

/** With the `u` flag, a surrogate class matches only surrogates that are not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

const WELL_FORMED = 'must be well-formed text (no lone UTF-16 surrogate)';

/** A non-empty, well-formed string: an id a provider gives us. */
export const providerId = z.string().regex(/\S/, 'must not be empty').refine(isWellFormed, WELL_FORMED);

/** A non-empty, well-formed string (form values) or a number (what JSON senders may use). */
export const nonEmptyValue = z
  .union([z.string(), z.number()], { error: 'must be a non-empty string' })
  .refine((v) => typeof v === 'number' || /\S/.test(v), 'must not be empty')
  .refine((v) => typeof v === 'number' || isWellFormed(v), WELL_FORMED);
