/**
 * Errors raised by the credentials library. Messages never carry the plaintext, the key or the
 * stored envelope: they end up in API responses and logs
 * (https://owasp.org/Top10/A09_2021-Security_Logging_and_Monitoring_Failures/).
 */

/**
 * CHT's user-facing text for any decrypt failure (https://github.com/medic/cht-core/issues/7926;
 * asserted in cht-core shared-libs/settings/test/index.spec.js).
 */
export const DECRYPT_ERROR_MESSAGE = 'Error decrypting credential. Try setting the credential again.';

/** CHT's text when the CouchDB secret is missing (cht-core shared-libs/settings/src/index.js). */
export const MISSING_SECRET_MESSAGE =
  'Invalid cypher. CouchDB Secret needs to be set in order to use secure credentials.';

/** The stored value could not be decrypted: tampered, wrong key, wrong id, or not an envelope. */
export class CredentialDecryptError extends Error {
  readonly code = 'credential_decrypt_failed';

  constructor() {
    super(DECRYPT_ERROR_MESSAGE);
    this.name = 'CredentialDecryptError';
  }
}

/**
 * The key material is unusable (missing CouchDB secret, empty material, wrong key length).
 * Kept apart from CredentialDecryptError because re-setting the credential does not fix it:
 * the operator has to fix the configuration.
 */
export class CredentialKeyError extends Error {
  readonly code = 'credential_key_invalid';

  constructor(message: string) {
    super(message);
    this.name = 'CredentialKeyError';
  }
}
