/**
 * medic-gateway pull protocol against a real server
 * (https://github.com/medic/cht-core/blob/master/api/src/controllers/sms-gateway.js; the gateway's side:
 * https://github.com/medic/cht-gateway#api), on both storage modes. Rows are
 * named after the CHT test they port: "controller" for
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/controllers/sms-gateway.spec.js, "integration" for
 * https://github.com/medic/cht-core/blob/master/tests/integration/api/controllers/sms-gateway.spec.js.
 * Each asserts the HTTP answer and what was stored.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { incomingDocId } from '../../api/src/messages/incoming.js';
import { putWebappMessage } from '../helpers/fixtures.js';
import { onEachStore } from '../helpers/stores.js';
import { api, type TestServer } from '../helpers/test-server.js';

interface Stored {
  state?: string;
  state_details?: unknown;
  state_history: Array<{ state: string; state_details?: unknown }>;
}

/** A message as CHT's webapp stores it (no history yet), so histories compare as in CHT's test. */
const webappMessage = (
  server: TestServer,
  opts: { due?: number; to?: string; message?: string } = {},
): Promise<string> => putWebappMessage(server.dbs.medic, opts);

async function stored(server: TestServer, uuid: string): Promise<Stored> {
  return (await api(server, 'GET', `/api/v1/messages/${uuid}`)).body as Stored;
}

async function incoming(
  server: TestServer,
  gatewayId: string,
): Promise<{ from?: string; sms_message: { message: string; from: string; gateway_ref: string } } | undefined> {
  try {
    return (await server.dbs.medic.get(incomingDocId(gatewayId))) as never;
  } catch {
    return undefined;
  }
}

const poll = (server: TestServer, body: unknown) => api(server, 'POST', '/api/sms', body);
const states = (m: Stored) => m.state_history.map((h) => h.state);

describe('medic-gateway pull protocol (GET/POST /api/sms)', function () {
  onEachStore((s) => {
    afterEach(function () {
      sinon.restore();
    });

    it('CHT controller: GET and POST without or with wrong credentials → 401, nothing stored', async function () {
      for (const auth of ['', `Basic ${Buffer.from('admin:wrong').toString('base64')}`]) {
        expect((await api(s.server, 'GET', '/api/sms', undefined, { authorization: auth })).status).to.equal(401);
        const res = await api(
          s.server,
          'POST',
          '/api/sms',
          { messages: [{ id: 'unauth-1', from: '+254712000001', content: 'x' }] },
          { authorization: auth },
        );
        expect(res.status).to.equal(401);
      }
      expect(await incoming(s.server, 'unauth-1')).to.equal(undefined);
    });

    it('CHT controller + integration: GET → {"medic-gateway": true}', async function () {
      const res = await api(s.server, 'GET', '/api/sms');
      expect(res).to.include({ status: 200 });
      expect(res.body).to.deep.equal({ 'medic-gateway': true });
    });

    it('CHT integration: POST {} with nothing queued → {messages: []}', async function () {
      expect((await poll(s.server, {})).body).to.deep.equal({ messages: [] });
      expect((await poll(s.server, { messages: null, updates: null })).body).to.deep.equal({ messages: [] });
    });

    it('CHT controller + integration: three incoming messages → three records, as CHT builds them', async function () {
      const msgs = [1, 2, 3].map((i) => ({
        id: `in-83-${i}`,
        from: `+25471200000${i}`,
        content: `hello ${i}`,
        sms_sent: 1,
        sms_received: 2,
      }));
      const res = await poll(s.server, { messages: msgs });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ messages: [] });
      for (const m of msgs) {
        const doc = await incoming(s.server, m.id);
        expect(doc?.sms_message).to.include({ message: m.content, from: m.from, gateway_ref: m.id });
        expect(doc?.from).to.equal(m.from);
      }
    });

    it('CHT integration: messages with missing fields are skipped, not rejected; the good one is stored', async function () {
      const res = await poll(s.server, {
        messages: [
          { id: 'in-84-good', from: '+254712000004', content: 'good' },
          { from: '+254712000004', content: 'no id' },
          { id: 'in-84-nofrom', content: 'no from' },
          { id: 'in-84-nocontent', from: '+254712000004' },
          { id: 'in-84-empty', from: '+254712000004', content: '' },
          'not an object',
        ],
      });
      expect(res.status).to.equal(200);
      expect(await incoming(s.server, 'in-84-good')).to.not.equal(undefined);
      for (const id of ['in-84-nofrom', 'in-84-nocontent', 'in-84-empty'])
        expect(await incoming(s.server, id)).to.equal(undefined);
    });

    it('CHT integration: the same gateway id twice (other text and sender) → only the first is stored', async function () {
      await poll(s.server, { messages: [{ id: 'in-85', from: '+254712000005', content: 'first' }] });
      await poll(s.server, { messages: [{ id: 'in-85', from: '+254712000006', content: 'second' }] });
      const both = await poll(s.server, {
        messages: [
          { id: 'in-85b', from: '+254712000005', content: 'a' },
          { id: 'in-85b', from: '+254712000005', content: 'b' },
        ],
      });
      expect(both.status).to.equal(200);
      expect((await incoming(s.server, 'in-85'))?.sms_message).to.include({ message: 'first', from: '+254712000005' });
      expect((await incoming(s.server, 'in-85b'))?.sms_message.message).to.equal('a');
    });

    it('gzip-compressed body (cht-gateway may gzip) is inflated', async function () {
      const body = await promisify(zlib.gzip)(
        JSON.stringify({ messages: [{ id: 'in-gzip', from: '+254712000007', content: 'zipped' }] }),
      );
      const res = await fetch(`${s.server.url}/api/sms`, {
        method: 'POST',
        headers: { authorization: s.server.adminAuth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: new Uint8Array(body),
      });
      expect(res.status).to.equal(200);
      expect((await incoming(s.server, 'in-gzip'))?.sms_message.message).to.equal('zipped');
    });

    // CHT controller rows: gateway status → stored state and details.
    const STATUS_ROWS: Array<{ name: string; update: Record<string, unknown>; state: string; details?: unknown }> = [
      { name: 'UNSENT → received-by-gateway', update: { status: 'UNSENT' }, state: 'received-by-gateway' },
      { name: 'PENDING → forwarded-by-gateway', update: { status: 'PENDING' }, state: 'forwarded-by-gateway' },
      { name: 'SENT → sent', update: { status: 'SENT' }, state: 'sent' },
      { name: 'DELIVERED → delivered', update: { status: 'DELIVERED' }, state: 'delivered' },
      {
        name: 'FAILED with reason → failed {reason}',
        update: { status: 'FAILED', reason: 'bad' },
        state: 'failed',
        details: { reason: 'bad' },
      },
      { name: 'FAILED without reason → failed, no details', update: { status: 'FAILED' }, state: 'failed' },
      {
        name: 'INVENTED-1 → unrecognised {gateway_status}',
        update: { status: 'INVENTED-1' },
        state: 'unrecognised',
        details: { gateway_status: 'INVENTED-1' },
      },
      { name: 'missing status → unrecognised', update: {}, state: 'unrecognised', details: {} },
    ];
    for (const row of STATUS_ROWS) {
      it(`CHT controller: ${row.name}`, async function () {
        const uuid = await webappMessage(s.server);
        const res = await poll(s.server, { updates: [{ id: uuid, ...row.update }] });
        expect(res.status).to.equal(200);
        const m = await stored(s.server, uuid);
        expect(m.state).to.equal(row.state);
        expect(m.state_details).to.deep.equal(row.details);
        expect(states(m)).to.deep.equal([row.state]);
      });
    }

    it('CHT integration: SENT then DELIVERED in one request → history [sent, delivered]; repeating SENT changes nothing', async function () {
      const uuid = await webappMessage(s.server);
      await poll(s.server, {
        updates: [
          { id: uuid, status: 'SENT' },
          { id: uuid, status: 'DELIVERED' },
        ],
      });
      expect(states(await stored(s.server, uuid))).to.deep.equal(['sent', 'delivered']);
      const again = await webappMessage(s.server);
      await poll(s.server, { updates: [{ id: again, status: 'SENT' }] });
      await poll(s.server, { updates: [{ id: again, status: 'SENT' }] });
      expect(states(await stored(s.server, again))).to.deep.equal(['sent']);
    });

    it('CHT integration: an update for an unknown id alongside a known one → the known one is still updated', async function () {
      const uuid = await webappMessage(s.server);
      const res = await poll(s.server, {
        updates: [{ id: 'no-such-message', status: 'SENT' }, { id: uuid, status: 'SENT' }, { status: 'SENT' }],
      });
      expect(res.status).to.equal(200);
      expect(states(await stored(s.server, uuid))).to.deep.equal(['sent']);
    });

    it('CHT controller: a failing state update → error answer {code, error}; the incoming message was stored first', async function () {
      sinon.stub(s.server.statusUpdates, 'apply').rejects(new Error('oh no!'));
      const res = await poll(s.server, {
        messages: [{ id: 'in-46', from: '+254712000046', content: 'kept' }],
        updates: [{ id: 'x', status: 'SENT' }],
      });
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ code: 500, error: 'Server error' });
      expect(await incoming(s.server, 'in-46')).to.not.equal(undefined);
    });
  });
});
