/**
 * The write and range helpers every store module shares: how a `_bulk_docs` row is read, what
 * counts as a conflict, and prefix ranges over doc ids.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb';
import {
  bulkError,
  countPrefix,
  isConflict,
  prefixRange,
  throwUnlessWrittenOrConflict,
} from '../../../shared-libs/couch/index.js';

describe('shared-libs/couch write and range helpers', function () {
  let dir: string;
  let db: PouchDB.Database;
  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'couch-db-'));
    db = new PouchDB(path.join(dir, 'medic'));
    await db.bulkDocs([{ _id: 'sms-x:1' }, { _id: 'sms-x:2' }, { _id: 'sms-y:1' }, { _id: 'sms-x' }]);
  });
  afterEach(async function () {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bulkError is undefined for a written row and the error for a refused one; a refusal there is a conflict', async function () {
    const [written, refused] = await db.bulkDocs([{ _id: 'new' }, { _id: 'sms-x:1' }]);
    expect(bulkError(written as PouchDB.Core.Response)).to.equal(undefined);
    const err = bulkError(refused as PouchDB.Core.Error);
    expect(err).to.include({ status: 409 });
    expect(isConflict(err)).to.equal(true);
  });

  it('isConflict: a thrown 409, or a row named conflict; nothing else', async function () {
    const thrown = await db.put({ _id: 'sms-x:1' }).catch((e: unknown) => e);
    expect(isConflict(thrown)).to.equal(true);
    expect(isConflict({ name: 'conflict', error: true })).to.equal(true);
    expect(isConflict({ status: 404, name: 'not_found' })).to.equal(false);
    expect(isConflict(undefined)).to.equal(false);
  });

  it('throwUnlessWrittenOrConflict passes conflicts and throws other refusals, naming the write', function () {
    const conflict = { error: true, status: 409, name: 'conflict', message: 'Document update conflict' };
    const forbidden = { error: true, status: 403, name: 'forbidden', message: 'no writes here' };
    const ok = { ok: true, id: 'a', rev: '1-a' };
    expect(() => throwUnlessWrittenOrConflict([ok, conflict] as never, 'Indexing')).not.to.throw();
    expect(() => throwUnlessWrittenOrConflict([ok, forbidden] as never, 'Indexing')).to.throw(
      'Indexing failed: no writes here',
    );
  });

  it('prefixRange and countPrefix cover exactly the ids that start with the prefix', async function () {
    expect(prefixRange('sms-x:')).to.deep.equal({ startkey: 'sms-x:', endkey: 'sms-x:\ufff0' });
    expect(await countPrefix(db, 'sms-x:')).to.equal(2);
    expect(await countPrefix(db, 'sms-z:')).to.equal(0);
  });
});
