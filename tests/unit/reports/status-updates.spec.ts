/**
 * StatusUpdates and the send results this process is storing: a delivery report that arrives
 * between the provider's answer and the result write waits for that write and is applied, instead
 * of being parked (a write, a read and a delete later); without it, the report is parked.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import PouchDB from 'pouchdb';
import type { Db } from '../../../shared-libs/couch/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import { PARKED_PREFIX, StatusUpdates, type GatewayRefTarget } from '../../../api/src/reports/status-updates.js';
import { DocUpdater } from '../../../api/src/store/doc-updater.js';

const TARGET: GatewayRefTarget = { docId: 'msg-1', uuid: 'u-1' };

describe('StatusUpdates: reports for results being stored', function () {
  let dir: string;
  let db: PouchDB.Database;
  /** Stands in for the message index: references whose send result is stored. */
  let stored: Map<string, GatewayRefTarget>;
  let updates: StatusUpdates;

  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'status-updates-'));
    db = new PouchDB(path.join(dir, 'medic'));
    stored = new Map();
    const logger = pino({ level: 'silent' });
    updates = new StatusUpdates(
      db as unknown as Db,
      new DocUpdater(db as unknown as Db, logger),
      logger,
      () => new Date(),
      {},
      undefined,
      (ref) => Promise.resolve(stored.get(ref) ?? null),
    );
    await db.put({
      _id: TARGET.docId,
      type: 'data_record',
      reported_date: Date.now(),
      tasks: [{ state: 'pending', messages: [{ uuid: TARGET.uuid, to: '+254711000001', message: 'hi' }] }],
    });
  });

  afterEach(async function () {
    await db.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The sender's result write: the task gets its reference and state, and the index knows it. */
  async function storeResult(ref: string): Promise<void> {
    const doc = (await db.get(TARGET.docId)) as unknown as MessageDoc;
    Object.assign(doc.tasks?.[0] ?? {}, { state: 'sent', gateway_ref: ref });
    await db.put(doc as unknown as PouchDB.Core.PutDocument<object>);
    stored.set(ref, TARGET);
  }

  const parkedDocs = async (): Promise<number> =>
    (await db.allDocs({ startkey: PARKED_PREFIX, endkey: `${PARKED_PREFIX}\ufff0` })).rows.length;

  it('a report arriving while its result is being stored waits for it and is applied, nothing parked', async function () {
    const done = updates.resultsComing(['ATX-1']);
    const applying = updates.apply([{ gatewayRef: 'ATX-1', status: 'Success', state: 'delivered' }]);
    await new Promise((r) => setTimeout(r, 20));
    await storeResult('ATX-1');
    done();
    expect(await applying).to.deep.equal({ saved: 1, outcomes: ['applied'] });
    expect(((await db.get(TARGET.docId)) as unknown as MessageDoc).tasks?.[0]?.state).to.equal('delivered');
    expect(await parkedDocs()).to.equal(0);
  });

  it('a result write that fails releases the report, which is parked', async function () {
    const done = updates.resultsComing(['ATX-2']);
    const applying = updates.apply([{ gatewayRef: 'ATX-2', status: 'Success', state: 'delivered' }]);
    done();
    expect(await applying).to.deep.equal({ saved: 0, outcomes: ['parked'] });
    expect(await parkedDocs()).to.equal(1);
    // The result lands later: the parked report is applied then.
    await storeResult('ATX-2');
    expect(await updates.resolveParked(['ATX-2'])).to.equal(1);
    expect(await parkedDocs()).to.equal(0);
  });

  it('a report for a reference nobody is storing is parked at once', async function () {
    updates.resultsComing(['ATX-other']);
    expect(await updates.apply([{ gatewayRef: 'ATX-3', status: 'Success', state: 'delivered' }])).to.deep.equal({
      saved: 0,
      outcomes: ['parked'],
    });
  });
});
