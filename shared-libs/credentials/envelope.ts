/**
 * v2 credential envelope: AES-256-GCM with a random 96-bit nonce, the credential id bound as AAD
 * so a value copied onto another credential's document does not decrypt, and a version prefix so
 * CHT's CBC values can still be read and re-wrapped. CBC without a MAC is malleable; OWASP asks for
 * an authenticated mode (https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html).
 * Format: `v2:gcm:<nonce b64url>:<tag b64url>:<ciphertext b64url>`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { view } from './bytes.js';
import { CredentialDecryptError, CredentialKeyError } from './errors.js';

const PREFIX = 'v2:gcm:';
const ALGORITHM = 'aes-256-gcm';
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HKDF_SALT = 'cht-credentials';
const HKDF_INFO = 'v2';
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * HKDF-SHA256 from a dedicated secret (not CouchDB's cookie secret, whose rotation broke every
 * stored credential in CHT). Salt and info name this purpose so the same material used elsewhere
 * yields an unrelated key.
 */
export function deriveKey(material: string | Buffer): Buffer {
  const input = typeof material === 'string' ? Buffer.from(material, 'utf8') : material;
  if (!Buffer.isBuffer(input) || input.length === 0) {
    throw new CredentialKeyError('Credential key material must not be empty.');
  }
  return Buffer.from(hkdfSync('sha256', view(input), HKDF_SALT, HKDF_INFO, KEY_LENGTH));
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_LENGTH) {
    throw new CredentialKeyError(`Credential key must be ${KEY_LENGTH} bytes; use deriveKey().`);
  }
}

export function isV2Envelope(stored: string): boolean {
  return typeof stored === 'string' && stored.startsWith(PREFIX);
}

export function encryptCredential(id: string, plaintext: string, key: Buffer): string {
  checkKey(key);
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv(ALGORITHM, view(key), view(nonce), { authTagLength: TAG_LENGTH });
  cipher.setAAD(view(Buffer.from(id, 'utf8')));
  // Hex chunks concatenate safely (base64 chunks would not); re-encoded once below.
  const hex = cipher.update(plaintext, 'utf8', 'hex') + cipher.final('hex');
  const ciphertext = Buffer.from(hex, 'hex').toString('base64url');
  const tag = cipher.getAuthTag().toString('base64url');
  return `${PREFIX}${nonce.toString('base64url')}:${tag}:${ciphertext}`;
}

/** Strict base64url decode: Buffer.from silently skips bad characters, which would hide tampering. */
function decodePart(part: string, expectedLength?: number): Buffer {
  if (!B64URL.test(part)) {
    throw new CredentialDecryptError();
  }
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) {
    throw new CredentialDecryptError();
  }
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new CredentialDecryptError();
  }
  return bytes;
}

export function decryptV2(id: string, stored: string, key: Buffer): string {
  checkKey(key);
  const parts = stored.slice(PREFIX.length).split(':');
  if (parts.length !== 3) {
    throw new CredentialDecryptError();
  }
  const [noncePart, tagPart, cipherPart] = parts as [string, string, string];
  const nonce = decodePart(noncePart, NONCE_LENGTH);
  const tag = decodePart(tagPart, TAG_LENGTH);
  const ciphertext = decodePart(cipherPart);
  try {
    const decipher = createDecipheriv(ALGORITHM, view(key), view(nonce), { authTagLength: TAG_LENGTH });
    decipher.setAAD(view(Buffer.from(id, 'utf8')));
    decipher.setAuthTag(view(tag));
    // The utf8 output decoder keeps multi-byte characters split across chunks intact.
    return decipher.update(view(ciphertext), undefined, 'utf8') + decipher.final('utf8');
  } catch {
    // Auth failure: tampered data, wrong key or wrong id. Which one is deliberately not said.
    throw new CredentialDecryptError();
  }
}
