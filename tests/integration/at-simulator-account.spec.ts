/**
 * The AT simulator's account features over real HTTP: the balance API
 * (https://developers.africastalking.com/docs/application) with top-ups and currencies.
 */
import { expect } from 'chai';
import { startSimulator, type RecipientResult, type Simulator } from '../../shared-libs/at-simulator/index.js';

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
