/**
 * The AT simulator over real HTTP: wire format (https://developers.africastalking.com/docs/sms/sending/bulk),
 * magic numbers, fault modes, delivery reports and incoming messages
 * (https://developers.africastalking.com/docs/sms/notifications), control endpoints and the CLI.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startSimulator, type RecipientResult, type Simulator } from '../../shared-libs/at-simulator/index.js';
import { startReceiver, type Receiver } from '../helpers/callback-receiver.js';
import { startProcess } from '../helpers/processes.js';

const KEY = 'secret-test-key-123';
const USER = 'sandbox';

interface SendOptions {
  apiKey?: string | null;
  accept?: string | null;
  headerName?: string;
  contentType?: string;
  signal?: AbortSignal;
}

async function sendSms(sim: Simulator, fields: Record<string, string>, o: SendOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
  };
  if (o.accept !== null) headers.accept = o.accept ?? 'application/json';
  if (o.apiKey !== null) headers[o.headerName ?? 'apiKey'] = o.apiKey ?? KEY;
  return fetch(`${sim.url}/version1/messaging`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(fields).toString(),
    signal: o.signal,
  });
}

interface SmsBody {
  SMSMessageData: { Message: string; Recipients: RecipientResult[] };
}

async function sendJson(
  sim: Simulator,
  to: string,
  message = 'hello',
  extra: Record<string, string> = {},
): Promise<SmsBody> {
  const res = await sendSms(sim, { username: USER, to, message, ...extra });
  expect(res.status).to.equal(201);
  return (await res.json()) as SmsBody;
}

describe('AT simulator', function () {
  let sim: Simulator;
  let rcv: Receiver;

  before(async () => {
    sim = await startSimulator({ accounts: [{ username: USER, apiKey: KEY }], reportDelayMs: 5, seed: 7 });
    rcv = await startReceiver();
  });
  after(async () => {
    await sim.close();
    await rcv.close();
  });
  beforeEach(async () => {
    sim.reset();
    await sim.idle();
    sim.configure({
      dlrUrl: null,
      incomingUrl: null,
      senders: null,
      acceptCode: 101,
      reportDelayMs: 5,
      reports: { enabled: true, duplicate: false, outOfOrder: false, beforeResponse: false },
    });
    rcv.received = [];
    rcv.respond = () => 200;
  });

  describe('send response', () => {
    it('answers 201 JSON with AT key order, summary and ATXid', async () => {
      const res = await sendSms(sim, { username: USER, to: '+254700000001', message: 'hello' });
      expect(res.status).to.equal(201);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const raw = await res.text();
      const recipient =
        '{"cost":"KES 0\\.8000","messageId":"ATXid_[0-9a-f]{32}","messageParts":1,' +
        '"number":"\\+254700000001","status":"Success","statusCode":101}';
      const summary = '"Message":"Sent to 1/1 Total Cost: KES 0\\.8000"';
      expect(raw).to.match(new RegExp(`^\\{"SMSMessageData":\\{${summary},"Recipients":\\[${recipient}\\]\\}\\}$`));
    });

    it('accepts a ;charset=utf-8 content type suffix', async () => {
      const res = await sendSms(
        sim,
        { username: USER, to: '+254700000001', message: 'hi' },
        {
          contentType: 'application/x-www-form-urlencoded;charset=utf-8',
        },
      );
      expect(res.status).to.equal(201);
    });

    const partsCases: Array<[string, string, number]> = [
      ['short GSM text', 'hello', 1],
      ['160 GSM chars', 'a'.repeat(160), 1],
      ['161 GSM chars', 'a'.repeat(161), 2],
      ['306 GSM chars', 'a'.repeat(306), 2],
      ['307 GSM chars', 'a'.repeat(307), 3],
      ['80 extension chars (160 septets)', '€'.repeat(80), 1],
      ['81 extension chars (162 septets)', '€'.repeat(81), 2],
      ['70 UCS-2 chars', 'ж'.repeat(70), 1],
      ['71 UCS-2 chars', 'ж'.repeat(71), 2],
      ['one emoji makes it UCS-2', `${'a'.repeat(100)}😀`, 2],
    ];
    for (const [name, text, parts] of partsCases) {
      it(`messageParts: ${name} -> ${parts}`, async () => {
        const body = await sendJson(sim, '+254700000001', text);
        const r = body.SMSMessageData.Recipients[0];
        expect(r.messageParts).to.equal(parts);
        expect(r.cost).to.equal(`KES ${(0.8 * parts).toFixed(4)}`);
      });
    }

    it('splits a multi-recipient `to` with spaces, one entry per number in order', async () => {
      const body = await sendJson(sim, '+254700000001, +254700000002 ,+254700000406');
      const rs = body.SMSMessageData.Recipients;
      expect(rs.map((r) => r.number)).to.deep.equal(['+254700000001', '+254700000002', '+254700000406']);
      expect(rs.map((r) => r.statusCode)).to.deep.equal([101, 101, 406]);
      expect(body.SMSMessageData.Message).to.equal('Sent to 2/3 Total Cost: KES 1.6000');
      expect(new Set(rs.map((r) => r.messageId)).size).to.equal(3);
    });

    const acceptCases: Array<[100 | 101 | 102]> = [[100], [101], [102]];
    for (const [code] of acceptCases) {
      it(`acceptCode ${code} is reported with status Success`, async () => {
        sim.configure({ acceptCode: code });
        const r = (await sendJson(sim, '+254700000001')).SMSMessageData.Recipients[0];
        expect([r.statusCode, r.status]).to.deep.equal([code, 'Success']);
      });
    }

    it('answers XML without Accept: application/json', async () => {
      const res = await sendSms(sim, { username: USER, to: '+254700000001', message: 'hi' }, { accept: null });
      expect(res.status).to.equal(201);
      expect(res.headers.get('content-type')).to.match(/xml/);
      const xml = await res.text();
      expect(xml).to.contain(
        '<AfricasTalkingResponse><SMSMessageData><Message>Sent to 1/1 Total Cost: KES 0.8000</Message>',
      );
      expect(xml).to.contain(
        '<Recipients><Recipient><number>+254700000001</number><cost>KES 0.8000</cost><status>Success</status>',
      );
      expect(xml).to.match(/<messageId>ATXid_[0-9a-f]{32}<\/messageId>/);
    });
  });

  describe('per-recipient refusals (magic numbers)', () => {
    const magic: Array<[string, number, string]> = [
      ['+254700000401', 401, 'RiskHold'],
      ['+254700000402', 402, 'InvalidSenderId'],
      ['+254700000403', 403, 'InvalidPhoneNumber'],
      ['+254700000404', 404, 'UnsupportedNumberType'],
      ['+254700000405', 405, 'InsufficientBalance'],
      ['+254700000406', 406, 'UserInBlacklist'],
      ['+254700000407', 407, 'CouldNotRoute'],
      ['+254700000409', 409, 'DoNotDisturbRejection'],
      ['+254700000500', 500, 'InternalServerError'],
      ['+254700000501', 501, 'GatewayError'],
      ['+254700000502', 502, 'RejectedByGateway'],
      ['0712345678', 403, 'InvalidPhoneNumber'],
      ['+2547', 403, 'InvalidPhoneNumber'],
      ['+254 700 000001', 403, 'InvalidPhoneNumber'],
    ];
    for (const [number, code, status] of magic) {
      it(`${number} -> ${code} ${status}`, async () => {
        const body = await sendJson(sim, number);
        expect(body.SMSMessageData.Message).to.equal('Sent to 0/1 Total Cost: 0');
        const r = body.SMSMessageData.Recipients[0];
        expect(r).to.deep.equal({ cost: '0', messageId: 'None', number, status, statusCode: code });
        expect(Object.keys(r)).to.deep.equal(['cost', 'messageId', 'number', 'status', 'statusCode']);
      });
    }

    it('599 fails once with 500, then succeeds (transient)', async () => {
      const codes = [];
      for (let i = 0; i < 3; i++) {
        codes.push((await sendJson(sim, '+254700000599')).SMSMessageData.Recipients[0].statusCode);
      }
      expect(codes).to.deep.equal([500, 101, 101]);
    });

    it('an unknown sender is refused request-level with InvalidSenderId', async () => {
      sim.configure({ senders: ['CHT', 'MEDIC'] });
      expect(await sendJson(sim, '+254700000001', 'x', { from: 'SPAM' })).to.deep.equal({
        SMSMessageData: { Message: 'InvalidSenderId', Recipients: [] },
      });
      const ok = await sendJson(sim, '+254700000001', 'x', { from: 'MEDIC' });
      expect(ok.SMSMessageData.Recipients[0].statusCode).to.equal(101);
    });

    it('an exhausted balance refuses with 405 InsufficientBalance', async () => {
      sim.configure({ balance: 1 });
      const body = await sendJson(sim, '+254700000001,+254700000002');
      expect(body.SMSMessageData.Recipients.map((r) => r.statusCode)).to.deep.equal([101, 405]);
      expect(body.SMSMessageData.Message).to.equal('Sent to 1/2 Total Cost: KES 0.8000');
      expect(sim.config().balance).to.be.closeTo(0.2, 1e-9);
    });
  });

  describe('request errors', () => {
    const authCases: Array<[string, Record<string, string>, SendOptions]> = [
      ['wrong key', { username: USER }, { apiKey: 'nope' }],
      ['missing key', { username: USER }, { apiKey: null }],
      ['unknown username', { username: 'other' }, {}],
    ];
    for (const [name, fields, opts] of authCases) {
      it(`401 text/plain on ${name}`, async () => {
        const res = await sendSms(sim, { ...fields, to: '+254700000001', message: 'x' }, opts);
        expect(res.status).to.equal(401);
        expect(res.headers.get('content-type')).to.match(/^text\/plain/);
        expect(await res.text()).to.equal('The supplied authentication is invalid');
      });
    }

    it('takes the apiKey header in any case', async () => {
      const res = await sendSms(sim, { username: USER, to: '+254700000001', message: 'x' }, { headerName: 'APIKEY' });
      expect(res.status).to.equal(201);
    });

    const missing: Array<[string, Record<string, string>]> = [
      ['username', { to: '+254700000001', message: 'x' }],
      ['to', { username: USER, message: 'x' }],
      ['message', { username: USER, to: '+254700000001' }],
    ];
    for (const [field, fields] of missing) {
      it(`400 when '${field}' is missing`, async () => {
        const res = await sendSms(sim, fields);
        expect(res.status).to.equal(400);
        expect(res.headers.get('content-type')).to.match(/^text\/plain/);
        expect(await res.text()).to.equal(`Request is missing required form field '${field}'`);
      });
    }
  });

  describe('fault modes', () => {
    const ok = { username: USER, to: '+254700000001', message: 'x' };

    it('latencyMs delays the answer', async () => {
      sim.configure({ latencyMs: 150 });
      const t0 = Date.now();
      expect((await sendSms(sim, ok)).status).to.equal(201);
      expect(Date.now() - t0).to.be.at.least(140);
    });

    it('failNext answers the next `count` requests with that status', async () => {
      sim.configure({ failNext: { status: 503, count: 2 } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await sendSms(sim, ok)).status);
      expect(statuses).to.deep.equal([503, 503, 201]);
      expect(sim.config().failNext).to.equal(null);
    });

    it('failRate is reproducible with a seed', async () => {
      const run = async (): Promise<number[]> => {
        sim.configure({ seed: 1234, failRate: 0.5 });
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push((await sendSms(sim, ok)).status);
        return out;
      };
      const a = await run();
      const b = await run();
      expect(a).to.deep.equal(b);
      expect(a.filter((s) => s === 500).length).to.be.within(3, 17);
      expect(a.filter((s) => s === 201).length).to.be.within(3, 17);
    });

    it('a failed request answers 500 text/plain Internal Server Error', async () => {
      sim.configure({ failRate: 1 });
      const res = await sendSms(sim, ok);
      expect([res.status, await res.text()]).to.deep.equal([500, 'Internal Server Error']);
    });

    it('rate429 answers 429', async () => {
      sim.configure({ rate429: 1 });
      expect((await sendSms(sim, ok)).status).to.equal(429);
    });

    it('hang never answers; the client times out; reset releases it', async () => {
      sim.configure({ hang: true });
      const err = await sendSms(sim, ok, { signal: AbortSignal.timeout(200) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).name).to.match(/TimeoutError|AbortError/);
      expect(sim.sent()[0].httpStatus).to.equal(0);
      const pending = sendSms(sim, ok).then(
        () => 'answered',
        () => 'dropped',
      );
      await new Promise((r) => setTimeout(r, 50));
      sim.reset();
      expect(await pending).to.equal('dropped');
      expect((await sendSms(sim, ok)).status).to.equal(201);
    });

    it('nonJson answers 201 text/html', async () => {
      sim.configure({ nonJson: true });
      const res = await sendSms(sim, ok);
      expect(res.status).to.equal(201);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(await res.text()).to.equal('<html>Bad gateway</html>');
    });
  });

  describe('delivery reports', () => {
    const statusesFor = (id: string): string[] =>
      rcv.received.filter((r) => r.form.id === id).map((r) => r.form.status);

    it('posts Sent, Submitted, Success with AT fields', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr?key=abc` });
      const r = (await sendJson(sim, '+254700000001')).SMSMessageData.Recipients[0];
      await sim.idle();
      expect(rcv.received.map((x) => x.form)).to.deep.equal(
        ['Sent', 'Submitted', 'Success'].map((status) => ({
          id: r.messageId,
          status,
          phoneNumber: '+254700000001',
          networkCode: '99999',
          retryCount: '0',
        })),
      );
      expect(rcv.received.every((x) => x.path === '/dlr?key=abc')).to.equal(true);
      expect(sim.reports().map((x) => [x.status, x.httpStatus, x.attempt])).to.deep.equal([
        ['Sent', 200, 1],
        ['Submitted', 200, 1],
        ['Success', 200, 1],
      ]);
    });

    const plans: Array<[string, string[], string | undefined]> = [
      ['+254700000598', ['Sent', 'Submitted', 'Failed'], 'DeliveryFailure'],
      ['+254700000597', ['Sent'], undefined],
      ['+254700000596', ['Sent', 'Submitted', 'Rejected'], 'UserInBlackList'],
    ];
    for (const [number, statuses, reason] of plans) {
      it(`${number} reports ${statuses.join(' → ')}${reason ? ` (${reason})` : ''}`, async () => {
        sim.configure({ dlrUrl: `${rcv.url}/dlr` });
        const r = (await sendJson(sim, number)).SMSMessageData.Recipients[0];
        expect(r.statusCode).to.equal(101);
        await sim.idle();
        expect(statusesFor(r.messageId)).to.deep.equal(statuses);
        const last = rcv.received[rcv.received.length - 1].form;
        expect(last.failureReason).to.equal(reason);
        expect(rcv.received.slice(0, -1).every((x) => x.form.failureReason === undefined)).to.equal(true);
      });
    }

    it('refused recipients get no reports', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr` });
      await sendJson(sim, '+254700000406');
      await sim.idle();
      expect(rcv.received).to.have.length(0);
    });

    const modes: Array<[string, { duplicate?: boolean; outOfOrder?: boolean }, string[]]> = [
      ['duplicate', { duplicate: true }, ['Sent', 'Sent', 'Submitted', 'Submitted', 'Success', 'Success']],
      ['outOfOrder', { outOfOrder: true }, ['Success', 'Sent', 'Submitted']],
    ];
    for (const [name, reports, expected] of modes) {
      it(`${name} mode posts ${expected.join(', ')}`, async () => {
        sim.configure({ dlrUrl: `${rcv.url}/dlr`, reports });
        const r = (await sendJson(sim, '+254700000001')).SMSMessageData.Recipients[0];
        await sim.idle();
        expect(statusesFor(r.messageId)).to.deep.equal(expected);
      });
    }

    it('beforeResponse delivers the whole sequence before the 201', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr`, reports: { beforeResponse: true } });
      const r = (await sendJson(sim, '+254700000001')).SMSMessageData.Recipients[0];
      expect(statusesFor(r.messageId)).to.deep.equal(['Sent', 'Submitted', 'Success']);
    });

    it('reports.enabled false posts nothing', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr`, reports: { enabled: false } });
      await sendJson(sim, '+254700000001');
      await sim.idle();
      expect(rcv.received).to.have.length(0);
    });

    it('re-posts an unacknowledged report (callback answered 500)', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr` });
      rcv.respond = (_r, i) => (i === 0 ? 500 : 200);
      const r = (await sendJson(sim, '+254700000597')).SMSMessageData.Recipients[0];
      await sim.idle();
      expect(statusesFor(r.messageId)).to.deep.equal(['Sent', 'Sent']);
      expect(sim.reports().map((x) => [x.httpStatus, x.attempt])).to.deep.equal([
        [500, 1],
        [200, 2],
      ]);
    });

    it('gives up after 3 retries when the callback is unreachable', async () => {
      sim.configure({ dlrUrl: 'http://127.0.0.1:1/dlr' });
      await sendJson(sim, '+254700000597');
      await sim.idle();
      const attempts = sim.reports();
      expect(attempts.map((x) => x.attempt)).to.deep.equal([1, 2, 3, 4]);
      expect(attempts.every((x) => typeof x.error === 'string' && x.httpStatus === undefined)).to.equal(true);
    });

    it('posts many reports quickly over a bounded pool', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr`, reportDelayMs: 0 });
      const to = Array.from({ length: 300 }, (_, i) => `+2547001${String(i).padStart(5, '0')}`).join(',');
      const body = await sendJson(sim, to);
      expect(body.SMSMessageData.Message).to.equal('Sent to 300/300 Total Cost: KES 240.0000');
      await sim.idle();
      expect(rcv.received).to.have.length(900);
    });
  });

  describe('incoming messages', () => {
    it('posts the AT fields, copies with the same id', async () => {
      sim.configure({ incomingUrl: `${rcv.url}/mo?key=abc` });
      const results = await sim.injectIncoming({ from: '+254700000001', text: 'hello', copies: 3 });
      expect(results).to.have.length(3);
      expect(new Set(results.map((r) => r.id)).size).to.equal(1);
      expect(results.every((r) => r.httpStatus === 200 && r.body === '{"saved":1}')).to.equal(true);
      const form = rcv.received[0].form;
      expect(form).to.include({
        from: '+254700000001',
        to: '20414',
        text: 'hello',
        networkCode: '99999',
        id: results[0].id,
      });
      expect(form.date).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(form.id).to.equal(String(results[0].inboxId));
      expect(rcv.received.map((r) => r.form)).to.deep.equal([form, form, form]);
      expect(sim.incoming().map((r) => r.copy)).to.deep.equal([1, 2, 3]);
    });

    it('posts concurrent copies with the given id, linkId and date', async () => {
      sim.configure({ incomingUrl: `${rcv.url}/mo` });
      const results = await sim.injectIncoming({
        from: '+254700000001',
        text: 'x',
        id: 'fixed-id',
        linkId: 'L1',
        date: '2017-05-03 06:04:45',
        to: '21512',
        copies: 5,
        concurrent: true,
      });
      expect(results.map((r) => r.id)).to.deep.equal(Array(5).fill('fixed-id'));
      expect(rcv.received).to.have.length(5);
      expect(rcv.received[0].form).to.include({ linkId: 'L1', date: '2017-05-03 06:04:45', to: '21512' });
    });

    it('refuses to inject without an incomingUrl', async () => {
      const err = await sim.injectIncoming({ from: '+254700000001', text: 'x' }).catch((e: unknown) => e);
      expect((err as Error).message).to.match(/incomingUrl/);
    });
  });

  describe('control endpoints', () => {
    const api = (path: string, init?: RequestInit): Promise<Response> => fetch(`${sim.url}/simulator/${path}`, init);
    const put = (value: unknown): Promise<Response> =>
      api('config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

    it('health', async () => {
      expect(await (await api('health')).json()).to.deep.equal({ ok: true });
    });

    it('GET config masks api keys; PUT applies a patch', async () => {
      const cfg = (await (await api('config')).json()) as { accounts: Array<{ apiKey: string }> };
      expect(cfg.accounts).to.deep.equal([{ username: USER, apiKey: '***' }]);
      const res = await put({ latencyMs: 0, failNext: { status: 502, count: 1 }, reports: { duplicate: true } });
      expect(res.status).to.equal(200);
      const next = (await res.json()) as { failNext: unknown; reports: { duplicate: boolean; enabled: boolean } };
      expect(next.failNext).to.deep.equal({ status: 502, count: 1 });
      expect(next.reports).to.include({ duplicate: true, enabled: true });
      expect((await sendSms(sim, { username: USER, to: '+254700000001', message: 'x' })).status).to.equal(502);
    });

    it('PUT of the masked config keeps the real keys', async () => {
      expect((await put(await (await api('config')).json())).status).to.equal(200);
      expect((await sendSms(sim, { username: USER, to: '+254700000001', message: 'x' })).status).to.equal(201);
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['failRate out of range', { failRate: 2 }, /'failRate'/],
      ['acceptCode not 100..102', { acceptCode: 200 }, /'acceptCode'/],
      ['dlrUrl not a URL', { dlrUrl: 'nope' }, /'dlrUrl'/],
      ['failNext without count', { failNext: { status: 500 } }, /'failNext\.count'/],
      ['unknown reports flag', { reports: { fast: true } }, /'reports\.fast'/],
      ['account without key', { accounts: [{ username: 'x' }] }, /'accounts\[0\]\.apiKey'/],
      ['unknown field', { speed: 1 }, /unknown config field 'speed'/],
      ['not an object', [1], /JSON object/],
    ];
    for (const [name, body, message] of bad) {
      it(`PUT config 400: ${name}`, async () => {
        const res = await put(body);
        expect(res.status).to.equal(400);
        expect(((await res.json()) as { error: string }).error).to.match(message);
      });
    }

    it('records: messages, reports, incoming; POST incoming; reset', async () => {
      sim.configure({ dlrUrl: `${rcv.url}/dlr`, incomingUrl: `${rcv.url}/mo` });
      await sendJson(sim, '+254700000001', 'hi', { from: 'CHT' });
      await sim.idle();
      const injected = await api('incoming', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: '+254700000001', text: 'yo', copies: 2 }),
      });
      expect(injected.status).to.equal(200);
      expect((await injected.json()) as unknown[]).to.have.length(2);
      const messages = (await (await api('messages')).json()) as Array<Record<string, unknown>>;
      expect(messages).to.have.length(1);
      expect(messages[0]).to.include({ username: USER, message: 'hi', from: 'CHT', httpStatus: 201 });
      expect(messages[0].to).to.deep.equal(['+254700000001']);
      expect((await (await api('reports')).json()) as unknown[]).to.have.length(3);
      expect((await (await api('incoming')).json()) as unknown[]).to.have.length(2);
      expect((await api('reset', { method: 'POST' })).status).to.equal(200);
      expect(sim.sent()).to.have.length(0);
      expect(sim.reports()).to.have.length(0);
      expect(sim.incoming()).to.have.length(0);
    });

    it('POST incoming 400 without from', async () => {
      sim.configure({ incomingUrl: `${rcv.url}/mo` });
      const res = await api('incoming', { method: 'POST', body: JSON.stringify({ text: 'x' }) });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: string }).error).to.match(/'from'/);
    });

    it('never exposes the api key in sent() or GET config', async () => {
      await sendSms(sim, { username: USER, to: '+254700000001', message: 'x' });
      await sendSms(sim, { username: USER, to: '+254700000001', message: 'x' }, { apiKey: `${KEY}-wrong` });
      expect(sim.sent()[0].headers.apikey).to.equal('***');
      expect(JSON.stringify(sim.sent())).to.not.contain(KEY);
      expect(await (await api('config')).text()).to.not.contain(KEY);
      expect(await (await api('messages')).text()).to.not.contain(KEY);
      expect(JSON.stringify(sim.config())).to.not.contain(KEY);
    });

    it('keeps records bounded by maxRecords', async () => {
      sim.configure({ maxRecords: 3 });
      for (let i = 0; i < 5; i++) await sendJson(sim, '+254700000001', `m${i}`);
      expect(sim.sent().map((r) => r.message)).to.deep.equal(['m2', 'm3', 'm4']);
      sim.configure({ maxRecords: 100_000 });
    });
  });

  describe('CLI', () => {
    it('prints the listening line first and serves; exits on SIGTERM', async () => {
      const args = ['--import', 'tsx', 'shared-libs/at-simulator/cli.ts', '--port', '0', '--quiet'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const first = await new Promise<string>((resolve, reject) => {
          const rl = createInterface({ input: child.stdout });
          rl.once('line', (line) => resolve(line));
          child.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
        });
        const m = /^AT simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
        expect(m, first).to.not.equal(null);
        const health = await fetch(`${m?.[1]}/simulator/health`);
        expect(await health.json()).to.deep.equal({ ok: true });
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        expect(await exited).to.equal(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    it('takes the inbox, balance and opt-out flags and never prints callback keys', async () => {
      const flags = ['--incoming-callbacks', 'fail', '--inbox-page-size', '2', '--first-inbox-id', '40'];
      const more = ['--balance', '12.5', '--currency', 'UGX', '--opt-out-url', 'http://127.0.0.1:9/o?key=TOPSECRET'];
      const cli = ['--import', 'tsx', 'shared-libs/at-simulator/cli.ts', '--port', '0', '--quiet', ...flags, ...more];
      const proc = startProcess(process.execPath, cli);
      try {
        const [, url] = await proc.waitFor(/^AT simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
        await proc.waitFor(/magic numbers/);
        expect(proc.output()).to.contain('opt-outs:   http://127.0.0.1:9/o?key=***').and.not.contain('TOPSECRET');
        const headers = { apiKey: 'sandbox-api-key', accept: 'application/json' };
        const user = await fetch(`${url}/version1/user?username=sandbox`, { headers });
        expect(await user.json()).to.deep.equal({ UserData: { balance: 'UGX 12.50' } });
        const post = (path: string, body: unknown): Promise<Response> =>
          fetch(`${url}/simulator/${path}`, { method: 'POST', body: JSON.stringify(body) });
        expect((await post('incoming', { from: '+256700000001', text: 'x' })).status).to.equal(200);
        expect((await post('inbox', { count: 2 })).status).to.equal(200);
        const inbox = await fetch(`${url}/version1/messaging?username=sandbox&lastReceivedId=0`, { headers });
        const ids = ((await inbox.json()) as { SMSMessageData: { Messages: Array<{ id: number }> } }).SMSMessageData;
        expect(ids.Messages.map((m) => m.id)).to.deep.equal([40, 41]);
      } finally {
        expect(await proc.stop()).to.equal(0);
      }
    });

    it('exits 2 with the usage on a bad flag value', async () => {
      const cli = ['--import', 'tsx', 'shared-libs/at-simulator/cli.ts', '--incoming-callbacks', 'sometimes'];
      const proc = startProcess(process.execPath, cli);
      const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
      expect(code).to.equal(2);
      expect(proc.output()).to.contain("--incoming-callbacks must be one of deliver, fail, got 'sometimes'");
    });
  });
});
