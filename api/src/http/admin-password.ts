/**
 * The embedded administrator's password at rest: only a salted scrypt hash, in
 * `DATA_DIR/admin-password` as `scrypt$N$r$p$<salt>$<hash>` (base64url), so reading the data
 * folder (a backup, a support bundle) does not hand out the password. The plain password is
 * shown once, on the start that generated it. A plain-text file left by an older version is
 * replaced by its hash on start.
 *
 * Verifying costs one scrypt (~32 MiB, tens of ms); `PasswordVerifier` pays it once per process:
 * after the first success it keeps an HMAC of the password under a random per-process key, and
 * from then on compares HMACs in constant time (a mismatch is then certainly wrong, so guesses do
 * not cost scrypt either).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { view } from '../../../shared-libs/credentials/bytes.js';

const scrypt = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/**
 * OWASP's scrypt floor is N=2^17 with r=8
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html); 2^15 keeps
 * a start-up and a first sign-in well under a second on small boards.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const maxmem = (N: number, r: number, p: number): number => 128 * N * r * (p + 1) + 1024 * 1024;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const { N, r, p } = params;
  const hash = await scrypt(password.normalize('NFC'), view(salt), KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r, p) });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

export function isPasswordHash(stored: string): boolean {
  return parseHash(stored) !== undefined;
}

function parseHash(stored: string): ParsedHash | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a tampered file from asking for gigabytes of memory.
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p, salt: Buffer.from(m[4] ?? '', 'base64url'), hash: Buffer.from(m[5] ?? '', 'base64url') };
}

/** Constant-time check of a password against `scrypt$N$r$p$salt$hash`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length === 0) return false;
  const { N, r, p, salt, hash } = parsed;
  const given = await scrypt(password.normalize('NFC'), view(salt), hash.length, { N, r, p, maxmem: maxmem(N, r, p) });
  return crypto.timingSafeEqual(view(given), view(hash));
}

/** One administrator password, from ADMIN_PASSWORD (plain, in memory only) or a stored hash. */
export class PasswordVerifier {
  private readonly processKey = view(crypto.randomBytes(32));
  private readonly hash?: string;
  /** HMAC of the correct password once it is known; every later check is one HMAC. */
  private known?: Uint8Array;
  /**
   * scrypt runs one at a time: it uses libuv's thread pool, which the embedded store's disk
   * reads share, so a flood of first-time guesses from many addresses cannot stall the database.
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    source: { plain: string } | { hash: string },
    private readonly slowCheck: (password: string, hash: string) => Promise<boolean> = verifyPassword,
  ) {
    if ('plain' in source) this.known = this.mac(source.plain);
    else this.hash = source.hash;
  }

  private mac(password: string): Uint8Array {
    return view(crypto.createHmac('sha256', this.processKey).update(password.normalize('NFC'), 'utf8').digest());
  }

  async verify(password: string): Promise<boolean> {
    const given = this.mac(password);
    if (this.known) return crypto.timingSafeEqual(given, this.known);
    const hash = this.hash;
    if (!hash) return false;
    const run = this.queue.then(async () => {
      if (this.known) return crypto.timingSafeEqual(given, this.known);
      return this.slowCheck(password, hash);
    });
    this.queue = run.catch(() => undefined);
    const ok = await run;
    if (ok) this.known = given;
    return ok;
  }
}

export interface EmbeddedAdminPassword {
  verifier: PasswordVerifier;
  /** The password generated on this start, to print once; never stored. */
  generated?: string;
  /** True when a plain-text file from an older version was replaced by its hash. */
  converted?: boolean;
}

/** Writes `content` to `file` (0600) through a temporary file and a rename: never half-written. */
function writeSecretFile(file: string, content: string, exclusive: boolean): void {
  if (exclusive) {
    fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600, flag: 'w' });
  fs.renameSync(tmp, file);
}

/**
 * Embedded mode's administrator password: ADMIN_PASSWORD when set; else the hash in
 * `DATA_DIR/admin-password`, generating a password (and storing its hash) when the file is
 * missing. Delete the file to get a new password on the next start.
 */
export async function embeddedAdminPassword(dataDir: string, fromEnv?: string): Promise<EmbeddedAdminPassword> {
  if (fromEnv) return { verifier: new PasswordVerifier({ plain: fromEnv }) };
  const file = path.join(dataDir, 'admin-password');
  let stored: string;
  try {
    stored = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    // Only a missing file means "first start"; any other read error must not replace the password.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const password = crypto.randomBytes(18).toString('base64url');
    const hash = await hashPassword(password);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeSecretFile(file, `${hash}\n`, true);
    return { verifier: new PasswordVerifier({ hash }), generated: password };
  }
  const regenerate = 'delete it to generate a new administrator password';
  if (!stored) throw new Error(`${file} is empty: ${regenerate}, or set ADMIN_PASSWORD`);
  if (isPasswordHash(stored)) return { verifier: new PasswordVerifier({ hash: stored }) };
  if (stored.startsWith('scrypt$')) throw new Error(`${file} is not a valid password hash: ${regenerate}`);
  // A plain-text password from an older version: keep the password, store only its hash.
  const hash = await hashPassword(stored);
  writeSecretFile(file, `${hash}\n`, false);
  return { verifier: new PasswordVerifier({ hash }), converted: true };
}
