/**
 * POST /api/v1/sms/africastalking/delivery-reports over real HTTP, against messages really sent
 * through the AT simulator (AT's fields and statuses:
 * https://developers.africastalking.com/docs/sms/notifications). Every row asserts each HTTP
 * answer, the stored task (state, state_details, delivery_reports) and that neither secret
 * reached a log line. Rows marked "CHT controller spec" port
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/controllers/africas-talking.spec.js;
 * "CHT e2e" ones port https://github.com/medic/cht-core/blob/master/tests/e2e/default/sms/africas-talking.wdio-spec.js.
 *
 * The simulator accepts with statusCode 102 (→ `received-by-gateway`) and posts no reports of
 * its own, so every report status below, `Sent` included, moves the message forward.
 *
 * Deliberate deviations from CHT
 * (https://github.com/medic/cht-core/blob/master/api/src/controllers/africas-talking.js), on purpose:
 * - An unknown status answers 200 `{saved: 0}` and is recorded on the task (`applied: false`),
 *   state unchanged; CHT answers 400, which only makes AT retry for ~10 min and then drop it
 *   (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/8).
 * - Late or backwards reports never regress a message: a `Sent` or `Failed` after `Success`
 *   keeps `delivered`; the report is kept in `delivery_reports` for audit (CHT regresses).
 * - A replayed report changes nothing and answers `{saved: 0}` (CHT re-adds history).
 * - A report for an id not stored yet answers 200 and is parked, then applied once the send
 *   result lands (CHT finds no message and drops it).
 * - `AbsentSubscriber` and `Expired` (newer AT docs) map to `failed` (CHT answers 400).
 * - A missing `id` or `status` answers 400 naming the field.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { api, eventually, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startSimulator, type Simulator } from '../../shared-libs/at-simulator/index.js';
import type { MessageDoc, MessageState, Task } from '../../shared-libs/task-utils/types.js';

const INCOMING_KEY = 'dlr-in-key-Hk55-secret';
const API_KEY = 'dlr-out-key-Pw90-secret';
const PATH = '/api/v1/sms/africastalking/delivery-reports';

interface View {
  id: string;
  doc_id: string;
  state: MessageState;
  state_details?: unknown;
  gateway_ref: string | null;
  state_history: Array<{ state: string }>;
}

describe('AT delivery-reports webhook', function () {
  let sim: Simulator;
  let server: TestServer;
  let counter = 0;

  before(async () => {
    sim = await startSimulator({
      accounts: [{ username: 'sandbox', apiKey: API_KEY }],
      acceptCode: 102,
      reports: { enabled: false },
    });
    server = await startTestServer({ env: { AT_API_URL: sim.url } });
    for (const [key, secret] of [
      ['incoming', INCOMING_KEY],
      ['outgoing', API_KEY],
    ]) {
      expect((await api(server, 'PUT', `/api/v1/credentials/africastalking.com:${key}`, secret)).status).to.equal(200);
    }
    const s = await api(server, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'africas-talking', reply_to: 'MEDIC', africas_talking: { username: 'sandbox' } },
    });
    expect(s.status).to.equal(200);
  });
  after(async () => {
    await server.stop();
    await sim.close();
  });
  afterEach(() => {
    expect(server.logs(), 'incoming key in logs').to.not.include(INCOMING_KEY);
    expect(server.logs(), 'API key in logs').to.not.include(API_KEY);
  });

  async function view(id: string): Promise<View> {
    const res = await api(server, 'GET', `/api/v1/messages/${id}`);
    expect(res.status).to.equal(200);
    return res.body as View;
  }

  async function task(v: View): Promise<Task> {
    const doc = (await server.dbs.medic.get(v.doc_id)) as unknown as MessageDoc;
    const t = [...(doc.tasks ?? []), ...(doc.scheduled_tasks ?? [])].find((x) =>
      x.messages?.some((m) => m.uuid === v.id),
    );
    expect(t, 'task').to.not.equal(undefined);
    return t as Task;
  }

  /** Queues a message and waits until AT's answer is recorded (state received-by-gateway, ref set). */
  async function sentMessage(): Promise<View> {
    const to = `+2547110${String(++counter).padStart(5, '0')}`;
    const res = await api(server, 'POST', '/api/v1/messages', { to, message: `report test ${counter}` });
    expect(res.status).to.equal(200);
    const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
    return eventually(async () => {
      const v = await view(id);
      return v.state === 'received-by-gateway' && v.gateway_ref ? v : undefined;
    });
  }

  async function report(fields: Record<string, string>, key: string | null = INCOMING_KEY) {
    const q = key === null ? '' : `?key=${encodeURIComponent(key)}`;
    const res = await fetch(`${server.url}${PATH}${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  interface Row {
    name: string;
    /** Reports posted in order for the message (id added). */
    reports: Array<Record<string, string>>;
    /** `saved` answered for each report. */
    saved: number[];
    state: MessageState;
    details?: string;
    /** Audit trail expected on the task: status:applied. */
    audit?: string[];
  }

  const rows: Row[] = [
    {
      name: 'Sent → forwarded-by-gateway',
      reports: [{ status: 'Sent' }],
      saved: [1],
      state: 'forwarded-by-gateway',
      audit: ['Sent:true'],
    },
    { name: 'Submitted → sent (CHT e2e, tasks[0])', reports: [{ status: 'Submitted' }], saved: [1], state: 'sent' },
    { name: 'Buffered → sent', reports: [{ status: 'Buffered' }], saved: [1], state: 'sent' },
    {
      name: 'CHT controller spec: Buffered with failureReason "none" → sent, state_details "none"',
      reports: [{ status: 'Buffered', failureReason: 'none' }],
      saved: [1],
      state: 'sent',
      details: 'none',
    },
    {
      name: 'Success → delivered (CHT e2e, scheduled[0])',
      reports: [{ status: 'Success', phoneNumber: '+254711000001', networkCode: '63902' }],
      saved: [1],
      state: 'delivered',
    },
    {
      name: 'Rejected + UserInBlackList → failed with the reason',
      reports: [{ status: 'Rejected', failureReason: 'UserInBlackList' }],
      saved: [1],
      state: 'failed',
      details: 'UserInBlackList',
    },
    {
      name: 'Failed + DeliveryFailure → failed with the reason (AT live capture)',
      reports: [
        {
          phoneNumber: '+254706318147',
          failureReason: 'DeliveryFailure',
          retryCount: '0',
          status: 'Failed',
          networkCode: '63902',
        },
      ],
      saved: [1],
      state: 'failed',
      details: 'DeliveryFailure',
    },
    {
      name: 'CHT e2e, scheduled[2]: Failed + InsufficientCredit → failed',
      reports: [{ status: 'Failed', failureReason: 'InsufficientCredit' }],
      saved: [1],
      state: 'failed',
      details: 'InsufficientCredit',
    },
    {
      name: 'AbsentSubscriber → failed (deviation: CHT 400)',
      reports: [{ status: 'AbsentSubscriber' }],
      saved: [1],
      state: 'failed',
    },
    { name: 'Expired → failed (deviation: CHT 400)', reports: [{ status: 'Expired' }], saved: [1], state: 'failed' },
    {
      name: 'Sent → Submitted → Success: the full path ends delivered',
      reports: [{ status: 'Sent' }, { status: 'Submitted' }, { status: 'Success' }],
      saved: [1, 1, 1],
      state: 'delivered',
      audit: ['Sent:true', 'Submitted:true', 'Success:true'],
    },
    {
      name: 'CHT controller spec (deviation): unknown status → 200 saved 0, recorded, state unchanged',
      reports: [{ status: 'unknown' }],
      saved: [0],
      state: 'received-by-gateway',
      audit: ['unknown:false'],
    },
    {
      name: 'deviation: late Sent after Success stays delivered, report kept',
      reports: [{ status: 'Success' }, { status: 'Sent' }],
      saved: [1, 0],
      state: 'delivered',
      audit: ['Success:true', 'Sent:false'],
    },
    {
      name: 'deviation: Failed after Success stays delivered',
      reports: [{ status: 'Success' }, { status: 'Failed', failureReason: 'DeliveryFailure' }],
      saved: [1, 0],
      state: 'delivered',
      audit: ['Success:true', 'Failed:false'],
    },
    {
      name: 'deviation: out of order (Success, Submitted, Sent) → delivered',
      reports: [{ status: 'Success' }, { status: 'Submitted' }, { status: 'Sent' }],
      saved: [1, 0, 0],
      state: 'delivered',
      audit: ['Success:true', 'Submitted:false', 'Sent:false'],
    },
    {
      name: 'duplicate report → saved 0, no second audit entry',
      reports: [{ status: 'Success' }, { status: 'Success' }],
      saved: [1, 0],
      state: 'delivered',
      audit: ['Success:true'],
    },
    {
      name: 'duplicate Failed with its reason → saved 0',
      reports: [
        { status: 'Failed', failureReason: 'UserIsInactive' },
        { status: 'Failed', failureReason: 'UserIsInactive' },
      ],
      saved: [1, 0],
      state: 'failed',
      details: 'UserIsInactive',
      audit: ['Failed:true'],
    },
  ];

  for (const row of rows) {
    it(row.name, async () => {
      const v = await sentMessage();
      const historyBefore = v.state_history.length;
      const answers = [];
      for (const r of row.reports) answers.push(await report({ id: v.gateway_ref as string, ...r }));
      expect(answers.map((a) => a.status)).to.deep.equal(row.reports.map(() => 200));
      expect(answers.map((a) => a.body.saved)).to.deep.equal(row.saved);
      const after = await view(v.id);
      expect(after.state).to.equal(row.state);
      if (row.details !== undefined) expect(after.state_details).to.equal(row.details);
      expect(after.gateway_ref).to.equal(v.gateway_ref);
      expect(after.state_history.length - historyBefore).to.equal(row.saved.reduce((a, b) => a + b, 0));
      const t = await task(v);
      const audit = (t.delivery_reports ?? []).map((d) => `${d.status}:${d.applied}`);
      expect(audit).to.deep.equal(row.audit ?? row.reports.map((r) => `${r.status}:true`));
    });
  }

  describe('refused or malformed: nothing changes', () => {
    const bad: Array<{
      name: string;
      key: string | null;
      fields: (ref: string) => Record<string, string>;
      status: number;
      field?: string;
    }> = [
      {
        name: 'CHT controller spec: wrong key → 403',
        key: 'wrong',
        fields: (ref) => ({ id: ref, status: 'Success' }),
        status: 403,
      },
      { name: 'no key → 403', key: null, fields: (ref) => ({ id: ref, status: 'Success' }), status: 403 },
      {
        name: 'missing id → 400 naming it',
        key: INCOMING_KEY,
        fields: () => ({ status: 'Success' }),
        status: 400,
        field: 'id',
      },
      {
        name: 'missing status → 400 naming it',
        key: INCOMING_KEY,
        fields: (ref) => ({ id: ref }),
        status: 400,
        field: 'status',
      },
    ];
    for (const row of bad) {
      it(row.name, async () => {
        const v = await sentMessage();
        const res = await report(row.fields(v.gateway_ref as string), row.key);
        expect(res.status).to.equal(row.status);
        expect(res.body.code).to.equal(row.status);
        if (row.field) expect(String(res.body.error)).to.include(`"${row.field}"`);
        const after = await view(v.id);
        expect(after.state).to.equal('received-by-gateway');
        expect((await task(v)).delivery_reports ?? []).to.have.length(0);
      });
    }
  });

  // A message CHT-core itself sent (on a shared CouchDB, or before this server ran) has only its
  // `gateway_ref` on the task, written by someone else: the message index finds it there (as CHT's
  // `medic-sms/messages_by_gateway_ref` view does, which is asked while the index is being built).
  describe('reports for messages CHT-core sent', () => {
    it('applies a delivery report for a message CHT-core sent (gateway_ref on the task, nothing else)', async () => {
      const uuid = uuidv7();
      const doc = {
        _id: uuidv7(),
        type: 'data_record',
        reported_date: Date.now(),
        tasks: [
          {
            state: 'sent',
            gateway_ref: 'ATXid_from_cht_core_0001',
            state_history: [{ state: 'sent', timestamp: new Date().toISOString() }],
            messages: [{ uuid, to: '+254711900001', message: 'sent by CHT-core' }],
          },
        ],
      };
      await server.dbs.medic.put(doc);
      const res = await report({ id: 'ATXid_from_cht_core_0001', status: 'Success', phoneNumber: '+254711900001' });
      expect(res.body).to.deep.equal({ saved: 1 });
      await eventually(async () => (await view(uuid)).state === 'delivered', 5_000);
    });
  });

  describe('reports for an earlier attempt', () => {
    it('a late report for the reference an operator retried away is found, kept for audit, and moves nothing', async () => {
      const v = await sentMessage();
      const first = v.gateway_ref as string;
      expect((await report({ id: first, status: 'Failed', failureReason: 'DeliveryFailure' })).body).to.deep.equal({
        saved: 1,
      });
      expect((await api(server, 'POST', `/api/v1/messages/${v.id}/retry`)).status).to.equal(200);
      const again = await eventually(async () => {
        const w = await view(v.id);
        return w.state === 'received-by-gateway' && w.gateway_ref && w.gateway_ref !== first ? w : undefined;
      });
      expect((await task(again)).previous_gateway_refs).to.deep.equal([first]);
      // The first attempt's delivery report arrives after all: the message index still knows whose it is.
      expect((await report({ id: first, status: 'Success' })).body).to.deep.equal({ saved: 0 });
      const after = await task(again);
      expect(after.state).to.equal('received-by-gateway');
      expect(after.delivery_reports?.map((r) => `${r.status}:${r.applied}`)).to.deep.equal([
        'Failed:true',
        'Success:false',
      ]);
    });
  });

  describe('reports for an id not stored yet', () => {
    it('unknown id → 200 saved 0, parked (nothing else stored)', async () => {
      const ref = 'ATXid_00000000000000000000000000000000';
      const res = await report({ id: ref, status: 'Success' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ saved: 0 });
      const all = await server.dbs.medic.allDocs({ include_docs: true });
      const parked = all.rows
        .map((r) => r.doc as unknown as { type?: string; gateway_ref?: string; reports?: Array<{ status: string }> })
        .filter((d) => d.type === 'sms_parked_reports' && d.gateway_ref === ref);
      expect(parked).to.have.length(1);
      expect(parked[0]?.reports?.map((r) => r.status)).to.deep.equal(['Success']);
    });

    it('reports before the send response (simulator beforeResponse) → parked, then applied: delivered', async () => {
      sim.configure({
        dlrUrl: `${server.url}${PATH}?key=${INCOMING_KEY}`,
        reportDelayMs: 1,
        reports: { enabled: true, beforeResponse: true },
      });
      try {
        const res = await api(server, 'POST', '/api/v1/messages', { to: '+254711099001', message: 'early reports' });
        const id = (res.body as { messages: Array<{ id: string }> }).messages[0]?.id as string;
        const v = await eventually(async () => {
          const x = await view(id);
          return x.state === 'delivered' ? x : undefined;
        });
        await sim.idle();
        const posted = sim.reports().filter((r) => r.id === v.gateway_ref);
        expect(posted.map((r) => r.status)).to.deep.equal(['Sent', 'Submitted', 'Success']);
        expect(posted.map((r) => [r.httpStatus, JSON.parse(r.body ?? '{}')])).to.deep.equal([
          [200, { saved: 0 }],
          [200, { saved: 0 }],
          [200, { saved: 0 }],
        ]);
        const t = await task(v);
        expect((t.delivery_reports ?? []).map((d) => d.status)).to.have.members(['Sent', 'Submitted', 'Success']);
        expect(t.cost).to.equal('KES 0.8000');
        expect(t.message_parts).to.equal(1);
        expect(server.logs()).to.not.include(INCOMING_KEY);
      } finally {
        sim.configure({ dlrUrl: null, reports: { enabled: false, beforeResponse: false } });
      }
    });
  });
});
