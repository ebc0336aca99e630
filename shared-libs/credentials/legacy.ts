/**
 * CHT's credential format, read so existing `medic-vault` documents keep working after a
 * migration (https://github.com/medic/cht-core/blob/master/shared-libs/settings/src/index.js):
 * `<iv hex>:<ciphertext hex>`, AES-256-CBC, random 16-byte IV, key = UTF-8 bytes of the CouchDB
 * `couch_httpd_auth/secret` repeated until at least 32 bytes, then cut to 32
 * (https://github.com/medic/cht-core/issues/7840). CBC without a MAC is malleable, so callers
 * re-encrypt these as v2 on the next write; see isLegacyEnvelope and envelope.ts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { view } from './bytes.js';
import { CredentialDecryptError, CredentialKeyError, MISSING_SECRET_MESSAGE } from './errors.js';

const ALGORITHM = 'aes-256-cbc';
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
/** 32 hex chars of IV, then whole 16-byte AES blocks of ciphertext (at least one: PKCS#7 pads). */
const LEGACY_PATTERN = /^[0-9a-f]{32}:(?:[0-9a-f]{32})+$/i;

/** True for CHT's `iv:ciphertext` hex format, which should be re-encrypted as v2 on next write. */
export function isLegacyEnvelope(stored: string): boolean {
  return typeof stored === 'string' && LEGACY_PATTERN.test(stored);
}

/**
 * CHT's key: the secret's bytes repeated and cut to 32. `Buffer.alloc(n, string)` fills by
 * repeating the string's UTF-8 bytes, which is the same 32-byte prefix as repeating the string,
 * so multi-byte secrets match CHT too.
 */
export function legacyKey(couchSecret: string | undefined): Buffer {
  if (!couchSecret) {
    throw new CredentialKeyError(MISSING_SECRET_MESSAGE);
  }
  return Buffer.alloc(KEY_LENGTH, couchSecret, 'utf8');
}

export function decryptLegacy(stored: string, couchSecret: string | undefined): string {
  const key = legacyKey(couchSecret);
  if (!isLegacyEnvelope(stored)) {
    throw new CredentialDecryptError();
  }
  const [ivHex, cipherHex] = stored.split(':') as [string, string];
  try {
    const decipher = createDecipheriv(ALGORITHM, view(key), view(Buffer.from(ivHex, 'hex')));
    return decipher.update(cipherHex, 'hex', 'utf8') + decipher.final('utf8');
  } catch {
    // Bad padding (wrong secret) lands here; the cause is dropped on purpose so nothing about
    // the key or the padding check reaches logs or clients.
    throw new CredentialDecryptError();
  }
}

/**
 * Test/migration support only: produces a value exactly the way CHT's setCredentials does, so
 * tests can build CHT-format fixtures. New credentials must be written with encryptCredential.
 */
export function encryptLegacyCht(plaintext: string, couchSecret: string): string {
  const key = legacyKey(couchSecret);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv(ALGORITHM, view(key), view(iv));
  return `${iv.toString('hex')}:${cipher.update(plaintext, 'utf8', 'hex')}${cipher.final('hex')}`;
}
