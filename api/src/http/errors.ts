/**
 * The HTTP layer's own refusals (authentication, media type, size, throttling), each carrying its
 * status and a stable code. Everything below the HTTP layer throws the domain errors of
 * api/src/errors.ts instead.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = codeFor(status),
  ) {
    super(message);
    this.name = 'AppError';
  }
}

function codeFor(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    default:
      return status >= 500 ? 'server_error' : 'error';
  }
}
