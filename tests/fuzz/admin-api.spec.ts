/**
 * Fuzzing the administrator API: `POST /api/v1/messages`, the `GET /api/v1/messages` query,
 * `PUT /api/v1/settings` and `PUT /api/v1/credentials/:key`. Properties: never a 5xx; a refused
 * request writes nothing (medic and vault databases); an accepted one is readable afterwards.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { applyUpdate } from '../../api/src/settings/settings.js';
import type { AppSettings } from '../../api/src/settings/schema.js';
import type { TestServer } from '../helpers/test-server.js';
import {
  contentType,
  expectHandled,
  expectUnchanged,
  fingerprint,
  fuzzParams,
  fuzzServer,
  inject,
  nastyString,
  rawJsonBody,
  TIMEOUT_MS,
  watchProcess,
} from './harness.js';

const phone = fc.oneof(
  fc.constantFrom('+254711000001', '+254 711 000 002', '0711000003', '+1 202 555 0143', '+2547110000041234567890'),
  fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/),
  nastyString,
);
const message = fc.oneof(
  fc.record({ to: phone, message: nastyString }),
  fc.record({ to: fc.jsonValue(), message: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const messagesBody = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(message, fc.array(message, { maxLength: 5 })).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: rawJsonBody },
);

const queryValue = fc.constantFrom(
  'incoming',
  'outgoing',
  'pending',
  'sent',
  'delivered',
  'failed',
  '1',
  '1000',
  '1001',
  '0',
  '-1',
  '1.5',
  '1e3',
  '',
);
const queryName = fc.oneof(fc.constantFrom('direction', 'state', 'limit'), nastyString);
const queryPart = fc.tuple(queryName, fc.oneof(queryValue, nastyString));
const noSurrogates = (s: string): string => s.replace(/[\ud800-\udfff]/g, '');
const rawQuery = fc.oneof(
  fc
    .array(queryPart, { maxLength: 5 })
    .map((parts) => parts.map(([k, v]) => [k, v].map((x) => encodeURIComponent(noSurrogates(x))).join('=')).join('&')),
  fc.string({ unit: fc.constantFrom('%', '&', '=', '[', ']', 'a', '0', '+', '#', '?', '%zz', '%ff', '%00') }),
);

/** Settings patches: the known keys with values of any type, plus anything. */
const settingsPatch = fc.oneof(
  fc
    .record(
      {
        sms: fc.oneof(
          fc.record(
            {
              outgoing_service: fc.oneof(fc.constantFrom('medic-gateway', 'africas-talking'), nastyString),
              reply_to: fc.oneof(nastyString, fc.jsonValue()),
              dispatch: fc.dictionary(
                fc.constantFrom('concurrency', 'max_attempts', 'lease_seconds', 'group_recipients', 'nope'),
                fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
              ),
              log_full_content: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue(),
        ),
        default_country_code: fc.oneof(fc.constantFrom('254', 254, '1'), fc.jsonValue()),
        phone_validation: fc.oneof(fc.constantFrom('full', 'partial', 'none'), fc.jsonValue()),
        audit_log_days: fc.oneof(fc.integer(), fc.jsonValue()),
        forms: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  rawJsonBody,
);
const settingsMode = fc.constantFrom('', '?replace=1', '?overwrite=1', '?replace=false', '?overwrite=');

const credentialKey = fc.oneof(
  fc.constantFrom(
    'africastalking.com:outgoing',
    'africastalking.com:incoming',
    'a',
    '_private',
    'has space',
    'x'.repeat(201),
    'key/with/slash',
    '..',
    '%2e%2e',
  ),
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\ud800-\udfff]/.test(s)),
);
const safeText = (s: string): string => s.replace(/[\ud800-\udfff]/g, '');
const secretType = contentType(['text/plain', 'application/x-www-form-urlencoded']);

describe('fuzz: administrator API', function () {
  this.timeout(TIMEOUT_MS);
  let server: TestServer;
  let baseline: AppSettings;
  const watch = watchProcess();
  before(async function () {
    server = await fuzzServer();
    baseline = server.settings.get();
  });
  after(async function () {
    watch.stop();
    await server?.stop();
    expect(watch.unhandled).to.deep.equal([]);
  });

  const send = (method: 'POST' | 'PUT' | 'GET', url: string, type: string | undefined, payload?: string) =>
    inject(server, {
      method,
      url,
      headers: { authorization: server.adminAuth, ...(type ? { 'content-type': type } : {}) },
      ...(payload === undefined ? {} : { payload }),
    });

  it('POST /api/v1/messages: no 5xx; refused writes nothing; accepted messages readable by id', async function () {
    await fc.assert(
      fc.asyncProperty(messagesBody, contentType(['application/json']), async (body, type) => {
        const before = await fingerprint(server.dbs.medic);
        const res = await send('POST', '/api/v1/messages', type, body);
        expectHandled(res, `${type ?? ''} ${body.slice(0, 200)}`);
        if (res.statusCode >= 400) {
          await expectUnchanged(before);
          return;
        }
        const created = (JSON.parse(res.body) as { messages: Array<{ id: string }> }).messages;
        expect(created.length).to.be.greaterThan(0);
        for (const m of created) {
          const got = await send('GET', `/api/v1/messages/${encodeURIComponent(m.id)}`, undefined);
          expect(got.statusCode, got.body).to.equal(200);
        }
      }),
      fuzzParams(),
    );
  });

  it('GET /api/v1/messages?…: never 5xx, writes nothing', async function () {
    await fc.assert(
      fc.asyncProperty(rawQuery, async (query) => {
        const before = await fingerprint(server.dbs.medic);
        const res = await send('GET', `/api/v1/messages?${query}`, undefined);
        expectHandled(res, query);
        if (res.statusCode === 200) expect(JSON.parse(res.body)).to.have.property('messages').that.is.an('array');
        await expectUnchanged(before);
      }),
      fuzzParams(),
    );
  });

  it('PUT /api/v1/settings: no 5xx; refused writes nothing; accepted settings read back merged', async function () {
    await fc.assert(
      fc.asyncProperty(settingsPatch, settingsMode, contentType(['application/json']), async (body, mode, type) => {
        const before = await fingerprint(server.dbs.medic);
        const current = server.settings.get();
        const res = await send('PUT', `/api/v1/settings${mode}`, type, body);
        expectHandled(res, `${mode} ${body.slice(0, 200)}`);
        if (res.statusCode >= 400) {
          await expectUnchanged(before);
          return;
        }
        const how = mode.includes('overwrite=1') ? 'overwrite' : mode.includes('replace=1') ? 'replace' : 'merge';
        const expected = applyUpdate(current, JSON.parse(body) as Record<string, unknown>, how);
        const read = await send('GET', '/api/v1/settings', undefined);
        expect(JSON.parse(read.body)).to.deep.equal(JSON.parse(JSON.stringify(expected)));
        // Back to the baseline so settings do not grow run after run.
        await server.settings.update(baseline, 'overwrite');
      }),
      fuzzParams(),
    );
  });

  it('PUT /api/v1/credentials/:key: never 5xx; refused writes nothing; accepted secrets read back', async function () {
    await fc.assert(
      fc.asyncProperty(credentialKey, nastyString, secretType, fc.boolean(), async (key, secret, type, encodeKey) => {
        const before = await fingerprint(server.dbs.medic, server.dbs.vault);
        // Raw only where the URL parser keeps the key as is; otherwise percent-encoded.
        const path = encodeKey || encodeURIComponent(key) !== key ? encodeURIComponent(key) : key;
        const res = await send('PUT', `/api/v1/credentials/${path}`, type, safeText(secret));
        expectHandled(res, `${path} ${type ?? ''}`);
        if (res.statusCode >= 400) {
          await expectUnchanged(before);
          return;
        }
        server.credentials.clearCache();
        expect(await server.credentials.get(key)).to.equal(safeText(secret).replace(/\r?\n$/, ''));
      }),
      fuzzParams(),
    );
  });
});
