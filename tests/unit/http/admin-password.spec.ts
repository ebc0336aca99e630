/**
 * The embedded administrator's password at rest: a salted scrypt hash in a self-describing
 * format, verified in constant time, generated when missing, converted from an older plain-text
 * file, and verified with scrypt once per process.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  embeddedAdminPassword,
  hashPassword,
  isPasswordHash,
  PasswordVerifier,
  verifyPassword,
} from '../../../api/src/http/admin-password.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-pw-unit-'));

describe('http/admin-password', function () {
  this.timeout(20_000);

  it('hashes as scrypt$N$r$p$salt$hash with a fresh salt each time', async function () {
    const a = await hashPassword('correct horse', FAST);
    const b = await hashPassword('correct horse', FAST);
    expect(a).to.match(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).to.not.equal(b);
    expect(a).to.not.include('correct horse');
    expect(isPasswordHash(a)).to.equal(true);
  });

  it('the default cost is N=2^15, r=8', async function () {
    expect(await hashPassword('x')).to.match(/^scrypt\$32768\$8\$1\$/);
  });

  it('verifies the right password only', async function () {
    const h = await hashPassword('s3cret-Ünïcode', FAST);
    const cases: Array<[string, boolean]> = [
      ['s3cret-Ünïcode', true],
      ['s3cret-Ünïcode'.normalize('NFD'), true],
      ['s3cret-unicode', false],
      ['', false],
      ['s3cret-Ünïcode ', false],
    ];
    for (const [given, ok] of cases) expect(await verifyPassword(given, h), JSON.stringify(given)).to.equal(ok);
  });

  it('refuses malformed or tampered hashes (never asks scrypt for absurd memory)', async function () {
    const bads = ['', 'plain', 'scrypt$3$8$1$abc$def', 'scrypt$1073741824$8$1$abc$def', 'scrypt$1024$99$1$abc$def'];
    for (const bad of [...bads, 'scrypt$1024$8$1$abc$']) {
      expect(isPasswordHash(bad), bad).to.equal(false);
      expect(await verifyPassword('x', bad), bad).to.equal(false);
    }
  });

  it('PasswordVerifier runs scrypt until the password is known, then compares HMACs only', async function () {
    const hash = await hashPassword('pw', FAST);
    let slow = 0;
    const v = new PasswordVerifier({ hash }, async (p, h) => {
      slow++;
      return verifyPassword(p, h);
    });
    expect(await v.verify('wrong')).to.equal(false);
    expect(slow).to.equal(1);
    const first = await Promise.all([v.verify('pw'), v.verify('pw')]);
    expect(first).to.deep.equal([true, true]);
    const afterFirst = slow;
    expect(afterFirst).to.be.within(2, 3);
    expect(await v.verify('pw')).to.equal(true);
    expect(await v.verify('wrong again')).to.equal(false);
    expect(slow).to.equal(afterFirst);
  });

  it('ADMIN_PASSWORD is used as given and nothing is written', async function () {
    const dir = tmp();
    const admin = await embeddedAdminPassword(dir, 'from-env');
    expect(await admin.verifier.verify('from-env')).to.equal(true);
    expect(await admin.verifier.verify('other')).to.equal(false);
    expect(admin.generated).to.equal(undefined);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('generates a password when the file is missing and stores only its hash', async function () {
    const dir = tmp();
    const admin = await embeddedAdminPassword(dir);
    const password = admin.generated ?? '';
    expect(password).to.match(/^[A-Za-z0-9_-]{24}$/);
    const stored = fs.readFileSync(path.join(dir, 'admin-password'), 'utf8');
    expect(isPasswordHash(stored.trim())).to.equal(true);
    expect(stored).to.not.include(password);
    expect(await admin.verifier.verify(password)).to.equal(true);
    const again = await embeddedAdminPassword(dir);
    expect(again.generated).to.equal(undefined);
    expect(await again.verifier.verify(password)).to.equal(true);
  });

  it('converts a plain-text file from an older version to the hash, keeping the password', async function () {
    const dir = tmp();
    const file = path.join(dir, 'admin-password');
    fs.writeFileSync(file, 'old-plain-password\n', { mode: 0o600 });
    const admin = await embeddedAdminPassword(dir);
    expect(admin.converted).to.equal(true);
    const stored = fs.readFileSync(file, 'utf8').trim();
    expect(isPasswordHash(stored)).to.equal(true);
    expect(stored).to.not.include('old-plain-password');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.readdirSync(dir)).to.deep.equal(['admin-password']);
    expect(await admin.verifier.verify('old-plain-password')).to.equal(true);
    const again = await embeddedAdminPassword(dir);
    expect(again.converted).to.equal(undefined);
    expect(await again.verifier.verify('old-plain-password')).to.equal(true);
  });

  it('refuses an empty file or a broken hash instead of replacing the password', async function () {
    const dir = tmp();
    const file = path.join(dir, 'admin-password');
    fs.writeFileSync(file, '\n');
    const refusal = (): Promise<string> =>
      embeddedAdminPassword(dir).then(
        () => 'accepted',
        (err: Error) => err.message,
      );
    expect(await refusal()).to.match(/is empty/);
    fs.writeFileSync(file, 'scrypt$1024$8$1$broken\n');
    expect(await refusal()).to.match(/not a valid password hash/);
    expect(fs.readFileSync(file, 'utf8')).to.equal('scrypt$1024$8$1$broken\n');
  });
});
