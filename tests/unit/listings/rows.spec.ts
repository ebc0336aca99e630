/**
 * The message index's rows (a pure function of a document), its per-hour counts and its cursors.
 */
import { expect } from 'chai';
import { Buckets } from '../../../api/src/listings/buckets.js';
import { decodeCursor, encodeCursor } from '../../../api/src/listings/cursor.js';
import { seqNumber } from '../../../api/src/listings/indexer.js';
import {
  bucketOf,
  indexRows,
  mayHoldMessages,
  PREFIX,
  queryDigits,
  splitRow,
  time13,
} from '../../../api/src/listings/rows.js';
import type { MessageDoc, MessageState, OutgoingMessage, Task } from '../../../shared-libs/task-utils/types.js';

const T = Date.parse('2026-03-01T10:00:00Z');

function outgoing(over: Partial<MessageDoc> = {}): MessageDoc {
  return {
    _id: 'doc-1',
    type: 'data_record',
    reported_date: T,
    tasks: [
      {
        messages: [{ uuid: 'u-1', to: '+254712345678', message: 'hi' }],
        state: 'pending',
        state_history: [{ state: 'pending', timestamp: new Date(T).toISOString() }],
      },
    ],
    ...over,
  };
}

describe('message index rows', function () {
  it('an outgoing message: all, by state, by number (digits after the key), and the uuid pointer when the doc id differs', function () {
    const ids = indexRows(outgoing()).map((r) => r.key);
    const key = `${time13(T)}:u-1`;
    expect(ids).to.deep.equal([
      'w:doc-1',
      `o:a:${key}`,
      `o:s:pending:${key}`,
      `o:n:5678:${key}\u0001254712345678`,
      'u:u-1',
    ]);
    expect(indexRows(outgoing({ _id: 'u-1' })).map((r) => r.key)).to.not.include('u:u-1');
    expect(indexRows(outgoing())[1]).to.include({ d: 'doc-1', u: 'u-1' });
  });

  const due = Date.parse('2026-03-05T08:00:00Z');
  const cases: Array<[string, Partial<MessageDoc>, string[]]> = [
    [
      'task.due is the time key (CHT)',
      {
        scheduled_tasks: [
          {
            due: new Date(due).toISOString(),
            state: 'scheduled',
            messages: [{ uuid: 'u-2', to: '0712', message: 'x' }],
          },
        ],
        tasks: [],
      },
      [`o:s:scheduled:${time13(due)}:u-2`],
    ],
    [
      'awaiting a report: also by last activity',
      {
        tasks: [
          {
            state: 'sent',
            messages: [{ uuid: 'u-3', to: '+1', message: 'x' }],
            state_history: [{ state: 'sent', timestamp: new Date(T + 5000).toISOString() }],
            delivery_reports: [{ status: 'Buffered', timestamp: new Date(T + 9000).toISOString(), applied: false }],
          },
        ],
      },
      [`o:w:${time13(T + 9000)}:u-3`],
    ],
    [
      'a provider reference names the message (as medic-sms/messages_by_gateway_ref)',
      { tasks: [{ state: 'delivered', gateway_ref: 'ATXid_1', messages: [{ uuid: 'u-5', to: '+1', message: 'x' }] }] },
      ['g:ATXid_1:u-5'],
    ],
    [
      "a reference is URI-encoded in its key, so one reference's range never holds another's (RapidPro `<broadcast>:<urn>`)",
      {
        tasks: [
          { state: 'sent', gateway_ref: '123:tel:+254700000001', messages: [{ uuid: 'u-6', to: '+1', message: 'x' }] },
        ],
      },
      ['g:123%3Atel%3A%2B254700000001:u-6'],
    ],
    [
      'a task without a state is listed as received (CHT count views)',
      { tasks: [{ messages: [{ uuid: 'u-4', to: '+1', message: 'x' }] }] },
      [`o:s:received:${time13(T)}:u-4`],
    ],
  ];
  for (const [name, over, expected] of cases) {
    it(name, function () {
      const ids = indexRows(outgoing(over)).map((r) => r.key);
      for (const id of expected) expect(ids).to.include(id);
    });
  }

  it("a reference's lookup range never holds the rows of a longer reference that starts with it", function () {
    const long = PREFIX.gatewayRef('123:tel:+254700000001') + 'u-6';
    expect(long.startsWith(PREFIX.gatewayRef('123'))).to.equal(false);
    expect(long.startsWith(PREFIX.gatewayRef('123:tel:+254700000001'))).to.equal(true);
  });

  it('an incoming message with auto-reply tasks has incoming and outgoing rows; a message without uuid none', function () {
    const doc: MessageDoc = {
      _id: 'sms-in:AT1',
      type: 'data_record',
      from: '+254700111222',
      reported_date: T,
      sms_message: { type: 'sms_message', message: 'VISIT', from: '+254700111222', gateway_ref: 'AT1' },
      tasks: [
        {
          state: 'pending',
          messages: [{ uuid: 'r-1', to: '+254700111222', message: 'thanks' }, { to: 'x', message: 'no uuid' } as never],
        },
      ],
    };
    const ids = indexRows(doc).map((r) => r.key);
    expect(ids)
      .to.include(`i:a:${time13(T)}:sms-in:AT1`)
      .and.include(`i:n:1222:${time13(T)}:sms-in:AT1\u0001254700111222`);
    expect(ids.filter((id) => id.startsWith('o:a:'))).to.deep.equal([`o:a:${time13(T)}:r-1`]);
  });

  it('open work: one row per document the outbox may still act on, whatever its type, none once final', function () {
    const open = (d: MessageDoc): string[] =>
      indexRows(d)
        .filter((r) => r.key.startsWith(PREFIX.openWork))
        .map((r) => r.key);
    const task = (state: MessageState): Task => ({
      state,
      messages: [{ uuid: 'u-1', to: '+254712345678', message: 'hi' }],
    });
    expect(open(outgoing())).to.deep.equal(['w:doc-1']);
    expect(open(outgoing({ tasks: [task('forwarded-to-gateway')] }))).to.deep.equal(['w:doc-1']);
    expect(open(outgoing({ tasks: [], scheduled_tasks: [task('scheduled')] }))).to.deep.equal(['w:doc-1']);
    // CHT's outbox offers any doc with a sendable task (medic/messages_by_state), not only data_records.
    expect(open(outgoing({ type: 'person' as never }))).to.deep.equal(['w:doc-1']);
    for (const state of ['sent', 'delivered', 'failed', 'denied', 'cleared', 'received-by-gateway'] as const)
      expect(open(outgoing({ tasks: [task(state)] })), state).to.deep.equal([]);
    // Pending without a recipient is nothing the outbox can send.
    expect(
      open(outgoing({ tasks: [{ state: 'pending', messages: [{ uuid: 'u-1', message: 'hi' } as OutgoingMessage] }] })),
    ).to.deep.equal([]);
    expect(open({ ...outgoing(), _id: 'sms-in:AT1' })).to.deep.equal([]);
  });

  it('references: the current one and those of earlier attempts name the message', function () {
    const doc = outgoing({
      tasks: [
        {
          ...(outgoing().tasks?.[0] as NonNullable<MessageDoc['tasks']>[number]),
          state: 'sent',
          gateway_ref: 'ATXid_2',
          previous_gateway_refs: ['ATXid_1'],
        },
      ],
    });
    const refs = indexRows(doc).filter((r) => r.key.startsWith('g:'));
    expect(refs.map((r) => r.key)).to.deep.equal(['g:ATXid_2:u-1', 'g:ATXid_1:u-1']);
    expect(refs[1]).to.include({ d: 'doc-1', u: 'u-1' });
  });

  it('parked delivery reports: one row per reference, so a send result asks the index', function () {
    const parked = {
      _id: 'sms-parked-reports:ATXid_1/2',
      type: 'sms_parked_reports',
      gateway_ref: 'ATXid_1/2',
      reports: [],
    } as unknown as MessageDoc;
    expect(mayHoldMessages(parked._id)).to.equal(true);
    expect(indexRows(parked)).to.deep.equal([{ key: 'p:ATXid_1%2F2', d: 'sms-parked-reports:ATXid_1/2' }]);
    expect(indexRows({ ...parked, type: 'sms_other' } as unknown as MessageDoc)).to.deep.equal([]);
  });

  it('documents without messages, deleted ones and our bookkeeping have no rows', function () {
    expect(indexRows({ ...outgoing(), _deleted: true })).to.deep.equal([]);
    expect(indexRows({ ...outgoing(), type: 'person' as never, tasks: [] })).to.deep.equal([]);
    expect(
      ['_design/medic', 'settings', 'sms-open:x', 'sms-gateway-ref:y', 'sms-exchange-msg:z'].map(mayHoldMessages),
    ).to.deep.equal([false, false, false, false, false]);
    expect(['sms-in:1', 'a1b2', 'sms-exchange:2026-03-01T10:00:00.000Z:ab'].map(mayHoldMessages)).to.deep.equal([
      true,
      true,
      true,
    ]);
  });

  it('a provider exchange: one pointer row per message it concerns, ids URI-encoded, none once deleted', function () {
    const id = 'sms-exchange:2026-03-01T10:00:00.000Z:ab12';
    const doc = { _id: id, type: 'sms_exchange', message_ids: ['u-1', 'u:2/x', 'u-1', 7] } as unknown as MessageDoc;
    expect(indexRows(doc)).to.deep.equal([
      { key: 'x:u-1:2026-03-01T10:00:00.000Z:ab12', d: id },
      { key: 'x:u%3A2%2Fx:2026-03-01T10:00:00.000Z:ab12', d: id },
    ]);
    expect(indexRows({ ...doc, _deleted: true })).to.deep.equal([]);
    expect(indexRows({ ...doc, _id: 'other:1' })).to.deep.equal([]);
  });

  it('a batch of provider exchanges: one pointer row per message any of them concerns', function () {
    const id = 'sms-exchange:2026-03-01T10:00:02.000Z:cd34';
    const doc = {
      _id: id,
      type: 'sms_exchanges',
      exchanges: [{ message_ids: ['u-1', 'u-2'] }, { message_ids: ['u-2', 5] }, {}, null, { message_ids: ['u-3'] }],
    } as unknown as MessageDoc;
    expect(indexRows(doc).map((r) => r.key)).to.deep.equal([
      'x:u-1:2026-03-01T10:00:02.000Z:cd34',
      'x:u-2:2026-03-01T10:00:02.000Z:cd34',
      'x:u-3:2026-03-01T10:00:02.000Z:cd34',
    ]);
    expect(indexRows({ ...doc, exchanges: 'nonsense' } as unknown as MessageDoc)).to.deep.equal([]);
  });

  it('row keys split from their extra data; counted series per row', function () {
    expect(splitRow(`o:n:5678:${time13(T)}:u-1\u0001254712345678`, 'o:n:5678:')).to.deep.equal({
      key: `${time13(T)}:u-1`,
      extra: '254712345678',
    });
    const hour = Math.floor(T / 3_600_000);
    expect(bucketOf(`o:s:failed:${time13(T)}:u-1`)).to.deep.equal({ series: 's:failed', hour });
    expect(bucketOf(`o:w:${time13(T)}:u-1`)).to.deep.equal({ series: 'w', hour });
    expect(bucketOf(`i:a:${time13(T)}:sms-in:x`)).to.deep.equal({ series: 'i', hour });
    expect(bucketOf(`o:a:${time13(T)}:u-1`)).to.equal(undefined);
  });

  it('`to` queries: international keeps its digits, a national number drops its trunk zero, last digits stay', function () {
    expect(queryDigits('+254 712-345678')).to.equal('254712345678');
    expect(queryDigits('0712 345 678')).to.equal('712345678');
    expect(queryDigits('5678')).to.equal('5678');
    expect(queryDigits('000832')).to.equal('000832');
  });

  it('sequence numbers: PouchDB numbers and CouchDB `N-opaque` strings', function () {
    expect(seqNumber(42)).to.equal(42);
    expect(seqNumber('1203-g1AAAABXeJzLYWBgYM')).to.equal(1203);
    expect(seqNumber(undefined)).to.equal(0);
  });
});

describe('message index hour counts', function () {
  it('totals, hours with rows in scan order, counts before an hour, and the entries to write', function () {
    const b = new Buckets();
    b.add('w', 10, 2);
    b.add('w', 12, 1);
    b.add('w', 11, 1);
    b.add('w', 11, -1);
    expect(b.total('w')).to.equal(3);
    expect(b.hours('w', { descending: true })).to.deep.equal([12, 10]);
    expect(b.hours('w', { from: 11, descending: false })).to.deep.equal([12]);
    expect(b.hours('w', { to: 11, descending: false })).to.deep.equal([10]);
    expect(b.countBefore('w', 12)).to.equal(2);
    const entries = b.takeDirty();
    expect(entries.sort()).to.deep.equal([
      ['b:w:10', 2],
      ['b:w:11', 0],
      ['b:w:12', 1],
    ]);
    expect(b.takeDirty()).to.deep.equal([]);
    const loaded = Buckets.from(entries);
    expect(loaded.total('w')).to.equal(3);
    loaded.add('w', 12, 1);
    expect(loaded.takeDirty()).to.deep.equal([['b:w:12', 2]]);
  });
});

describe('listing cursors', function () {
  it('round-trip; refuse garbage and cursors of another key space', function () {
    const key = `${time13(T)}:u-1`;
    expect(decodeCursor(encodeCursor('out-due', key), 'out-due')).to.equal(key);
    expect(() => decodeCursor('not-a-cursor', 'out-due')).to.throw(/cursor: not a cursor/);
    expect(() => decodeCursor(Buffer.from('{"v":1,"s":"out-due","k":"x"}').toString('base64url'), 'out-due')).to.throw(
      /cursor: not a cursor/,
    );
    expect(() => decodeCursor(encodeCursor('out-stuck', key), 'out-due')).to.throw(
      /cursor: it belongs to a listing with other filters/,
    );
  });
});
