/**
 * RapidPro's incoming webhook at CHT's two URLs, over real HTTP, through the shared route table
 * (tests/helpers/provider-table.ts: every row also proves no secret leaked into the answer, the
 * logs or the store); then the RapidPro simulator posting as a flow's "Call webhook" action does
 * (https://docs.communityhealthtoolkit.org/building/messaging/gateways/rapidpro/), retries
 * included. The `describe('CHT controller …')` block ports every case of
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/controllers/rapidpro.spec.js as a
 * black-box test, named after it.
 *
 * Deliberate deviations from CHT (https://github.com/medic/cht-core/blob/master/api/src/controllers/rapidpro.js):
 * - A message already stored answers 200 `{"saved": 0}` (CHT: 400 "Message was not saved", which a
 *   flow takes for a failed call and retries).
 * - The token is checked before the body is read (a caller without it gets 403 whatever it sends),
 *   in constant time, with failures throttled; CHT checks the body first.
 * - A missing `id`, `from` or `content` answers 400 naming the field (CHT saves nothing and
 *   answers 400 "Message was not saved").
 */
import { expect } from 'chai';
import { routeTable, sendRequest, type ProviderRig, type RouteRow } from '../../helpers/provider-table.js';
import { RP_INCOMING, RP_TOKEN, startRapidProRig, type RapidProRig } from '../../helpers/rapidpro-setup.js';
import { api, startTestServer, type TestServer } from '../../helpers/test-server.js';

const V2 = '/api/v2/sms/rapidpro/incoming-messages';
const V1 = '/api/v1/sms/radpidpro/incoming-messages';
const TOKEN = { authorization: `Token ${RP_INCOMING}` };

interface Stored {
  from?: string;
  sms_message?: { gateway_ref?: string; message?: string; from?: string };
}

async function incoming(server: TestServer): Promise<Stored[]> {
  const res = await server.dbs.medic.allDocs({ include_docs: true, startkey: 'sms-in:', endkey: 'sms-in:\ufff0' });
  return res.rows.map((r) => r.doc as Stored);
}

const storedOnce = (ref: string, check?: (doc: Stored) => void) => async (server: TestServer) => {
  const docs = (await incoming(server)).filter((d) => d.sms_message?.gateway_ref === ref);
  expect(docs).to.have.length(1);
  check?.(docs[0] as Stored);
};
const nothingStored = (ref: string) => async (server: TestServer) => {
  expect((await incoming(server)).map((d) => d.sms_message?.gateway_ref)).to.not.include(ref);
};

describe('RapidPro incoming: route table', function () {
  let rig: RapidProRig;
  let r: ProviderRig;
  before(async () => {
    rig = await startRapidProRig();
    r = { server: rig.server, secrets: [RP_TOKEN, RP_INCOMING] };
  });
  after(() => rig.stop());

  const rows: RouteRow[] = [
    {
      name: 'v2: a flow webhook → saved 1, stored as an incoming record',
      request: { path: V2, headers: TOKEN, json: { id: 'run-uuid-1', from: '+254711000001', content: 'P 12 John' } },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('run-uuid-1', (d) => {
        expect(d.sms_message).to.deep.include({ message: 'P 12 John', from: '+254711000001' });
        expect(d.from).to.equal('+254711000001');
      }),
    },
    {
      name: 'v2: the same id again (the flow retried) → 200 saved 0, still one record',
      request: { path: V2, headers: TOKEN, json: { id: 'run-uuid-1', from: '+254711000001', content: 'P 12 John' } },
      status: 200,
      body: { saved: 0 },
      stored: storedOnce('run-uuid-1'),
    },
    {
      name: "v1 (CHT's deprecated 'radpidpro' spelling) → saved 1",
      request: { path: V1, headers: TOKEN, json: { id: 'run-uuid-2', from: '+254711000002', content: 'hello' } },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('run-uuid-2'),
    },
    {
      name: 'v1 and v2 share the dedupe: the v1 id again on v2 → saved 0',
      request: { path: V2, headers: TOKEN, json: { id: 'run-uuid-2', from: '+254711000002', content: 'hello' } },
      status: 200,
      body: { saved: 0 },
      stored: storedOnce('run-uuid-2'),
    },
    {
      name: 'from as a tel: URN (a flow posting @urns.tel) → the number',
      request: { path: V2, headers: TOKEN, json: { id: 'run-uuid-3', from: 'tel:+254711000003', content: 'x' } },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('run-uuid-3', (d) => expect(d.sms_message?.from).to.equal('+254711000003')),
    },
    {
      name: 'an empty text is stored (with the sys.empty error), not dropped',
      request: { path: V2, headers: TOKEN, json: { id: 'run-uuid-4', from: '+254711000004', content: '' } },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('run-uuid-4'),
    },
    {
      name: 'scheme in another case ("token") is accepted',
      request: {
        path: V2,
        headers: { authorization: `token ${RP_INCOMING}` },
        json: { id: 'run-uuid-5', from: '+2547', content: 'x' },
      },
      status: 200,
      body: { saved: 1 },
    },
    {
      name: 'wrong token → 403, nothing stored',
      request: {
        path: V2,
        headers: { authorization: 'Token not-the-token' },
        json: { id: 'rt-403a', from: '+2547', content: 'x' },
      },
      status: 403,
      error: 'Incorrect token',
      stored: nothingStored('rt-403a'),
    },
    {
      name: 'no Authorization header → 403',
      request: { path: V2, json: { id: 'rt-403b', from: '+2547', content: 'x' } },
      status: 403,
      stored: nothingStored('rt-403b'),
    },
    {
      name: 'the token as a Bearer token → 403',
      request: {
        path: V1,
        headers: { authorization: `Bearer ${RP_INCOMING}` },
        json: { id: 'rt-403c', from: '+2547', content: 'x' },
      },
      status: 403,
      stored: nothingStored('rt-403c'),
    },
    {
      name: 'the token in ?key= instead of the header → 403',
      request: { path: V2, query: { key: RP_INCOMING }, json: { id: 'rt-403d', from: '+2547', content: 'x' } },
      status: 403,
      stored: nothingStored('rt-403d'),
    },
    {
      name: 'no body → 400',
      request: { path: V2, headers: TOKEN },
      status: 400,
      error: 'Request body must be a JSON object',
    },
    {
      name: 'no id → 400 naming it',
      request: { path: V2, headers: TOKEN, json: { from: '+2547', content: 'x' } },
      status: 400,
      error: '"id"',
    },
    {
      name: 'no from → 400 naming it',
      request: { path: V2, headers: TOKEN, json: { id: 'rt-400b', content: 'x' } },
      status: 400,
      error: '"from"',
    },
    {
      name: 'no content → 400 naming it',
      request: { path: V1, headers: TOKEN, json: { id: 'rt-400c', from: '+2547' } },
      status: 400,
      error: '"content"',
      stored: nothingStored('rt-400c'),
    },
    {
      name: 'a blank id → 400',
      request: { path: V2, headers: TOKEN, json: { id: '  ', from: '+2547', content: 'x' } },
      status: 400,
      error: '"id"',
    },
  ];
  routeTable(rows, () => r);
});

/** The simulator's record of an answer: its body as text (JSON text, or already parsed). */
const body = (a: { body?: unknown }): string => (typeof a.body === 'string' ? a.body : JSON.stringify(a.body));

describe('RapidPro incoming: the simulator posting as a flow does', function () {
  let rig: RapidProRig;
  before(async () => {
    rig = await startRapidProRig();
  });
  after(() => rig.stop());

  it('a message is saved once, whatever the retries: 6 concurrent copies → one record, one saved:1', async () => {
    const answers = await rig.sim.injectIncoming({ from: '+254711000010', text: 'P 44', copies: 6, concurrent: true });
    expect(answers.map((a) => a.httpStatus)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    expect(answers.filter((a) => body(a) === '{"saved":1}')).to.have.length(1);
    expect(answers.filter((a) => body(a) === '{"saved":0}')).to.have.length(5);
    const id = answers[0]?.id as string;
    expect((await incoming(rig.server)).filter((d) => d.sms_message?.gateway_ref === id)).to.have.length(1);
  });

  it('copies one after another → saved 1 then 0, 0', async () => {
    const answers = await rig.sim.injectIncoming({ from: '+254711000011', text: 'P 45', copies: 3 });
    expect(answers.map(body)).to.deep.equal(['{"saved":1}', '{"saved":0}', '{"saved":0}']);
  });

  it('wrong token configured in the flow → 403, nothing stored, the token never logged', async () => {
    rig.sim.configure({ incomingToken: 'flow-has-a-stale-token' });
    try {
      const [answer] = await rig.sim.injectIncoming({ from: '+254711000012', text: 'lost', id: 'sim-403' });
      expect(answer?.httpStatus).to.equal(403);
      expect((await incoming(rig.server)).map((d) => d.sms_message?.gateway_ref)).to.not.include('sim-403');
      expect(rig.server.logs()).to.not.include('flow-has-a-stale-token');
      expect(rig.server.logs()).to.not.include(RP_INCOMING);
    } finally {
      rig.sim.configure({ incomingToken: RP_INCOMING });
    }
  });
});

describe('CHT controller (api/tests/mocha/controllers/rapidpro.spec.js) incomingMessages, black-box', function () {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());
  const post = (req: Parameters<typeof sendRequest>[1]) => sendRequest(server, req);
  const configure = (token: string) => api(server, 'PUT', '/api/v1/credentials/rapidpro:incoming', token);

  it('should fail early when body is empty', async () => {
    await configure('somekey');
    const res = await post({ path: V2, headers: { authorization: 'Token somekey' } });
    expect(res.status).to.equal(400);
    expect(await incoming(server)).to.have.length(0);
  });

  it('should fail early if no token is provided', async () => {
    const res = await post({ path: V2, json: { id: 'c1', from: '+456', content: 'x' } });
    expect(res.status).to.equal(403);
  });

  it('should fail early if authorization header is malformed', async () => {
    const res = await post({
      path: V2,
      headers: { authorization: 'does no start with Token thing' },
      json: { id: 'c2', from: '+456', content: 'x' },
    });
    expect(res.status).to.equal(403);
  });

  it('returns error when key not configured', async () => {
    const fresh = await startTestServer();
    try {
      const res = await sendRequest(fresh, { path: V2, headers: { authorization: 'Token somekey' }, json: {} });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('rapidpro:incoming');
    } finally {
      await fresh.stop();
    }
  });

  it('returns error when no key given', async () => {
    await configure('mykey');
    const res = await post({ path: V2, json: {} });
    expect(res.status).to.equal(403);
  });

  it('returns error when key does not match', async () => {
    await configure('mykey');
    const res = await post({ path: V2, headers: { authorization: 'Token somekey' }, json: {} });
    expect(res.status).to.equal(403);
  });

  it('passes the message to the messaging service', async () => {
    await configure('mykey');
    const res = await post({
      path: V2,
      headers: { authorization: 'Token mykey' },
      json: { id: '123', from: '+456', content: 'sms content' },
    });
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.text)).to.deep.equal({ saved: 1 });
    const [doc] = (await incoming(server)).filter((d) => d.sms_message?.gateway_ref === '123');
    expect(doc?.sms_message).to.deep.include({ gateway_ref: '123', from: '+456', message: 'sms content' });
  });
});
