import { expect } from 'chai';
import {
  CredentialDecryptError,
  CredentialKeyError,
  decryptCredential,
  deriveKey,
  encryptCredential,
  encryptLegacyCht,
  isLegacyEnvelope,
  timingSafeEqualString,
} from '../../../shared-libs/credentials/index.js';

const ID = 'africastalking.com:outgoing';
const KEY = deriveKey('a dedicated credentials master secret');
const OTHER_KEY = deriveKey('another secret');
const DECRYPT_MESSAGE = 'Error decrypting credential. Try setting the credential again.';
const MISSING_SECRET = 'Invalid cypher. CouchDB Secret needs to be set in order to use secure credentials.';

/** Runs fn and returns what it threw, failing the test when it did not throw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

function expectDecryptError(fn: () => unknown): void {
  const err = thrown(fn);
  expect(err).to.be.instanceOf(CredentialDecryptError);
  expect(err.message).to.equal(DECRYPT_MESSAGE);
  expect((err as CredentialDecryptError).code).to.equal('credential_decrypt_failed');
}

/** Replaces one base64url field of a v2 envelope with a one-bit-flipped copy. */
function tamper(stored: string, field: 2 | 3 | 4): string {
  const parts = stored.split(':');
  const bytes = Buffer.from(parts[field] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[field] = bytes.toString('base64url');
  return parts.join(':');
}

describe('shared-libs/credentials', () => {
  describe('deriveKey', () => {
    it('derives a stable 32-byte key from strings and buffers', () => {
      expect(deriveKey('abc')).to.have.length(32);
      expect(deriveKey('abc').equals(deriveKey(Buffer.from('abc')))).to.equal(true);
      expect(deriveKey('abc').equals(deriveKey('abd'))).to.equal(false);
    });

    for (const [name, material] of [
      ['empty string', ''],
      ['empty buffer', Buffer.alloc(0)],
    ] as const) {
      it(`rejects ${name}`, () => {
        const err = thrown(() => deriveKey(material));
        expect(err).to.be.instanceOf(CredentialKeyError);
        expect(err.message).to.match(/must not be empty/);
      });
    }
  });

  describe('v2 envelopes', () => {
    it('round trips', () => {
      const stored = encryptCredential(ID, 'my-api-key', KEY);
      expect(stored).to.match(/^v2:gcm:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
      expect(decryptCredential(ID, stored, { key: KEY })).to.equal('my-api-key');
    });

    it('round trips unicode and empty plaintext', () => {
      for (const text of ['', 'clé secrète ✓', 'x'.repeat(5000)]) {
        expect(decryptCredential(ID, encryptCredential(ID, text, KEY), { key: KEY })).to.equal(text);
      }
    });

    it('uses a different nonce each time', () => {
      const a = encryptCredential(ID, 'same', KEY);
      const b = encryptCredential(ID, 'same', KEY);
      expect(a).to.not.equal(b);
      expect(a.split(':')[2]).to.not.equal(b.split(':')[2]);
    });

    it('does not put the plaintext in the envelope', () => {
      expect(encryptCredential(ID, 'plaintext-marker', KEY)).to.not.include('plaintext-marker');
    });

    const stored = encryptCredential(ID, 'my-api-key', KEY);
    const rejected: Array<{ name: string; id: string; value: string; key: Buffer }> = [
      { name: 'tampered nonce', id: ID, value: tamper(stored, 2), key: KEY },
      { name: 'tampered tag', id: ID, value: tamper(stored, 3), key: KEY },
      { name: 'tampered ciphertext', id: ID, value: tamper(stored, 4), key: KEY },
      { name: 'wrong id (AAD)', id: 'africastalking.com:incoming', value: stored, key: KEY },
      { name: 'wrong key', id: ID, value: stored, key: OTHER_KEY },
      {
        name: 'truncated tag',
        id: ID,
        value: stored.replace(/:([^:]+):([^:]+)$/, (_m, t: string, c: string) => `:${t.slice(0, 10)}:${c}`),
        key: KEY,
      },
      { name: 'missing field', id: ID, value: stored.split(':').slice(0, 4).join(':'), key: KEY },
      { name: 'extra field', id: ID, value: `${stored}:AAAA`, key: KEY },
      { name: 'non-base64url characters', id: ID, value: stored.replace(/:([^:]+)$/, ':!!!!'), key: KEY },
    ];
    for (const row of rejected) {
      it(`rejects ${row.name}`, () => {
        expectDecryptError(() => decryptCredential(row.id, row.value, { key: row.key }));
      });
    }

    it('never leaks the plaintext or key in the error', () => {
      const err = thrown(() => decryptCredential(ID, stored, { key: OTHER_KEY }));
      expect(err.message).to.not.include('my-api-key');
      expect(err.message).to.not.include(KEY.toString('hex'));
    });

    it('rejects keys that are not 32 bytes', () => {
      expect(thrown(() => encryptCredential(ID, 'x', Buffer.alloc(16)))).to.be.instanceOf(CredentialKeyError);
      expect(thrown(() => decryptCredential(ID, stored, { key: Buffer.alloc(16) }))).to.be.instanceOf(
        CredentialKeyError,
      );
    });
  });

  // Rows ported from https://github.com/medic/cht-core/blob/master/shared-libs/settings/test/index.spec.js.
  describe('CHT legacy format (cht-core shared-libs/settings tests)', () => {
    const roundTrips = [
      { name: 'secret longer than 32 chars', secret: 'a-very-long-couchdb-secret-that-exceeds-32-characters' },
      { name: '6-char secret', secret: 'secret' },
      { name: '8-char secret repeated 4 times', secret: 'mysecret' },
      { name: 'multi-byte secret', secret: 'sécrét✓' },
    ];
    for (const row of roundTrips) {
      it(`${row.name} round trips 'mypass'`, () => {
        const stored = encryptLegacyCht('mypass', row.secret);
        expect(stored).to.match(/^[0-9a-f]{32}:[0-9a-f]{32}$/);
        expect(isLegacyEnvelope(stored)).to.equal(true);
        expect(decryptCredential('mykey', stored, { key: KEY, couchSecret: row.secret })).to.equal('mypass');
      });
    }

    it("key is the secret repeated to 32 bytes ('mysecret' x4)", async () => {
      const { createDecipheriv } = await import('node:crypto');
      const stored = encryptLegacyCht('mypass', 'mysecret');
      const [iv, enc] = stored.split(':') as [string, string];
      // Plain string key and Uint8Array IV rather than Buffers: see shared-libs/credentials/bytes.ts.
      const ivBytes = Uint8Array.from(iv.match(/../g) ?? [], (h) => parseInt(h, 16));
      const decipher = createDecipheriv('aes-256-cbc', 'mysecret'.repeat(4), ivBytes);
      const plain = decipher.update(enc, 'hex', 'utf8') + decipher.final('utf8');
      expect(plain).to.equal('mypass');
    });

    it('encrypted with oldsecret, decrypted with newsecret → CHT message', () => {
      const stored = encryptLegacyCht('mypass', 'oldsecret');
      // CBC padding can accidentally validate under a wrong key (~1/256); the plaintext is then garbage.
      try {
        expect(decryptCredential('mykey', stored, { key: KEY, couchSecret: 'newsecret' })).to.not.equal('mypass');
      } catch (err) {
        expect(err).to.be.instanceOf(CredentialDecryptError);
        expect((err as Error).message).to.equal(DECRYPT_MESSAGE);
      }
    });

    for (const [name, secret] of [
      ['empty', ''],
      ['absent', undefined],
    ] as const) {
      it(`${name} secret → "Invalid cypher"`, () => {
        const stored = encryptLegacyCht('mypass', 'mysecret');
        const err = thrown(() => decryptCredential('mykey', stored, { key: KEY, couchSecret: secret }));
        expect(err).to.be.instanceOf(CredentialKeyError);
        expect(err.message).to.equal(MISSING_SECRET);
        expect(thrown(() => encryptLegacyCht('mypass', '')).message).to.equal(MISSING_SECRET);
      });
    }

    it('v2 values are not legacy, legacy values are', () => {
      expect(isLegacyEnvelope(encryptCredential(ID, 'x', KEY))).to.equal(false);
      expect(isLegacyEnvelope(encryptLegacyCht('x', 'mysecret'))).to.equal(true);
    });
  });

  describe('garbage input', () => {
    const garbage: Array<[string, string]> = [
      ['empty string', ''],
      ['plain text', 'not an envelope'],
      ['v2 prefix only', 'v2:gcm:'],
      ['unknown version', 'v3:gcm:AAAA:BBBB:CCCC'],
      ['legacy-looking with short iv', 'abcd:00112233445566778899aabbccddeeff'],
      ['legacy with partial block', `${'0'.repeat(32)}:${'a'.repeat(30)}`],
      ['legacy with non-hex', `${'0'.repeat(32)}:${'z'.repeat(32)}`],
      ['legacy with three parts', `${'0'.repeat(32)}:${'a'.repeat(32)}:${'b'.repeat(32)}`],
    ];
    for (const [name, value] of garbage) {
      it(`rejects ${name}`, () => {
        expectDecryptError(() => decryptCredential(ID, value, { key: KEY, couchSecret: 'mysecret' }));
      });
    }

    it('rejects a non-string stored value', () => {
      expectDecryptError(() => decryptCredential(ID, undefined as unknown as string, { key: KEY }));
    });
  });

  describe('timingSafeEqualString', () => {
    const rows: Array<{ name: string; a: string; b: string; equal: boolean }> = [
      { name: 'identical', a: 'webhook-secret', b: 'webhook-secret', equal: true },
      { name: 'both empty', a: '', b: '', equal: true },
      { name: 'different, same length', a: 'secret-a', b: 'secret-b', equal: false },
      { name: 'prefix (different length)', a: 'secret', b: 'secret-longer', equal: false },
      { name: 'empty vs non-empty', a: '', b: 'x', equal: false },
      { name: 'case differs', a: 'Secret', b: 'secret', equal: false },
      { name: 'unicode identical', a: 'clé✓', b: 'clé✓', equal: true },
      { name: 'unicode normalisation differs', a: 'e\u0301', b: '\u00e9', equal: false },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(timingSafeEqualString(row.a, row.b)).to.equal(row.equal);
      });
    }

    it('returns false for non-strings instead of throwing', () => {
      expect(timingSafeEqualString(undefined as unknown as string, 'x')).to.equal(false);
    });
  });
});
