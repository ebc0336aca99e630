/**
 * The one place errors become responses: `{ code, error }` as CHT answers, whatever threw.
 * Services throw the domain errors of api/src/errors.ts; the HTTP layer's own refusals
 * (401/403, 413/415/429) are AppErrors carrying their status.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode } from '../errors.js';
import { AppError } from './errors.js';
import { redactUrl } from './redact.js';
import { applySecurityHeaders } from './security-headers.js';

interface ErrorBody {
  code: number;
  error: string;
  [k: string]: unknown;
}

function isFastifyError(err: unknown): err is FastifyError {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    typeof (err as { code: unknown }).code === 'string' &&
    String((err as { code: string }).code).startsWith('FST_')
  );
}

/** HTTP status per domain error; a misconfiguration is the server's fault, but its message says how to fix it. */
const DOMAIN_STATUS: Readonly<Record<DomainErrorCode, number>> = {
  not_found: 404,
  invalid_input: 400,
  conflict: 409,
  unavailable: 503,
  misconfigured: 500,
  upstream_failed: 502,
};

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) {
    return { code: DOMAIN_STATUS[err.code], error: err.message };
  }
  if (err instanceof AppError) {
    return { code: err.status, error: err.message };
  }
  if (isFastifyError(err)) {
    const status = err.statusCode ?? 500;
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { code: 413, error: 'Request body is too large' };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return {
          code: 415,
          error: `Unsupported Content-Type: ${err.message.replace(/^Unsupported Media Type:?\s*/i, '')}`.trim(),
        };
      case 'FST_ERR_MAX_PARAM_LENGTH':
        return { code: 414, error: 'A URL parameter is too long' };
      case 'FST_ERR_BAD_URL':
        return { code: 400, error: 'The URL is not valid (malformed percent-encoding)' };
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return { code: 400, error: 'Request body is not valid JSON' };
      default:
        if (status < 500) return { code: status, error: err.message };
    }
  }
  // Body-parser style errors (from @fastify/formbody or JSON.parse) carry a statusCode.
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const status = Number((err as { statusCode: unknown }).statusCode);
    if (status >= 400 && status < 500) {
      return { code: status, error: err instanceof Error ? err.message : 'Bad request' };
    }
  }
  // Anything else is ours: never leak internals.
  return { code: 500, error: 'Server error' };
}

/**
 * fastify's `frameworkErrors`: what it refuses before routing (a malformed URL, a too long
 * parameter) gets the same `{code, error}` body and headers as every other error.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const body = toErrorBody(err);
  applySecurityHeaders(req, reply);
  void reply.status(body.code).type('application/json').send(body);
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(err);
    if (body.code >= 500) {
      req.log.error({ err, url: redactUrl(req.url) }, 'request failed');
    }
    // Not for scripted browser calls (the console sends X-Requested-With): a Basic challenge
    // would make the browser pop up its own password prompt over the console's sign-in form.
    if (body.code === 401 && !req.headers['x-requested-with']) {
      void reply.header('WWW-Authenticate', 'Basic realm="CHT SMS API"');
    }
    void reply.status(body.code).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ code: 404, error: `Not found: ${req.method} ${redactUrl(req.url.split('?')[0] ?? '')}` });
  });
}
