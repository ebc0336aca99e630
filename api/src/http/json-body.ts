/**
 * JSON request bodies: fastify's own parser (prototype-poisoning protection included) behind a
 * nesting check. `JSON.parse` copes with deep nesting, but what runs after it (zod, the deep
 * merge of settings, `JSON.stringify`) recurses and would overflow the stack on a body such as
 * `[[[[…]]]]`, so anything nested deeper than MAX_JSON_DEPTH is refused with 400 first.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';

/** CHT's app settings (forms included) stay far below this. */
export const MAX_JSON_DEPTH = 64;

/** True when brackets outside strings nest deeper than `max`; one pass, no parsing. */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export function registerJsonParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestedDeeperThan(text, maxDepth)) {
      done(new AppError(400, `Request body is nested deeper than ${maxDepth} levels`), undefined);
      return;
    }
    void parse(req, text, done);
  });
}
