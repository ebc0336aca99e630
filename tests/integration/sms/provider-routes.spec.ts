/**
 * Both services' routes through the shared table harness (tests/helpers/provider-table.ts): each
 * row is a request, its answer, and what was stored; every row also proves no secret leaked into
 * the answer, the logs or the store.
 */
import { expect } from 'chai';
import { routeTable, type ProviderRig, type RouteRow } from '../../helpers/provider-table.js';
import { api, startTestServer, type TestServer } from '../../helpers/test-server.js';

const INCOMING_KEY = 'tbl-incoming-9Qx2-secret';
const API_KEY = 'tbl-api-4Lm7-secret';
const ADMIN_PASSWORD = 'tbl-admin-7Hc3-secret';
const ADMIN = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
const AT = '/api/v1/sms/africastalking';

async function incomingRefs(server: TestServer): Promise<string[]> {
  const res = await server.dbs.medic.allDocs({ include_docs: true });
  return res.rows
    .map((r) => r.doc as { type?: string; sms_message?: { gateway_ref?: string } } | undefined)
    .filter((d) => d?.type === 'data_record' && d.sms_message)
    .map((d) => String(d?.sms_message?.gateway_ref));
}

const storedOnce = (ref: string) => async (server: TestServer) => {
  expect((await incomingRefs(server)).filter((r) => r === ref)).to.have.length(1);
};
const notStored = (ref: string) => async (server: TestServer) => {
  expect(await incomingRefs(server)).to.not.include(ref);
};

async function rig(settings?: unknown): Promise<ProviderRig> {
  const server = await startTestServer({ env: { ADMIN_PASSWORD } });
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:incoming', INCOMING_KEY);
  await api(server, 'PUT', '/api/v1/credentials/africastalking.com:outgoing', API_KEY);
  if (settings) await api(server, 'PUT', '/api/v1/settings', settings);
  return { server, secrets: [INCOMING_KEY, API_KEY, ADMIN_PASSWORD] };
}

describe("provider routes: Africa's Talking", function () {
  let r: ProviderRig;
  before(async () => {
    r = await rig({ sms: { outgoing_service: 'africas-talking', africas_talking: { username: 'sandbox' } } });
  });
  after(() => r.server.stop());
  const key = { key: INCOMING_KEY };
  const rows: RouteRow[] = [
    {
      name: 'incoming: form fields → saved 1',
      request: {
        path: `${AT}/incoming-messages`,
        query: key,
        form: { id: 'tbl-1', from: '+254711000001', text: 'hi' },
      },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('tbl-1'),
    },
    {
      name: 'incoming: the same id again → saved 0, one record',
      request: {
        path: `${AT}/incoming-messages`,
        query: key,
        form: { id: 'tbl-1', from: '+254711000001', text: 'hi' },
      },
      status: 200,
      body: { saved: 0 },
      stored: storedOnce('tbl-1'),
    },
    {
      name: 'incoming: JSON with a numeric id → saved 1',
      request: { path: `${AT}/incoming-messages`, query: key, json: { id: 4242, from: '+254711000002', text: 'json' } },
      status: 200,
      body: { saved: 1 },
      stored: storedOnce('4242'),
    },
    {
      name: 'incoming: no from → 400 naming it, nothing stored',
      request: { path: `${AT}/incoming-messages`, query: key, form: { id: 'tbl-2', text: 'x' } },
      status: 400,
      error: 'Missing required field "from"',
      stored: notStored('tbl-2'),
    },
    {
      name: 'incoming: blank id → 400 naming it',
      request: { path: `${AT}/incoming-messages`, query: key, form: { id: ' ', from: '+254711000001', text: 'x' } },
      status: 400,
      error: '"id"',
    },
    {
      name: 'incoming: wrong key → 403, nothing stored',
      request: {
        path: `${AT}/incoming-messages`,
        query: { key: 'guess' },
        form: { id: 'tbl-3', from: '+1', text: 'x' },
      },
      status: 403,
      error: 'Incorrect token',
      stored: notStored('tbl-3'),
    },
    {
      name: 'incoming: no key → 403',
      request: { path: `${AT}/incoming-messages`, form: { id: 'tbl-4', from: '+1', text: 'x' } },
      status: 403,
      stored: notStored('tbl-4'),
    },
    {
      name: 'delivery report for an unknown id → 200 saved 0',
      request: { path: `${AT}/delivery-reports`, query: key, form: { id: 'ATXid_unknown', status: 'Success' } },
      status: 200,
      body: { saved: 0 },
    },
    {
      name: 'delivery report without status → 400 naming it',
      request: { path: `${AT}/delivery-reports`, query: key, form: { id: 'ATXid_x' } },
      status: 400,
      error: 'Missing required field "status"',
    },
    {
      name: 'delivery report with the API key as ?key= → 403 (the keys are distinct)',
      request: { path: `${AT}/delivery-reports`, query: { key: API_KEY }, form: { id: 'ATXid_x', status: 'Success' } },
      status: 403,
    },
  ];
  routeTable(rows, () => r);
});

describe('provider routes: medic-gateway', function () {
  let r: ProviderRig;
  before(async () => {
    r = await rig();
  });
  after(() => r.server.stop());
  const rows: RouteRow[] = [
    {
      name: 'GET /api/sms → connection test',
      request: { method: 'GET', path: '/api/sms', headers: ADMIN },
      status: 200,
      body: { 'medic-gateway': true },
    },
    { name: 'GET /api/sms without credentials → 401', request: { method: 'GET', path: '/api/sms' }, status: 401 },
    {
      name: 'POST /api/sms: an incoming message is stored; nothing waiting → no messages',
      request: {
        path: '/api/sms',
        headers: ADMIN,
        json: { messages: [{ id: 'gw-1', from: '+254711000009', content: 'hello' }] },
      },
      status: 200,
      body: { messages: [] },
      stored: storedOnce('gw-1'),
    },
    {
      name: 'POST /api/sms gzip-compressed: stored once',
      request: {
        path: '/api/sms',
        headers: ADMIN,
        gzip: true,
        json: { messages: [{ id: 'gw-2', from: '+254711000009', content: 'zip' }] },
      },
      status: 200,
      stored: storedOnce('gw-2'),
    },
    {
      name: 'POST /api/sms: a bad item is skipped, the good one stored',
      request: {
        path: '/api/sms',
        headers: ADMIN,
        json: {
          messages: [
            { id: 'gw-3', from: '+254711000009' },
            { id: 'gw-4', from: '+254711000009', content: 'ok' },
          ],
        },
      },
      status: 200,
      stored: async (server) => {
        await notStored('gw-3')(server);
        await storedOnce('gw-4')(server);
      },
    },
    {
      name: 'POST /api/sms with a wrong password → 401, nothing stored',
      request: {
        path: '/api/sms',
        headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` },
        json: { messages: [{ id: 'gw-5', from: '+254711000009', content: 'x' }] },
      },
      status: 401,
      stored: notStored('gw-5'),
    },
  ];
  routeTable(rows, () => r);
});
