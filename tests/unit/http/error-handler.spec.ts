/**
 * toErrorBody: domain errors thrown below the HTTP layer get their status here, and only here;
 * the body is always `{ code: <status>, error: <message> }`.
 */
import { expect } from 'chai';
import {
  ConflictError,
  InvalidInputError,
  MisconfiguredError,
  NotFoundError,
  UnavailableError,
} from '../../../api/src/errors.js';
import { toErrorBody } from '../../../api/src/http/error-handler.js';
import { AppError } from '../../../api/src/http/errors.js';

describe('http/error-handler toErrorBody', function () {
  const rows: Array<[string, Error, number]> = [
    ['NotFoundError → 404', new NotFoundError('No outgoing message with id "x"'), 404],
    ['InvalidInputError → 400', new InvalidInputError('messages[0].to', 'messages[0].to: is required'), 400],
    ['ConflictError → 409', new ConflictError('Settings are being changed concurrently; try again'), 409],
    ['UnavailableError → 503', new UnavailableError('CouchDB _session answered 500'), 503],
    ['MisconfiguredError → 500, message kept', new MisconfiguredError('Try setting the credential again.'), 500],
    ['AppError keeps its status', new AppError(415, 'Unsupported Content-Type'), 415],
  ];
  for (const [name, err, status] of rows) {
    it(name, function () {
      expect(toErrorBody(err)).to.deep.equal({ code: status, error: err.message });
    });
  }

  it('anything else is a 500 that hides its message', function () {
    expect(toErrorBody(new Error('ECONNRESET at 10.0.0.5'))).to.deep.equal({ code: 500, error: 'Server error' });
  });

  it('domain errors carry a stable code, and InvalidInputError the field it names', function () {
    const err = new InvalidInputError('sms.dispatch.concurrency', 'Invalid settings: …');
    expect(err).to.include({ code: 'invalid_input', field: 'sms.dispatch.concurrency', name: 'InvalidInputError' });
    expect(new NotFoundError('x').code).to.equal('not_found');
    expect(new ConflictError('x').code).to.equal('conflict');
    expect(new UnavailableError('x').code).to.equal('unavailable');
    expect(new MisconfiguredError('x').code).to.equal('misconfigured');
  });
});
