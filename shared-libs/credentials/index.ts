/**
 * Envelope encryption for stored credentials (AT API key, webhook secret, ...).
 * Replaces CHT's unauthenticated AES-256-CBC with AES-256-GCM while still reading CHT's format
 * (https://github.com/medic/cht-core/blob/master/shared-libs/settings/src/index.js),
 * so an existing `medic-vault` keeps working.
 */
import { decryptV2, isV2Envelope } from './envelope.js';
import { CredentialDecryptError } from './errors.js';
import { decryptLegacy, isLegacyEnvelope } from './legacy.js';

export { deriveKey, encryptCredential } from './envelope.js';
export { encryptLegacyCht, isLegacyEnvelope } from './legacy.js';
export { timingSafeEqualString } from './compare.js';
export { CredentialDecryptError, CredentialKeyError, DECRYPT_ERROR_MESSAGE, MISSING_SECRET_MESSAGE } from './errors.js';

export interface CredentialKeys {
  /** 32-byte key for v2 envelopes, normally from deriveKey(). */
  key: Buffer;
  /** CouchDB `couch_httpd_auth/secret`, only needed to read CHT-format (legacy) values. */
  couchSecret?: string;
}

/**
 * Decrypts a stored credential in either format. `id` is the credential key (e.g.
 * `<provider>:outgoing`) and must be the one used at encryption (GCM AAD).
 * Throws CredentialDecryptError for any bad value, CredentialKeyError for unusable keys
 * (e.g. a legacy value with no CouchDB secret: CHT's "Invalid cypher" message, as asserted in
 * cht-core shared-libs/settings/test/index.spec.js).
 */
export function decryptCredential(id: string, stored: string, keys: CredentialKeys): string {
  if (typeof stored !== 'string') {
    throw new CredentialDecryptError();
  }
  if (isV2Envelope(stored)) {
    return decryptV2(id, stored, keys.key);
  }
  if (isLegacyEnvelope(stored)) {
    return decryptLegacy(stored, keys.couchSecret);
  }
  throw new CredentialDecryptError();
}
