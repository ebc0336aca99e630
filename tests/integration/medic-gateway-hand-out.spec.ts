/**
 * medic-gateway hand-out, as
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/controllers/sms-gateway.spec.js
 * expects and https://github.com/medic/cht-gateway#idempotence describes: waiting messages go out
 * oldest due first, at most 25 a poll, marked `forwarded-to-gateway`, re-offered until the gateway
 * reports a status, and only while medic-gateway is the selected service.
 */
import { expect } from 'chai';
import { putWebappMessage } from '../helpers/fixtures.js';
import { api, startTestServer, type TestServer } from '../helpers/test-server.js';

interface Handed {
  id: string;
  to: string;
  content: string;
}

const queue = (server: TestServer, due: number, to = '+254712000111', message = `text ${due}`): Promise<string> =>
  putWebappMessage(server.dbs.medic, { due, to, message });

const poll = async (server: TestServer, body: unknown = {}): Promise<Handed[]> => {
  const res = await api(server, 'POST', '/api/sms', body);
  expect(res.status, res.text).to.equal(200);
  return (res.body as { messages: Handed[] }).messages;
};

async function history(server: TestServer, uuid: string): Promise<string[]> {
  const m = (await api(server, 'GET', `/api/v1/messages/${uuid}`)).body as { state_history: Array<{ state: string }> };
  return m.state_history.map((h) => h.state);
}

/** Reports SENT for everything handed out until nothing waits, so each row starts empty. */
async function drain(server: TestServer): Promise<void> {
  for (let out = await poll(server); out.length;)
    out = await poll(server, { updates: out.map((m) => ({ id: m.id, status: 'SENT' })) });
}

describe('medic-gateway hand-out of outgoing messages', function () {
  let server: TestServer;
  before(async function () {
    server = await startTestServer();
    const res = await api(server, 'PUT', '/api/v1/settings', { default_country_code: '254' });
    expect(res.status).to.equal(200);
  });
  after(async function () {
    await server?.stop();
  });
  beforeEach(async function () {
    await drain(server);
  });

  it('45: queued messages → {messages:[{id,to,content}]} oldest due first, `to` normalised, marked forwarded-to-gateway', async function () {
    const t = Date.now();
    const b = await queue(server, t - 2000, '0712 345 678', 'two');
    const c = await queue(server, t - 1000, '+254712345679', 'three');
    const a = await queue(server, t - 3000, '+254712345677', 'one');
    const out = await poll(server);
    expect(out).to.deep.equal([
      { id: a, to: '+254712345677', content: 'one' },
      { id: b, to: '+254712345678', content: 'two' },
      { id: c, to: '+254712345679', content: 'three' },
    ]);
    for (const id of [a, b, c]) expect(await history(server, id)).to.deep.equal(['forwarded-to-gateway']);
  });

  it('forwarded messages are offered again on every poll until a status arrives, without new history', async function () {
    const a = await queue(server, Date.now() - 2000);
    const b = await queue(server, Date.now() - 1000);
    expect((await poll(server)).map((m) => m.id)).to.deep.equal([a, b]);
    expect((await poll(server)).map((m) => m.id)).to.deep.equal([a, b]);
    expect(await history(server, a)).to.deep.equal(['forwarded-to-gateway']);
    // A status in the same poll is applied before the hand-out: `a` is no longer offered.
    expect((await poll(server, { updates: [{ id: a, status: 'UNSENT' }] })).map((m) => m.id)).to.deep.equal([b]);
    expect(await history(server, a)).to.deep.equal(['forwarded-to-gateway', 'received-by-gateway']);
  });

  it('at most 25 a poll, oldest first; the rest follow once those are reported', async function () {
    const t = Date.now() - 100_000;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await queue(server, t + i * 10));
    const first = await poll(server);
    expect(first.map((m) => m.id)).to.deep.equal(ids.slice(0, 25));
    const second = await poll(server, { updates: first.map((m) => ({ id: m.id, status: 'SENT' })) });
    expect(second.map((m) => m.id)).to.deep.equal(ids.slice(25));
  });

  it('a message queued through POST /api/v1/messages goes through the whole gateway round trip', async function () {
    const res = await api(server, 'POST', '/api/v1/messages', { to: '+254712345670', message: 'round trip' });
    const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
    expect(await poll(server)).to.deep.equal([{ id, to: '+254712345670', content: 'round trip' }]);
    await poll(server, {
      updates: [
        { id, status: 'UNSENT' },
        { id, status: 'PENDING' },
        { id, status: 'SENT' },
        { id, status: 'DELIVERED' },
      ],
    });
    expect(await history(server, id)).to.deep.equal([
      'pending',
      'forwarded-to-gateway',
      'received-by-gateway',
      'forwarded-by-gateway',
      'sent',
      'delivered',
    ]);
    // A late report never moves a delivered message back (lattice), but is kept for audit.
    await poll(server, { updates: [{ id, status: 'PENDING' }] });
    const m = (await api(server, 'GET', `/api/v1/messages/${id}`)).body as { state: string };
    expect(m.state).to.equal('delivered');
  });

  for (const [name, sms] of [
    ['no outgoing_service (CHT: none)', {}],
    [
      'africas-talking selected',
      {
        outgoing_service: 'africas-talking',
        africas_talking: { username: 'sandbox' },
        dispatch: { sweep_interval_seconds: 3600 },
      },
    ],
  ] as const) {
    it(`not selected (${name}) → {messages: []} and messages stay pending; updates still apply`, async function () {
      const put = await api(server, 'PUT', '/api/v1/settings?replace=1', { sms });
      expect(put.status, put.text).to.equal(200);
      try {
        const a = await queue(server, Date.now() - 1000);
        const b = await queue(server, Date.now() - 500);
        expect(await poll(server, { updates: [{ id: b, status: 'SENT' }] })).to.deep.equal([]);
        expect(await history(server, a)).to.have.length(0);
        expect(await history(server, b)).to.deep.equal(['sent']);
        // Queued messages must not go anywhere while AT has no API key: mark them done.
        await poll(server, { updates: [{ id: a, status: 'SENT' }] });
      } finally {
        await api(server, 'PUT', '/api/v1/settings?replace=1', { sms: { outgoing_service: 'medic-gateway' } });
      }
    });
  }
});
