/**
 * The opt-out list on both stores: the admin API (list, add, opt back in with history), AT's
 * opt-out callback behind the incoming key, and the counts in monitoring and metrics.
 */
import { expect } from 'chai';
import { onEachStore } from '../helpers/stores.js';
import { api, type TestServer } from '../helpers/test-server.js';

const INCOMING_KEY = 'opt-out-spec-incoming-key-9d2';
const CALLBACK = '/api/v1/sms/africastalking/opt-outs';

interface Entry {
  number: string;
  sender_id: string | null;
  source: string;
  at: string;
}

async function list(server: TestServer): Promise<Entry[]> {
  const res = await api(server, 'GET', '/api/v1/sms/opt-outs');
  expect(res.status).to.equal(200);
  return (res.body as { opt_outs: Entry[] }).opt_outs;
}

function callback(server: TestServer, form: Record<string, string>, key = INCOMING_KEY): Promise<Response> {
  return fetch(`${server.url}${CALLBACK}?key=${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

onEachStore((s) => {
  before(async function () {
    await api(s.server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY);
  });

  it('POST adds a number (normalised), for every sender or one sender id; GET lists them', async function () {
    const add = async (body: unknown): Promise<number> => {
      const res = await api(s.server, 'POST', '/api/v1/sms/opt-outs', body);
      expect(res.status, res.text).to.equal(200);
      return (res.body as { saved: number }).saved;
    };
    expect(await add({ number: '+254 711 000 101' })).to.equal(1);
    expect(await add({ number: '+254711000101' })).to.equal(0);
    expect(await add({ number: '+254711000102', sender_id: 'MEDIC' })).to.equal(1);
    const entries = await list(s.server);
    expect(entries.map(({ number, sender_id, source }) => ({ number, sender_id, source }))).to.deep.include.members([
      { number: '+254711000101', sender_id: null, source: 'admin (admin)' },
      { number: '+254711000102', sender_id: 'MEDIC', source: 'admin (admin)' },
    ]);
    for (const e of entries) expect(Date.parse(e.at)).to.be.a('number').and.not.NaN;
  });

  const bad: Array<[string, unknown, number, RegExp]> = [
    ['no number', {}, 400, /number: is required/],
    ['a number that is not one', { number: 'call me' }, 400, /is not a usable phone number/],
    ['sender_id not a string', { number: '+254711000103', sender_id: 5 }, 400, /sender_id: must be a string/],
  ];
  for (const [name, body, status, error] of bad) {
    it(`POST refuses ${name} (${status})`, async function () {
      const res = await api(s.server, 'POST', '/api/v1/sms/opt-outs', body);
      expect(res.status).to.equal(status);
      expect(res.text).to.match(error);
    });
  }

  it('administrators only', async function () {
    for (const [method, path] of [
      ['GET', '/api/v1/sms/opt-outs'],
      ['POST', '/api/v1/sms/opt-outs'],
      ['DELETE', '/api/v1/sms/opt-outs/%2B254711000101'],
    ]) {
      const res = await api(
        s.server,
        method as string,
        path as string,
        method === 'POST' ? { number: '+254711000199' } : undefined,
        { authorization: 'Basic eDp5' },
      );
      expect(res.status, `${method} ${path}`).to.equal(401);
    }
  });

  it('DELETE opts back in (the entry keeps both changes in its history); again → 404', async function () {
    await api(s.server, 'POST', '/api/v1/sms/opt-outs', { number: '+254711000104', sender_id: 'MEDIC' });
    expect((await api(s.server, 'DELETE', '/api/v1/sms/opt-outs/+254711000104')).status).to.equal(404);
    const res = await api(s.server, 'DELETE', '/api/v1/sms/opt-outs/+254711000104?sender_id=MEDIC');
    expect(res.status, res.text).to.equal(200);
    expect((await list(s.server)).some((e) => e.number === '+254711000104')).to.equal(false);
    const again = await api(s.server, 'DELETE', '/api/v1/sms/opt-outs/+254711000104?sender_id=MEDIC');
    expect(again.status).to.equal(404);
    expect((again.body as { error: string }).error).to.match(/has not opted out of sender id "MEDIC"/);
    const doc = (await s.server.dbs.medic.get('sms-opt-out:+254711000104|MEDIC')) as unknown as {
      active: boolean;
      history: Array<{ action: string; source: string }>;
    };
    expect(doc.active).to.equal(false);
    expect(doc.history.map((h) => h.action)).to.deep.equal(['add', 'remove']);
  });

  it("AT's opt-out callback: wrong key → 403, nothing stored; saved 1, the same again saved 0", async function () {
    const wrong = await callback(s.server, { senderId: 'MEDIC', phoneNumber: '+254711000105' }, 'not-the-key');
    expect(wrong.status).to.equal(403);
    expect((await list(s.server)).some((e) => e.number === '+254711000105')).to.equal(false);
    const first = await callback(s.server, { senderId: 'MEDIC', phoneNumber: '+254711000105' });
    expect(first.status).to.equal(200);
    expect(await first.json()).to.deep.equal({ saved: 1 });
    expect(await (await callback(s.server, { senderId: 'MEDIC', phoneNumber: '+254711000105' })).json()).to.deep.equal({
      saved: 0,
    });
    const entry = (await list(s.server)).find((e) => e.number === '+254711000105');
    expect(entry).to.include({ sender_id: 'MEDIC', source: 'africas-talking: opt-out callback' });
    expect(s.server.logs()).to.not.include(INCOMING_KEY);
  });

  it("AT's opt-out callback without phoneNumber → 400 naming the field", async function () {
    const res = await callback(s.server, { senderId: 'MEDIC' });
    expect(res.status).to.equal(400);
    expect(await res.text()).to.match(/phoneNumber/);
  });

  it('active entries are counted in /api/v2/monitoring and /metrics', async function () {
    const n = (await list(s.server)).length;
    expect(n).to.be.greaterThan(0);
    const monitoring = (await api(s.server, 'GET', '/api/v2/monitoring')).body as {
      sms: { guards: { opt_outs: number } };
    };
    expect(monitoring.sms.guards.opt_outs).to.equal(n);
    expect((await api(s.server, 'GET', '/metrics')).text).to.include(`sms_opt_outs ${n}`);
  });
});
