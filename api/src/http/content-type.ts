/**
 * The server parses every body type it knows (JSON, form fields, text); a route takes only the
 * types it documents. Without this, `PUT /api/v1/settings` with a form body stored the form's
 * field names as settings (found by tests/fuzz/admin-api.spec.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/** `application/json; charset=utf-8` → `application/json`; undefined when absent. */
export function mediaType(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export function unsupportedType(type: string, accepted: readonly string[]): AppError {
  return new AppError(415, `Unsupported Content-Type "${type}": send ${accepted.join(' or ')}`);
}

/** preValidation hook: 415 for a body of any other type than `accepted`. */
export function acceptOnly(accepted: readonly string[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const type = mediaType(req.headers['content-type']);
    if (req.body !== undefined && type !== undefined && !accepted.includes(type)) throw unsupportedType(type, accepted);
  };
}
