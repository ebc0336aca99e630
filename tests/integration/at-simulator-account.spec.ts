/**
 * The AT simulator's account features over real HTTP: the balance API
 * (https://developers.africastalking.com/docs/application) with top-ups and currencies, and bulk
 * SMS opt-outs (https://developers.africastalking.com/docs/sms/notifications) with the 406
 * UserInBlacklist refusals that follow them.
 */
import { expect } from 'chai';
import { startSimulator, type RecipientResult, type Simulator } from '../../shared-libs/at-simulator/index.js';
import { startReceiver, type Receiver } from '../helpers/callback-receiver.js';

const KEY = 'account-test-key-789';
const USER = 'myapp';

interface SmsBody {
  SMSMessageData: { Message: string; Recipients: RecipientResult[] };
}

async function send(sim: Simulator, to: string, extra: Record<string, string> = {}): Promise<SmsBody> {
  const res = await fetch(`${sim.url}/version1/messaging`, {
    method: 'POST',
    headers: { apiKey: KEY, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: USER, to, message: 'hello', ...extra }).toString(),
  });
  expect(res.status).to.equal(201);
  return (await res.json()) as SmsBody;
}

function getUser(sim: Simulator, username: string | null = USER, apiKey = KEY): Promise<Response> {
  const query = username === null ? '' : `?username=${encodeURIComponent(username)}`;
  return fetch(`${sim.url}/version1/user${query}`, { headers: { apiKey, accept: 'application/json' } });
}

async function balance(sim: Simulator): Promise<string> {
  const res = await getUser(sim);
  expect(res.status).to.equal(200);
  const body = (await res.json()) as { UserData: { balance: string } };
  expect(Object.keys(body)).to.deep.equal(['UserData']);
  return body.UserData.balance;
}

describe('AT simulator: balance API', function () {
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ accounts: [{ username: USER, apiKey: KEY }], balance: 1785.5 });
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.configure({ currency: 'KES' });
  });

  it('reports the balance as AT documents it', async () => {
    expect(await balance(sim)).to.equal('KES 1785.50');
  });

  it('an unlimited balance (null) reports a large number', async () => {
    sim.configure({ balance: null });
    expect(await balance(sim)).to.equal('KES 1000000.00');
  });

  it('goes down by what sends cost, keeping 4 decimals where needed', async () => {
    sim.configure({ balance: 10 });
    await send(sim, '+254700000001,+254700000002');
    expect(await balance(sim)).to.equal('KES 8.40');
    sim.configure({ balance: 1.2345 });
    expect(await balance(sim)).to.equal('KES 1.2345');
  });

  it('a top-up (PUT /simulator/config {balance}) ends the 405 InsufficientBalance refusals', async () => {
    sim.configure({ balance: 0.5 });
    expect((await send(sim, '+254700000001')).SMSMessageData.Recipients[0].statusCode).to.equal(405);
    expect(await balance(sim)).to.equal('KES 0.50');
    const put = await fetch(`${sim.url}/simulator/config`, { method: 'PUT', body: JSON.stringify({ balance: 100 }) });
    expect(put.status).to.equal(200);
    expect((await send(sim, '+254700000001')).SMSMessageData.Recipients[0].statusCode).to.equal(101);
    expect(await balance(sim)).to.equal('KES 99.20');
  });

  it('reset restores the start-up balance', async () => {
    sim.configure({ balance: 3 });
    sim.reset();
    expect(await balance(sim)).to.equal('KES 1785.50');
  });

  it('currency applies to costs, the summary and the balance', async () => {
    sim.configure({ currency: 'TZS' });
    const body = await send(sim, '+255700000001');
    expect(body.SMSMessageData.Message).to.equal('Sent to 1/1 Total Cost: TZS 0.8000');
    expect(body.SMSMessageData.Recipients[0].cost).to.equal('TZS 0.8000');
    expect(await balance(sim)).to.equal('TZS 1784.70');
  });

  it('PUT config 400 on a currency that is not a 3-letter code', async () => {
    const body = JSON.stringify({ currency: 'kes' });
    const res = await fetch(`${sim.url}/simulator/config`, { method: 'PUT', body });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { error: string }).error).to.match(/'currency'/);
  });

  const errors: Array<[string, string | null, string, number, string]> = [
    ['wrong key', USER, 'nope', 401, 'The supplied authentication is invalid'],
    ['unknown username', 'other', KEY, 401, 'The supplied authentication is invalid'],
    ['no username', null, KEY, 400, "Request is missing required query parameter 'username'"],
  ];
  for (const [name, username, apiKey, status, text] of errors) {
    it(`${status} text/plain on ${name}`, async () => {
      const res = await getUser(sim, username, apiKey);
      expect(res.status).to.equal(status);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      expect(await res.text()).to.equal(text);
    });
  }

  it('fetchFailNext applies, and each GET is recorded', async () => {
    sim.configure({ fetchFailNext: { status: 500, count: 1 } });
    expect((await getUser(sim)).status).to.equal(500);
    expect((await getUser(sim)).status).to.equal(200);
    expect(sim.fetches().map((f) => [f.path, f.query.username, f.httpStatus])).to.deep.equal([
      ['/version1/user', USER, 500],
      ['/version1/user', USER, 200],
    ]);
  });
});

describe('AT simulator: opt-outs', function () {
  let sim: Simulator;
  let rcv: Receiver;
  const codes = async (to: string, from?: string): Promise<number[]> =>
    (await send(sim, to, from ? { from } : {})).SMSMessageData.Recipients.map((r) => r.statusCode);

  before(async () => {
    [sim, rcv] = await Promise.all([startSimulator({ accounts: [{ username: USER, apiKey: KEY }] }), startReceiver()]);
  });
  after(() => Promise.all([sim.close(), rcv.close()]));
  beforeEach(() => {
    sim.reset();
    sim.configure({ optOutUrl: `${rcv.url}/api/v1/sms/africastalking/opt-outs?key=secret` });
    rcv.received = [];
    rcv.respond = () => 200;
  });

  it('posts senderId and phoneNumber form-encoded to optOutUrl and returns the answer', async () => {
    rcv.answerBody = '{"saved":1}';
    const res = await fetch(`${sim.url}/simulator/opt-outs`, {
      method: 'POST',
      body: JSON.stringify({ phoneNumber: '+254711000001', senderId: 'CHT' }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ httpStatus: 200, body: '{"saved":1}' });
    expect(rcv.received).to.have.length(1);
    const [r] = rcv.received;
    expect(r.path).to.equal('/api/v1/sms/africastalking/opt-outs?key=secret');
    expect(r.headers['content-type']).to.equal('application/x-www-form-urlencoded');
    expect(r.body).to.equal('senderId=CHT&phoneNumber=%2B254711000001');
  });

  it("returns the receiver's refusal as it came", async () => {
    rcv.respond = () => 403;
    expect(await sim.optOut({ phoneNumber: '+254711000001' })).to.include({ httpStatus: 403 });
  });

  it('records opt-outs (GET /simulator/opt-outs)', async () => {
    await sim.optOut({ phoneNumber: '+254711000001', senderId: 'CHT' });
    await sim.optOut({ phoneNumber: '+254711000002' });
    const list = (await (await fetch(`${sim.url}/simulator/opt-outs`)).json()) as Array<Record<string, unknown>>;
    expect(list.map((o) => [o.senderId, o.phoneNumber, o.httpStatus])).to.deep.equal([
      ['CHT', '+254711000001', 200],
      [undefined, '+254711000002', 200],
    ]);
    expect(rcv.received[1].form).to.deep.equal({ phoneNumber: '+254711000002' });
  });

  it('refuses later sends from that sender to that number with 406 UserInBlacklist, as AT does', async () => {
    await sim.optOut({ phoneNumber: '+254711000001', senderId: 'CHT' });
    const body = await send(sim, '+254711000001,+254711000002', { from: 'CHT' });
    expect(body.SMSMessageData.Recipients[0]).to.deep.equal({
      cost: '0',
      messageId: 'None',
      number: '+254711000001',
      status: 'UserInBlacklist',
      statusCode: 406,
    });
    expect(body.SMSMessageData.Recipients[1].statusCode).to.equal(101);
    expect(body.SMSMessageData.Message).to.equal('Sent to 1/2 Total Cost: KES 0.8000');
    expect(await codes('+254711000001', 'OTHER')).to.deep.equal([101]);
    expect(await codes('+254711000001')).to.deep.equal([101]);
  });

  it('an opt-out without senderId refuses every sender, and sends without one', async () => {
    await sim.optOut({ phoneNumber: '+254711000003' });
    expect(await codes('+254711000003', 'CHT')).to.deep.equal([406]);
    expect(await codes('+254711000003', 'OTHER')).to.deep.equal([406]);
    expect(await codes('+254711000003')).to.deep.equal([406]);
  });

  it('without optOutUrl the opt-out still applies; the answer says nothing was posted', async () => {
    sim.configure({ optOutUrl: null });
    expect(await sim.optOut({ phoneNumber: '+254711000004', senderId: 'CHT' })).to.deep.equal({
      httpStatus: 0,
      body: '',
      error: 'optOutUrl is not configured',
    });
    expect(await codes('+254711000004', 'CHT')).to.deep.equal([406]);
  });

  it('reset forgets opt-outs', async () => {
    await sim.optOut({ phoneNumber: '+254711000005' });
    sim.reset();
    expect(await codes('+254711000005')).to.deep.equal([101]);
    expect(sim.optOuts()).to.deep.equal([]);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no phoneNumber', { senderId: 'CHT' }, /'phoneNumber' is required/],
    ['senderId not a string', { phoneNumber: '+254711000001', senderId: 5 }, /'senderId'/],
    ['not an object', [], /JSON object/],
  ];
  for (const [name, body, message] of bad) {
    it(`POST /simulator/opt-outs 400: ${name}`, async () => {
      const res = await fetch(`${sim.url}/simulator/opt-outs`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: string }).error).to.match(message);
    });
  }
});
