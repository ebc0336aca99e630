/**
 * Secrets (AT API key, webhook key) in the vault database, encrypted at rest with an
 * authenticated envelope. Docs are `credential:<key>` with a `password` field, like CHT's, so
 * a CHT deployment's existing AT credentials keep working (legacy CBC values are re-encrypted
 * in our format on the next write).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  CredentialDecryptError,
  decryptCredential,
  deriveKey,
  encryptCredential,
} from '../../../shared-libs/credentials/index.js';
import type { Databases, Db } from '../../../shared-libs/couch/index.js';
import { getDoc, isConflict } from '../../../shared-libs/couch/index.js';
import { InvalidInputError, MisconfiguredError } from '../errors.js';
import type { CredentialReader } from '../sms/types.js';

interface CredentialDoc {
  _id: string;
  _rev?: string;
  password?: string;
}

export interface CredentialKeys {
  key: Buffer;
  /** CouchDB's auth secret, needed only to read CHT's legacy CBC values. */
  couchSecret?: string;
  source: 'env' | 'key-file' | 'couchdb-secret';
}

const KEY_PATTERN = /^[^\s\p{Cc}]{1,200}$/u;

export function validateCredentialKey(key: string): void {
  if (!key) throw new InvalidInputError('key', 'Missing required param "key"');
  if (!KEY_PATTERN.test(key) || key.startsWith('_')) {
    throw new InvalidInputError(
      'key',
      'Invalid param "key": 1-200 printable characters, no spaces, not starting with "_"',
    );
  }
}

/**
 * CouchDB decodes the URL, so CHT's `credential:${encodeURIComponent(key)}` address stores the
 * doc as `credential:<key>`; PouchDB encodes ids in URLs itself, so we use the decoded id and
 * also look for the literal encoded id that some CouchDB-protocol servers keep.
 */
export function credentialDocIds(key: string): [string, string] {
  return [`credential:${key}`, `credential:${encodeURIComponent(key)}`];
}

export class CredentialsService implements CredentialReader {
  private cache = new Map<string, { value: string | undefined; until: number }>();

  constructor(
    private readonly vault: Db,
    private readonly keys: CredentialKeys,
    private readonly logger: Logger,
    private readonly cacheMs = 3000,
  ) {}

  async set(key: string, secret: string): Promise<void> {
    validateCredentialKey(key);
    const [id, legacyId] = credentialDocIds(key);
    const password = encryptCredential(id, secret, this.keys.key);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.read(id);
      try {
        await this.vault.put({ _id: id, ...(existing?._rev ? { _rev: existing._rev } : {}), password });
        break;
      } catch (err) {
        if (!isConflict(err) || attempt === 4) throw err;
      }
    }
    if (legacyId !== id) {
      // Retire a copy stored under the encoded id so the two can never disagree.
      const old = await this.read(legacyId);
      if (old?._rev) await this.vault.remove(old._id, old._rev).catch(() => undefined);
    }
    this.cache.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await this.load(key);
    this.cache.set(key, { value, until: Date.now() + this.cacheMs });
    return value;
  }

  clearCache(): void {
    this.cache.clear();
  }

  private async load(key: string): Promise<string | undefined> {
    for (const id of credentialDocIds(key)) {
      const doc = await this.read(id);
      if (!doc?.password) continue;
      try {
        return decryptCredential(id, doc.password, { key: this.keys.key, couchSecret: this.keys.couchSecret });
      } catch (err) {
        if (err instanceof CredentialDecryptError) {
          this.logger.error({ credential: key }, err.message);
          const message = `Credential "${key}" cannot be decrypted. Try setting the credential again.`;
          throw new MisconfiguredError(message, { cause: err });
        }
        throw err;
      }
    }
    return undefined;
  }

  private read(id: string): Promise<CredentialDoc | undefined> {
    return getDoc<CredentialDoc>(this.vault, id);
  }
}

async function fetchCouchSecret(serverUrl: string): Promise<string | undefined> {
  const base = new URL(serverUrl);
  const auth = base.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    : undefined;
  base.username = '';
  base.password = '';
  // CouchDB 3 (node-local config, both section names), then the 1.x path pouchdb-server serves.
  const paths = [
    '/_node/_local/_config/chttpd_auth/secret',
    '/_node/_local/_config/couch_httpd_auth/secret',
    '/_config/couch_httpd_auth/secret',
  ];
  for (const p of paths) {
    const res = await fetch(new URL(p, base), {
      headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}) },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (res?.ok) {
      const secret = (await res.json()) as unknown;
      if (typeof secret === 'string' && secret.length > 0) return secret;
    }
  }
  return undefined;
}

/** Where the encryption key comes from: CREDENTIALS_SECRET, else CouchDB's secret, else a key file. */
export async function resolveCredentialKeys(opts: {
  credentialsSecret?: string;
  dataDir: string;
  dbs: Databases;
}): Promise<CredentialKeys> {
  const couchSecret = opts.dbs.serverUrl ? await fetchCouchSecret(opts.dbs.serverUrl) : undefined;
  if (opts.credentialsSecret) {
    return { key: deriveKey(opts.credentialsSecret), couchSecret, source: 'env' };
  }
  if (opts.dbs.mode === 'couchdb') {
    if (!couchSecret) {
      throw new Error(
        "Cannot read CouchDB's auth secret (needs a server admin in COUCH_URL); set CREDENTIALS_SECRET instead",
      );
    }
    return { key: deriveKey(couchSecret), couchSecret, source: 'couchdb-secret' };
  }
  const file = path.join(opts.dataDir, 'credentials.key');
  let material: string;
  try {
    material = fs.readFileSync(file, 'utf8').trim();
  } catch {
    material = crypto.randomBytes(32).toString('hex');
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${material}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { key: deriveKey(material), source: 'key-file' };
}
