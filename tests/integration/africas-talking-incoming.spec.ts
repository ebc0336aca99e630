/**
 * POST /api/v1/sms/africastalking/incoming-messages over real HTTP (AT's fields:
 * https://developers.africastalking.com/docs/sms/notifications). Every row asserts the HTTP answer,
 * what was stored (the data_records in the database), and that neither the incoming key nor the
 * AT API key reached a log. Rows marked "CHT controller spec" port
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/controllers/africas-talking.spec.js;
 * "CHT messaging spec" ones https://github.com/medic/cht-core/blob/master/api/tests/mocha/services/messaging.spec.js;
 * "CHT e2e" ones https://github.com/medic/cht-core/blob/master/tests/e2e/default/sms/africas-talking.wdio-spec.js.
 *
 * Deliberate deviations from CHT
 * (https://github.com/medic/cht-core/blob/master/api/src/controllers/africas-talking.js
 * and api/src/services/messaging.js), on purpose:
 * - An empty `text` is stored (with CHT's `sys.empty` error) instead of being dropped: AT would
 *   never resend it, and the record shows the sender tried.
 * - Dedupe is race-free by a doc id derived from AT's `id` (CHT checks a view, then inserts):
 *   concurrent retries of one id create exactly one record and are answered `saved: 0`.
 * - A missing required field answers 400 naming the field (CHT passes it on and stores junk or
 *   drops it silently).
 * - AT's `to`, `date`, `linkId`, `networkCode` are kept on `sms_message` (CHT drops them).
 */
import { expect } from 'chai';
import { api, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startSimulator, type Simulator } from '../../shared-libs/at-simulator/index.js';

const INCOMING_KEY = 'in-key-Zq81-secret';
const API_KEY = 'out-key-Vb27-secret';
const PATH = '/api/v1/sms/africastalking/incoming-messages';

type Fields = Record<string, string>;

async function post(
  server: TestServer,
  body: Fields | Record<string, unknown>,
  opts: { key?: string | null; json?: boolean } = {},
) {
  const key = opts.key === undefined ? INCOMING_KEY : opts.key;
  const url = `${server.url}${PATH}${key === null ? '' : `?key=${encodeURIComponent(key)}`}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: opts.json ? JSON.stringify(body) : new URLSearchParams(body as Fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Rec {
  _id: string;
  type: string;
  from: string;
  form?: string;
  reported_date: number;
  fields: object;
  errors: Array<{ code: string }>;
  tasks: unknown[];
  sms_message: Record<string, unknown>;
}

async function records(server: TestServer): Promise<Rec[]> {
  const res = await server.dbs.medic.allDocs({ include_docs: true });
  return res.rows
    .map((r) => r.doc as unknown as Rec | undefined)
    .filter(
      (d): d is Rec =>
        d?.type === 'data_record' &&
        typeof d.sms_message === 'object' &&
        d.sms_message !== null &&
        !('kujua_message' in d),
    );
}

const byRef = async (server: TestServer, id: string) =>
  (await records(server)).filter((r) => r.sms_message.gateway_ref === id);

function noSecrets(server: TestServer): void {
  const logs = server.logs();
  expect(logs, 'incoming key in logs').to.not.include(INCOMING_KEY);
  expect(logs, 'API key in logs').to.not.include(API_KEY);
}

describe('AT incoming-messages webhook', function () {
  let server: TestServer;
  let unconfigured: TestServer;

  before(async () => {
    server = await startTestServer();
    unconfigured = await startTestServer();
    expect((await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY)).status).to.equal(
      200,
    );
    expect((await api(server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', API_KEY)).status).to.equal(200);
    const settings = await api(server, 'PUT', '/api/v1/settings', {
      default_country_code: '254',
      forms: { P: { meta: { code: 'P' } } },
    });
    expect(settings.status).to.equal(200);
  });
  after(async () => {
    noSecrets(server);
    await server.stop();
    await unconfigured.stop();
  });
  afterEach(() => noSecrets(server));

  describe('refused: 403 and nothing stored', () => {
    const rows: Array<{ name: string; key: string | null }> = [
      { name: 'CHT controller spec: no key in the query', key: null },
      { name: 'CHT controller spec: wrong key', key: 'not-the-key' },
      { name: 'empty key', key: '' },
      { name: 'key with a different case', key: INCOMING_KEY.toUpperCase() },
      { name: 'correct key plus a suffix', key: `${INCOMING_KEY}x` },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const id = `refused-${row.name}`;
        const res = await post(server, { id, from: '+254711000001', text: 'hi' }, { key: row.key });
        expect(res.status).to.equal(403);
        expect(res.body).to.include({ code: 403 });
        expect(await byRef(server, id)).to.have.length(0);
      });
    }

    it('CHT controller spec: no incoming key configured → 403 naming the credential, nothing stored', async () => {
      const res = await post(unconfigured, { id: 'unconf-1', from: '+254711000001', text: 'hi' }, { key: 'anything' });
      expect(res.status).to.equal(403);
      expect(String(res.body.error)).to.include('africastalking.com:incoming');
      expect(await records(unconfigured)).to.have.length(0);
      expect(unconfigured.logs()).to.not.include('anything');
    });

    // The key is checked before the body is read (api/src/routes/sms.ts): an unauthenticated
    // caller learns nothing from how its body would be judged, and no 2 MB body is parsed for it.
    it('a webhook without the key answers 403 whatever the body (not 415/400/413)', async () => {
      const url = `${server.url}${PATH}?key=wrong`;
      const bodies: Array<[string, string]> = [
        ['text/plain', 'hello'],
        ['application/json', '{"broken":'],
        ['application/x-www-form-urlencoded', `id=1&from=%2B254711000001&text=${'x'.repeat(2 * 1024 * 1024)}`],
      ];
      for (const [type, body] of bodies) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
        expect(res.status, type).to.equal(403);
      }
      const ok = await fetch(`${server.url}${PATH}?key=${INCOMING_KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      });
      // With the key, the body is judged: plain text is not a type this route takes.
      expect(ok.status).to.equal(415);
      expect(((await ok.json()) as { error: string }).error).to.match(
        /send application\/x-www-form-urlencoded or application\/json/,
      );
    });
  });

  describe('bad input: 400 naming the field, nothing stored', () => {
    const rows: Array<{ name: string; body: Fields; field: string }> = [
      {
        name: 'CHT messaging spec (deviation: 400, not silently skipped): missing id',
        body: { from: '+254711000001', text: 'hi' },
        field: 'id',
      },
      { name: 'missing from', body: { id: 'bad-from', text: 'hi' }, field: 'from' },
      { name: 'missing text', body: { id: 'bad-text', from: '+254711000001' }, field: 'text' },
      { name: 'empty id', body: { id: '', from: '+254711000001', text: 'hi' }, field: 'id' },
      { name: 'empty from', body: { id: 'bad-from-2', from: ' ', text: 'hi' }, field: 'from' },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const before = (await records(server)).length;
        const res = await post(server, row.body);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal(400);
        expect(String(res.body.error)).to.include(`"${row.field}"`);
        expect((await records(server)).length).to.equal(before);
      });
    }
  });

  describe('accepted', () => {
    interface Row {
      name: string;
      body: Fields | Record<string, unknown>;
      json?: boolean;
      want: { from: string; form?: string; sms: Record<string, unknown>; errors?: string[] };
    }
    const rows: Row[] = [
      {
        name: 'CHT controller spec: {id, from, text} → saved 1',
        body: { id: '123', from: '+456', text: 'gidday' },
        want: {
          from: '+456',
          sms: { type: 'sms_message', message: 'gidday', form: 'GIDDAY', from: '+456', gateway_ref: '123' },
        },
      },
      {
        name: 'CHT e2e: from=+64271234567&text=Hello&id=messageID → gateway_ref messageID',
        body: { from: '+64271234567', text: 'Hello', id: 'messageID' },
        want: {
          from: '+64271234567',
          sms: { type: 'sms_message', message: 'Hello', form: 'HELLO', from: '+64271234567', gateway_ref: 'messageID' },
        },
      },
      {
        name: "AT's full form body (Courier fixture): to, date, linkId, networkCode kept",
        body: {
          linkId: '03090445075804249226',
          text: 'Msg',
          to: '21512',
          id: 'ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3',
          date: '2017-05-03T06:04:45Z',
          from: '+254791541111',
          networkCode: '63902',
        },
        want: {
          from: '+254791541111',
          sms: {
            type: 'sms_message',
            message: 'Msg',
            form: 'MSG',
            from: '+254791541111',
            gateway_ref: 'ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3',
            to: '21512',
            date: '2017-05-03T06:04:45Z',
            linkId: '03090445075804249226',
            networkCode: '63902',
          },
        },
      },
      {
        name: 'local-format from is normalised on the record (default_country_code 254), raw kept on sms_message',
        body: { id: 'local-1', from: '0711000001', text: 'hello there' },
        want: {
          from: '+254711000001',
          sms: {
            type: 'sms_message',
            message: 'hello there',
            form: 'HELLO',
            from: '0711000001',
            gateway_ref: 'local-1',
          },
        },
      },
      {
        name: 'known form code (app_settings.forms has P) → record.form = P',
        body: { id: 'form-1', from: '+254711000002', text: 'p 10 Jane' },
        want: {
          from: '+254711000002',
          form: 'P',
          sms: { type: 'sms_message', message: 'p 10 Jane', form: 'P', from: '+254711000002', gateway_ref: 'form-1' },
        },
      },
      {
        name: 'JSON body accepted (numeric id too)',
        json: true,
        body: { id: 987654, from: '+254711000003', text: 'json works', networkCode: '99999' },
        want: {
          from: '+254711000003',
          sms: {
            type: 'sms_message',
            message: 'json works',
            form: 'JSON',
            from: '+254711000003',
            gateway_ref: '987654',
            networkCode: '99999',
          },
        },
      },
      {
        name: 'deviation: empty text is stored with sys.empty',
        body: { id: 'empty-1', from: '+254711000004', text: '' },
        want: {
          from: '+254711000004',
          errors: ['sys.empty'],
          sms: { type: 'sms_message', message: '', from: '+254711000004', gateway_ref: 'empty-1' },
        },
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const t0 = Date.now();
        const res = await post(server, row.body, { json: row.json });
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ saved: 1 });
        const found = await byRef(server, String((row.body as { id: unknown }).id));
        expect(found).to.have.length(1);
        const rec = found[0] as Rec;
        expect(rec.type).to.equal('data_record');
        expect(rec.from).to.equal(row.want.from);
        expect(rec.form).to.equal(row.want.form);
        expect(rec.sms_message).to.deep.equal(row.want.sms);
        expect(rec.fields).to.deep.equal({});
        expect(rec.tasks).to.deep.equal([]);
        expect(rec.errors.map((e) => e.code)).to.deep.equal(row.want.errors ?? []);
        expect(rec.reported_date).to.be.within(t0 - 1000, Date.now() + 1000);
        // Visible through the public API too.
        const list = await api(server, 'GET', '/api/v1/messages?direction=incoming&limit=1000');
        const items = (list.body as { messages: Array<{ gateway_ref: string }> }).messages;
        expect(items.filter((m) => m.gateway_ref === rec.sms_message.gateway_ref)).to.have.length(1);
      });
    }

    it('CHT messaging spec: same id again → saved 0, still one record', async () => {
      const first = await post(server, { id: 'again-1', from: '+254711000005', text: 'one' });
      const second = await post(server, { id: 'again-1', from: '+254711000005', text: 'one' });
      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect([first.body, second.body]).to.deep.equal([{ saved: 1 }, { saved: 0 }]);
      expect(await byRef(server, 'again-1')).to.have.length(1);
    });

    it('10 concurrent copies of one id → exactly one record, one saved:1', async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => post(server, { id: 'race-1', from: '+254711000006', text: 'race' })),
      );
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      expect(answers.filter((a) => a.body.saved === 1)).to.have.length(1);
      expect(answers.filter((a) => a.body.saved === 0)).to.have.length(9);
      expect(await byRef(server, 'race-1')).to.have.length(1);
    });
  });

  describe('from the simulator (AT posting, with retries)', () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator({ incomingUrl: `${server.url}${PATH}?key=${INCOMING_KEY}` });
    });
    after(() => sim.close());

    it('5 concurrent copies posted by the simulator → one record, all answered 200', async () => {
      const results = await sim.injectIncoming({
        from: '+254711000007',
        text: 'P 12',
        id: 'sim-race-1',
        copies: 5,
        concurrent: true,
        linkId: 'L1',
        to: '40100',
      });
      expect(results.map((r) => r.httpStatus)).to.deep.equal([200, 200, 200, 200, 200]);
      expect(results.map((r) => (JSON.parse(r.body) as { saved: number }).saved).sort()).to.deep.equal([0, 0, 0, 0, 1]);
      const found = await byRef(server, 'sim-race-1');
      expect(found).to.have.length(1);
      expect(found[0]?.form).to.equal('P');
      expect(found[0]?.sms_message).to.include({ to: '40100', linkId: 'L1', networkCode: '99999', message: 'P 12' });
    });
  });
});
