/**
 * Wire-format cross-check against the official SDK (`africastalking` 0.8.3,
 * https://github.com/AfricasTalkingLtd/africastalking-node.js).
 *
 * The SDK posts with the global axios instance it requires itself (lib/sms.js `require('axios')`).
 * We load that same instance through the SDK's own module resolution and stub its adapter, so the
 * SDK's request is recorded after axios has built it (URL, headers, encoded body) and never
 * reaches a socket; `net.Socket#connect` and `tls.connect` are spied to prove it. Our request for
 * the same message is captured by undici's MockAgent (network disabled).
 *
 * `bulkSMSMode`: the SDK's send() adds `bulkSMSMode=1`. We do not send it: AT documents it as
 * "who pays on a mobile-terminated shortcode", default 1, ignored for alphanumeric senders and MO
 * shortcodes (https://developers.africastalking.com/docs/sms/sending/bulk), so omitting it asks AT
 * for exactly the same thing; CHT never sent it either, and sending fewer optional fields keeps us
 * compatible with the older AT deployments and the simulator. The comparison below therefore
 * expects the SDK's fields minus `bulkSMSMode`.
 *
 * The SDK's sandbox switch is a module-global side effect (its lib/index.js): each test loads a
 * fresh copy of the SDK (its lib/ modules are dropped from the require cache) so the order of
 * tests is irrelevant.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import sinon from 'sinon';
import { MockAgent } from 'undici';
import { africasTalking } from '../../../../api/src/sms/services/africas-talking/index.js';
import type { AtSettings } from '../../../../api/src/sms/services/africas-talking/sender.js';
import type { OutboundMessage } from '../../../../api/src/sms/types.js';

const require = createRequire(import.meta.url);
const sdkMain = require.resolve('africastalking');
const sdkRequire = createRequire(sdkMain);
const sdkDir = path.dirname(sdkMain);

interface AxiosLike {
  defaults: { adapter: unknown };
}
interface AxiosConfig {
  url: string;
  method: string;
  data: unknown;
  headers: { toJSON(): Record<string, unknown> };
}
interface Sdk {
  SMS: { send(o: { to: string | string[]; message: string; from?: string }): Promise<unknown> };
}
type SdkFactory = (o: { username: string; apiKey: string }) => Sdk;

const axios = sdkRequire('axios') as AxiosLike;

function freshSdk(): SdkFactory {
  for (const k of Object.keys(sdkRequire.cache)) {
    if (k.startsWith(sdkDir) && !k.includes(`${path.sep}node_modules${path.sep}`, sdkDir.length))
      delete sdkRequire.cache[k];
  }
  return sdkRequire('africastalking') as SdkFactory;
}

interface Wire {
  url: string;
  raw: string;
  headers: Record<string, string>;
  form: Record<string, string>;
}

const lower = (h: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(h)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.toLowerCase(), String(v)]),
  );

async function sdkRequest(
  username: string,
  apiKey: string,
  params: { to: string | string[]; message: string; from?: string },
): Promise<Wire> {
  const seen: AxiosConfig[] = [];
  const adapter = async (config: AxiosConfig) => {
    seen.push(config);
    const data = { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [] } };
    return { data, status: 201, statusText: 'Created', headers: {}, config, request: {} };
  };
  const restore = sinon.stub(axios.defaults, 'adapter').value(adapter);
  try {
    const AT = freshSdk()({ username, apiKey });
    await AT.SMS.send(params);
  } finally {
    restore.restore();
  }
  expect(seen).to.have.length(1);
  const c = seen[0] as AxiosConfig;
  expect(c.method.toUpperCase()).to.equal('POST');
  return {
    url: c.url,
    raw: String(c.data),
    headers: lower(c.headers.toJSON()),
    form: Object.fromEntries(new URLSearchParams(String(c.data))),
  };
}

async function ourRequest(settings: AtSettings, apiKey: string, batch: OutboundMessage[]): Promise<Wire[]> {
  const mock = new MockAgent();
  mock.disableNetConnect();
  const seen: Wire[] = [];
  for (const origin of ['https://api.africastalking.com', 'https://api.sandbox.africastalking.com']) {
    mock
      .get(origin)
      .intercept({ path: '/version1/messaging', method: 'POST' })
      .reply((o) => {
        seen.push({
          url: `${origin}${o.path}`,
          raw: String(o.body),
          headers: lower(o.headers as Record<string, unknown>),
          form: Object.fromEntries(new URLSearchParams(String(o.body))),
        });
        return { statusCode: 201, data: '{"SMSMessageData":{"Message":"Sent to 0/0","Recipients":[]}}' };
      })
      .persist();
  }
  try {
    await africasTalking.send?.(batch, {
      settings,
      credentials: { get: async () => apiKey },
      http: mock,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      timeoutMs: 2000,
      env: {},
    });
  } finally {
    await mock.close();
  }
  return seen;
}

describe('africas-talking wire format = official SDK 0.8.3 (captured offline)', () => {
  let connect: sinon.SinonSpy;
  let tlsConnect: sinon.SinonSpy;
  beforeEach(() => {
    connect = sinon.spy(net.Socket.prototype, 'connect');
    tlsConnect = sinon.spy(tls, 'connect');
  });
  afterEach(() => {
    const calls = connect.callCount + tlsConnect.callCount;
    connect.restore();
    tlsConnect.restore();
    expect(calls, 'no socket was opened').to.equal(0);
  });

  const rows: Array<{ name: string; username: string; to: string[]; message: string; from?: string; url: string }> = [
    {
      name: 'live username, from set, one recipient',
      username: 'medic-live',
      to: ['+254711000001'],
      message: 'Hello Jane, your visit is due',
      from: 'MEDIC',
      url: 'https://api.africastalking.com/version1/messaging',
    },
    {
      name: 'sandbox username, from set',
      username: 'sandbox',
      to: ['+254711000001'],
      message: 'hi',
      from: 'MEDIC',
      url: 'https://api.sandbox.africastalking.com/version1/messaging',
    },
    {
      name: 'no from (reply_to unset): neither sends from',
      username: 'medic-live',
      to: ['+254711000001'],
      message: 'no sender',
      url: 'https://api.africastalking.com/version1/messaging',
    },
    {
      name: 'two recipients joined with "," (no spaces)',
      username: 'medic-live',
      to: ['+254711000000', '+254722000000'],
      message: 'hi',
      from: 'ACME',
      url: 'https://api.africastalking.com/version1/messaging',
    },
    {
      name: 'reserved characters and unicode encode the same',
      username: 'medic-live',
      to: ['+254711000001'],
      message: 'A&B=c+d %20 ñ ✓ 100% "ok"\nline 2',
      from: 'MEDIC',
      url: 'https://api.africastalking.com/version1/messaging',
    },
  ];

  for (const row of rows) {
    it(row.name, async () => {
      const key = 'wire-secret-key';
      const sdk = await sdkRequest(row.username, key, {
        to: row.to.length === 1 ? (row.to[0] as string) : row.to,
        message: row.message,
        ...(row.from ? { from: row.from } : {}),
      });
      const settings: AtSettings = { username: row.username, ...(row.from ? { from: row.from } : {}) };
      const ours = await ourRequest(
        settings,
        key,
        row.to.map((to, i) => ({ id: `m${i}`, to, content: row.message })),
      );
      expect(ours).to.have.length(1);
      const our = ours[0] as Wire;

      // Same URL (host and path).
      expect(sdk.url).to.equal(row.url);
      expect(our.url).to.equal(row.url);

      // Same fields and values, except the SDK's bulkSMSMode=1 (see the header comment).
      expect(sdk.form.bulkSMSMode).to.equal('1');
      const { bulkSMSMode: _ignored, ...sdkFields } = sdk.form;
      expect(our.form).to.deep.equal(sdkFields);
      expect(our.form.to).to.equal(row.to.join(','));
      // Byte for byte, too: same field order and percent-encoding.
      expect(our.raw).to.equal(sdk.raw.replace('&bulkSMSMode=1', ''));
      expect(our.form).to.not.have.property('from', 'undefined');
      if (!row.from) expect(our.form).to.not.have.property('from');

      // Equivalent headers: apikey (HTTP names are case-insensitive), Accept JSON, form content type.
      expect(sdk.headers.apikey).to.equal(key);
      expect(our.headers.apikey).to.equal(key);
      expect(sdk.headers.accept).to.equal('application/json');
      expect(our.headers.accept).to.equal('application/json');
      expect(sdk.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
      expect(our.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
    });
  }
});
