import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb';
import { installDesignDocs, loadDesignDocs } from '../../../shared-libs/couch/index.js';

describe('design docs installer', function () {
  let dir: string;
  let db: PouchDB.Database;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddocs-'));
    db = new PouchDB(path.join(dir, 'medic'));
  });
  afterEach(async function () {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the views it does not define (CHT's own, in a shared CouchDB)", async function () {
    await db.put({
      _id: '_design/medic',
      views: { contacts_by_type: { map: 'function (doc) { emit(doc.type); }' } },
      validate_doc_update: 'function () {}',
    });
    await installDesignDocs(db);
    const medic = (await db.get('_design/medic')) as unknown as {
      views: Record<string, unknown>;
      validate_doc_update?: string;
    };
    expect(medic.views).to.have.property('contacts_by_type');
    expect(medic.views).to.have.property('messages_by_state');
    expect(medic.validate_doc_update).to.equal('function () {}');
  });

  it('writes nothing when our views are already there, so indexes are not rebuilt', async function () {
    expect(await installDesignDocs(db)).to.have.length(loadDesignDocs().length);
    expect(await installDesignDocs(db)).to.deep.equal([]);
  });

  it('updates a view of ours that changed', async function () {
    await installDesignDocs(db);
    const medic = (await db.get('_design/medic')) as unknown as { views: Record<string, { map: string }> };
    await db.put({ ...medic, views: { ...medic.views, messages_by_state: { map: 'function () {}' } } });
    expect(await installDesignDocs(db)).to.deep.equal(['_design/medic']);
  });
});
