/**
 * Domain errors: what went wrong, said in the terms of the code that found it, each with a stable
 * `code`. Services throw these and know nothing of HTTP; api/src/http/error-handler.ts is the one
 * place that turns them into status codes.
 */

export type DomainErrorCode =
  'not_found' | 'invalid_input' | 'conflict' | 'unavailable' | 'misconfigured' | 'upstream_failed';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What was asked for does not exist. */
export class NotFoundError extends DomainError {
  override readonly code = 'not_found';
}

/** The caller's input cannot be used; `field` names the part at fault (e.g. `messages[1].to`). */
export class InvalidInputError extends DomainError {
  override readonly code = 'invalid_input';

  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Someone else changed the same thing at the same time: trying again may work. */
export class ConflictError extends DomainError {
  override readonly code = 'conflict';
}

/** Something this depends on (CouchDB, its `_session`) cannot answer now. */
export class UnavailableError extends DomainError {
  override readonly code = 'unavailable';
}

/** A provider we called (an SMS API) failed us: no answer, a refusal, or an answer we cannot read. */
export class UpstreamError extends DomainError {
  override readonly code = 'upstream_failed';
}

/**
 * The deployment's own setup stops this working (e.g. a stored credential the current key cannot
 * decrypt); the message says what the operator has to do, so it is shown, not hidden.
 */
export class MisconfiguredError extends DomainError {
  override readonly code = 'misconfigured';
}
