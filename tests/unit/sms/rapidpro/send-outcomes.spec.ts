/**
 * Table-driven: RapidPro's answer to `POST /api/v2/broadcasts.json` (https://rapidpro.io/api/v2/)
 * → one outcome per message, and how texts are grouped into broadcasts. The same answers go over
 * real HTTP through the server in tests/integration/rapidpro/send.spec.ts. Rows marked "CHT" port
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/services/rapidpro.spec.js.
 */
import { expect } from 'chai';
import { classifyHttp, groupForBroadcasts, mapBroadcast } from '../../../../api/src/sms/services/rapidpro/sender.js';
import type { OutboundMessage, SendError } from '../../../../api/src/sms/types.js';
import type { MessageState } from '../../../../shared-libs/task-utils/types.js';

const ONE: OutboundMessage[] = [{ id: 'm1', to: '+254711000001', content: 'hello' }];
const THREE: OutboundMessage[] = [
  { id: 'm1', to: '+254711000001', content: 'hello' },
  { id: 'm2', to: '+254 711 000 002', content: 'hello' },
  { id: 'm3', to: '+254711000003', content: 'hello' },
];

describe('RapidPro send outcomes: 2xx bodies', function () {
  const rows: Array<{
    name: string;
    batch: OutboundMessage[];
    body: string;
    state?: MessageState;
    refs?: string[];
    details?: string;
    code?: string;
  }> = [
    {
      name: 'CHT "should forward messages to custom RapidPro instance": queued → received-by-gateway, ref = id',
      batch: ONE,
      body: JSON.stringify({ id: 1234, status: 'queued', urns: ['tel:+254711000001'] }),
      state: 'received-by-gateway',
      refs: ['1234'],
      details: 'Queued',
    },
    ...(
      [
        ['wired', 'forwarded-by-gateway', 'Wired'],
        ['sent', 'sent', 'Sent'],
        ['delivered', 'delivered', 'Delivered'],
        ['resent', 'sent', 'Resent'],
        ['errored', 'received-by-gateway', 'Errored'],
        ['failed', 'failed', 'Failed'],
      ] as const
    ).map(([status, state, details]) => ({
      name: `CHT "should return correct statuses and ids": ${status} → ${state} ("${details}")`,
      batch: ONE,
      body: JSON.stringify({ id: 7, status }),
      state,
      refs: ['7'],
      details,
    })),
    {
      name: 'CHT "should catch errors and handle empty results": no status → received-by-gateway "Queued"',
      batch: ONE,
      body: '{"id": 8}',
      state: 'received-by-gateway',
      refs: ['8'],
      details: 'Queued',
    },
    {
      name: 'a status RapidPro does not document for messages (pending, completed) → received-by-gateway "Queued"',
      batch: ONE,
      body: '{"id": 9, "status": "completed"}',
      state: 'received-by-gateway',
      refs: ['9'],
      details: 'Queued',
    },
    {
      name: 'id as a numeric string',
      batch: ONE,
      body: '{"id": "11", "status": "queued"}',
      state: 'received-by-gateway',
      refs: ['11'],
    },
    {
      name: 'several recipients: each message gets <broadcast id>:<urn> (URN normalised as RapidPro does)',
      batch: THREE,
      body: '{"id": 12, "status": "queued"}',
      state: 'received-by-gateway',
      refs: ['12:tel:+254711000001', '12:tel:+254711000002', '12:tel:+254711000003'],
    },
    {
      name: 'CHT "should catch errors and handle empty results": no id (empty answer) → retried, nothing to follow',
      batch: ONE,
      body: '{"status": "queued"}',
      code: 'no_broadcast_id',
    },
    { name: 'empty body → retried', batch: ONE, body: '', code: 'no_broadcast_id' },
    { name: 'not JSON (a proxy page) → retried', batch: ONE, body: '<html>ok</html>', code: 'no_broadcast_id' },
    { name: 'JSON null → retried', batch: ONE, body: 'null', code: 'no_broadcast_id' },
    { name: 'id not a number → retried', batch: ONE, body: '{"id": "abc"}', code: 'no_broadcast_id' },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const outcomes = mapBroadcast(row.batch, row.body);
      expect(outcomes.map((o) => o.id)).to.deep.equal(row.batch.map((m) => m.id));
      for (const [i, o] of outcomes.entries()) {
        if (row.code) {
          expect(o.ok).to.equal(false);
          if (!o.ok) expect([o.error.kind, o.error.code]).to.deep.equal(['retryable', row.code]);
          continue;
        }
        expect(o.ok, JSON.stringify(o)).to.equal(true);
        if (!o.ok) continue;
        expect(o.state).to.equal(row.state);
        expect(o.gatewayRef).to.equal(row.refs?.[i]);
        if (row.details) expect(o.details).to.equal(row.details);
      }
    });
  }
});

describe('RapidPro send outcomes: refused requests', function () {
  const rows: Array<{
    name: string;
    status: number;
    text?: string;
    retryAfterMs?: number;
    kind: SendError['kind'];
    code: string;
    state?: MessageState;
    says?: string;
  }> = [
    {
      name: 'CHT "should catch errors and handle empty results": 400 → failed, not retried',
      status: 400,
      text: '{"urns": ["Invalid URN: tel:0712. Ensure phone numbers contain country codes."]}',
      kind: 'final',
      code: 'http_400',
      state: 'failed',
      says: 'Invalid URN',
    },
    {
      name: '401 → the channel pauses (bad token)',
      status: 401,
      kind: 'account',
      code: 'http_401',
      says: 'rapidpro:outgoing',
    },
    {
      name: '403 Invalid token → the channel pauses',
      status: 403,
      text: '{"detail":"Invalid token"}',
      kind: 'account',
      code: 'http_403',
      says: 'Invalid token',
    },
    {
      name: '404 → the channel pauses (sms.rapidpro.url is wrong)',
      status: 404,
      kind: 'account',
      code: 'http_404',
      says: 'sms.rapidpro.url',
    },
    {
      name: '301 → the channel pauses (sms.rapidpro.url is wrong)',
      status: 301,
      kind: 'account',
      code: 'http_301',
      says: 'sms.rapidpro.url',
    },
    {
      name: '429 → retried with backoff, the wait named',
      status: 429,
      retryAfterMs: 5000,
      kind: 'retryable',
      code: 'http_429',
      says: 'retry after 5 s',
    },
    {
      name: '500 (Django error page) → retried',
      status: 500,
      text: '<h1>Server Error (500)</h1>',
      kind: 'retryable',
      code: 'http_500',
    },
    { name: '502 → retried', status: 502, kind: 'retryable', code: 'http_502' },
    { name: '503 → retried', status: 503, kind: 'retryable', code: 'http_503' },
    { name: '408 → retried', status: 408, kind: 'retryable', code: 'http_408' },
    { name: '413 → failed', status: 413, kind: 'final', code: 'http_413', state: 'failed' },
    { name: '405 → failed', status: 405, kind: 'final', code: 'http_405', state: 'failed' },
  ];
  for (const row of rows) {
    it(row.name, function () {
      const err = classifyHttp({
        status: row.status,
        text: row.text ?? '',
        ...(row.retryAfterMs ? { retryAfterMs: row.retryAfterMs } : {}),
      });
      expect([err.kind, err.code]).to.deep.equal([row.kind, row.code]);
      if (row.state) expect(err.state).to.equal(row.state);
      if (row.says) expect(err.message).to.include(row.says);
    });
  }
});

describe('RapidPro broadcasts: grouping', function () {
  const m = (id: string, to: string, content = 'hi'): OutboundMessage => ({ id, to, content });
  const ids = (groups: OutboundMessage[][]): string[][] => groups.map((g) => g.map((x) => x.id));

  it('one broadcast per text', function () {
    expect(ids(groupForBroadcasts([m('a', '+2541', 'x'), m('b', '+2542', 'y'), m('c', '+2543', 'x')]))).to.deep.equal([
      ['a', 'c'],
      ['b'],
    ]);
  });
  it('a number twice (even written differently) goes in another broadcast: one message per URN', function () {
    expect(ids(groupForBroadcasts([m('a', '+254 711'), m('b', '+254711'), m('c', '+254712')]))).to.deep.equal([
      ['a', 'c'],
      ['b'],
    ]);
  });
  it('at most 100 URNs a broadcast (RapidPro refuses more)', function () {
    const batch = Array.from({ length: 230 }, (_, i) => m(`m${i}`, `+2547${String(i).padStart(8, '0')}`));
    expect(groupForBroadcasts(batch).map((g) => g.length)).to.deep.equal([100, 100, 30]);
  });
});
