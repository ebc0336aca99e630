/**
 * Fuzzing the provider callbacks (form fields and JSON): incoming messages and delivery reports.
 * Properties: never a 5xx; a refused request writes nothing; an accepted incoming message is
 * stored under its id with its text; an accepted report for an unknown reference is parked.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { incomingDocId } from '../../api/src/messages/incoming.js';
import { parkedDocId } from '../../api/src/reports/status-updates.js';
import type { TestServer } from '../helpers/test-server.js';
import {
  contentType,
  expectHandled,
  expectUnchanged,
  fingerprint,
  fuzzParams,
  fuzzServer,
  INCOMING_KEY,
  inject,
  nastyString,
  rawJsonBody,
  runsShare,
  TIMEOUT_MS,
  watchProcess,
} from './harness.js';

const FORM = 'application/x-www-form-urlencoded';
const LOCAL = '127.0.0.1';

interface StoredIncoming {
  sms_message: { gateway_ref: string };
}
interface ParkedReports {
  reports: Array<{ status: string }>;
}
const BASE = '/api/v1/sms/africastalking';

/** Field values as AT sends them (strings), or as a JSON sender might (numbers, anything). */
const fieldValue = fc.oneof(nastyString, fc.integer().map(String), fc.double().map(String));
const jsonFieldValue = fc.oneof(nastyString, fc.integer(), fc.double(), fc.jsonValue());

function formOf(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

const safe = (s: string): boolean => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

/** Arbitrary bodies: random form fields (known names likely), random JSON, random text. */
const randomBody = (names: string[]) =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...names), nastyString), fieldValue), { maxLength: 12 })
      .filter((fields) => fields.every(([k, v]) => safe(k) && safe(v)))
      .map((fields) => ({ type: FORM as string | undefined, payload: formOf(fields) })),
    fc
      .dictionary(fc.oneof(fc.constantFrom(...names), nastyString), jsonFieldValue, { maxKeys: 10 })
      .map((o) => ({ type: 'application/json' as string | undefined, payload: JSON.stringify(o) })),
    fc.tuple(contentType([FORM, 'application/json']), rawJsonBody).map(([type, payload]) => ({ type, payload })),
  );

/** A well-formed incoming message, sent as form fields or JSON. */
const validIncoming = fc.record({
  id: fc.string({ minLength: 1 }).filter((s) => /\S/.test(s) && safe(s)),
  from: fc.oneof(
    fc.constant('+254711000001'),
    fc.string({ minLength: 1 }).filter((s) => /\S/.test(s) && safe(s)),
  ),
  text: fc.string().filter(safe),
  asJson: fc.boolean(),
});

describe('fuzz: provider callbacks', function () {
  this.timeout(TIMEOUT_MS);
  let server: TestServer;
  const watch = watchProcess();
  before(async function () {
    server = await fuzzServer();
  });
  after(async function () {
    watch.stop();
    await server?.stop();
    expect(watch.unhandled).to.deep.equal([]);
  });

  const post = (path: string, type: string | undefined, payload: string, key = INCOMING_KEY, remoteAddress = LOCAL) =>
    inject(server, {
      method: 'POST',
      url: `${BASE}/${path}?key=${encodeURIComponent(key)}`,
      headers: type ? { 'content-type': type } : {},
      payload,
      remoteAddress,
    });

  for (const path of ['incoming-messages', 'delivery-reports']) {
    it(`${path}: random bodies → never 5xx; refused ones write nothing`, async function () {
      const names =
        path === 'incoming-messages'
          ? ['id', 'from', 'text', 'to', 'date', 'linkId']
          : ['id', 'status', 'failureReason', 'phoneNumber', 'retryCount'];
      await fc.assert(
        fc.asyncProperty(randomBody(names), async ({ type, payload }) => {
          const before = await fingerprint(server.dbs.medic);
          const res = await post(path, type, payload);
          expectHandled(res, `${type ?? '(none)'} ${payload.slice(0, 200)}`);
          if (res.statusCode >= 400) await expectUnchanged(before);
        }),
        fuzzParams(),
      );
    });
  }

  it('incoming-messages: a well-formed message is accepted and stored under its id with its text', async function () {
    await fc.assert(
      fc.asyncProperty(validIncoming, async ({ id, from, text, asJson }) => {
        const res = asJson
          ? await post('incoming-messages', 'application/json', JSON.stringify({ id, from, text }))
          : await post(
              'incoming-messages',
              FORM,
              formOf([
                ['id', id],
                ['from', from],
                ['text', text],
              ]),
            );
        expectHandled(res, JSON.stringify({ id, from, text }));
        expect(res.statusCode, res.body).to.equal(200);
        const doc = (await server.dbs.medic.get(incomingDocId(id))) as unknown as StoredIncoming;
        expect(doc.sms_message.gateway_ref).to.equal(id);
      }),
      fuzzParams(),
    );
  });

  it('delivery-reports: a well-formed report for an unknown reference is accepted and parked', async function () {
    const report = fc.record({
      id: fc.string({ minLength: 1 }).filter((s) => /\S/.test(s) && safe(s)),
      status: fc.oneof(
        fc.constantFrom('Success', 'Failed', 'Sent', 'Buffered', 'Rejected'),
        fc.string({ minLength: 1 }).filter((s) => /\S/.test(s) && safe(s)),
      ),
    });
    await fc.assert(
      fc.asyncProperty(report, async ({ id, status }) => {
        const res = await post(
          'delivery-reports',
          FORM,
          formOf([
            ['id', id],
            ['status', status],
          ]),
        );
        expectHandled(res, JSON.stringify({ id, status }));
        expect(res.statusCode, res.body).to.equal(200);
        const parked = (await server.dbs.medic.get(parkedDocId(id))) as unknown as ParkedReports;
        expect(parked.reports.map((r) => r.status)).to.include(status);
      }),
      fuzzParams(runsShare(0.2)),
    );
  });

  it('a wrong key is refused (403) whatever the body, and writes nothing', async function () {
    const wrongKey = nastyString.filter((k) => k !== INCOMING_KEY && safe(k));
    await fc.assert(
      fc.asyncProperty(wrongKey, randomBody(['id', 'from', 'text']), fc.ipV4(), async (key, { type, payload }, ip) => {
        const before = await fingerprint(server.dbs.medic);
        const res = await post('incoming-messages', type, payload, key, ip);
        // 429 once one random address has failed ten times; never anything but a refusal.
        expect([403, 429], res.body).to.include(res.statusCode);
        await expectUnchanged(before);
      }),
      fuzzParams(runsShare(0.4)),
    );
  });
});
