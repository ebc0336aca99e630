/**
 * Fuzzing medic-gateway's `POST /api/sms` (JSON, plain or gzip/deflate). Properties: never a
 * 5xx; a refused request writes nothing; when accepted, every well-formed incoming message in
 * it is stored under its id (bad items are skipped, not fatal).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import zlib from 'node:zlib';
import { incomingDocId } from '../../api/src/messages/incoming.js';
import { gatewayIncomingSchema } from '../../api/src/sms/services/medic-gateway/protocol.js';
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
  runsShare,
  TIMEOUT_MS,
  watchProcess,
} from './harness.js';

const incomingItem = fc.oneof(
  fc.record(
    {
      id: nastyString,
      from: nastyString,
      content: nastyString,
      sms_sent: fc.jsonValue(),
      sms_received: fc.jsonValue(),
    },
    { requiredKeys: ['id', 'from', 'content'] },
  ),
  fc.record(
    { id: fc.oneof(nastyString, fc.integer(), fc.constant(null)), from: fc.jsonValue(), content: fc.jsonValue() },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
const updateItem = fc.oneof(
  fc.record(
    {
      id: nastyString,
      status: fc.oneof(fc.constantFrom('UNSENT', 'PENDING', 'SENT', 'DELIVERED', 'FAILED', null), nastyString),
      reason: fc.oneof(nastyString, fc.constant(null)),
    },
    { requiredKeys: ['id'] },
  ),
  fc.jsonValue(),
);
const pollBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          messages: fc.oneof(fc.array(incomingItem, { maxLength: 6 }), fc.jsonValue()),
          updates: fc.oneof(fc.array(updateItem, { maxLength: 6 }), fc.jsonValue()),
        },
        { requiredKeys: [] },
      )
      .map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: rawJsonBody },
);
interface StoredIncoming {
  sms_message: { gateway_ref: string };
}

const encoding = fc.constantFrom(
  undefined,
  undefined,
  'gzip',
  'deflate',
  'x-gzip',
  'br',
  'gzip-but-not-really',
  'identity',
);

function encode(body: string, enc: string | undefined): Buffer {
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gzipSync(body);
  if (enc === 'deflate') return zlib.deflateSync(body);
  return Buffer.from(body);
}

describe('fuzz: medic-gateway POST /api/sms', function () {
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

  it('random bodies and encodings → never 5xx; refused writes nothing; valid messages stored', async function () {
    await fc.assert(
      fc.asyncProperty(pollBody, encoding, contentType(['application/json']), async (body, enc, type) => {
        const before = await fingerprint(server.dbs.medic);
        const res = await inject(server, {
          method: 'POST',
          url: '/api/sms',
          headers: {
            authorization: server.adminAuth,
            ...(type ? { 'content-type': type } : {}),
            ...(enc ? { 'content-encoding': enc } : {}),
          },
          payload: encode(body, enc),
        });
        expectHandled(res, `${enc ?? ''} ${type ?? ''} ${body.slice(0, 200)}`);
        if (res.statusCode >= 400) {
          await expectUnchanged(before);
          return;
        }
        // `null` counts as an empty poll, as an empty body does.
        const parsed = (body.trim() === '' ? null : JSON.parse(body)) as { messages?: unknown } | null;
        for (const item of Array.isArray(parsed?.messages) ? parsed.messages : []) {
          const m = gatewayIncomingSchema.safeParse(item);
          if (!m.success) continue;
          const doc = (await server.dbs.medic.get(incomingDocId(m.data.id))) as unknown as StoredIncoming;
          expect(doc.sms_message.gateway_ref).to.equal(m.data.id);
        }
      }),
      fuzzParams(),
    );
  });

  it('a broken gzip stream is a 400, not a hang or a 500', async function () {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const res = await inject(server, {
          method: 'POST',
          url: '/api/sms',
          headers: { authorization: server.adminAuth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
          payload: Buffer.from([0x1f, 0x8b, ...bytes]),
        });
        expectHandled(res, Buffer.from(bytes).toString('hex'));
        expect(res.statusCode).to.equal(400);
      }),
      fuzzParams(runsShare(0.2)),
    );
  });
});
