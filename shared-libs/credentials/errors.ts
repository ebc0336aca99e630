/**
 * Errors raised by the credentials library. Messages never carry the plaintext, the key or the
 * stored envelope: they end up in API responses and logs (peers.md §6, OWASP A09).
 */

/** CHT's user-facing text for any decrypt failure (cht-core shared-libs/settings, #7926; case 66). */
export const DECRYPT_ERROR_MESSAGE = 'Error decrypting credential. Try setting the credential again.';

/** CHT's text when the CouchDB secret is missing (cht-core shared-libs/settings; case 65). */
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
