/**
 * Sending through RapidPro end to end: POST /api/v1/messages on a real server whose
 * `sms.rapidpro.url` is the RapidPro simulator; RapidPro's answers to `POST /api/v2/broadcasts.json`
 * (https://rapidpro.io/api/v2/) come from the simulator's validation and fault modes. Each row
 * asserts the request RapidPro got, the stored task, and that no secret reached the logs.
 *
 * Deliberate deviations from CHT (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js):
 * one broadcast per text with many URNs (CHT: one per message); a bad token, a missing token or a
 * wrong URL pauses the whole channel (CHT: every message retried every minute, forever); other
 * errors are retried with backoff up to `max_attempts`, then `failed` with the reason.
 */
import { expect } from 'chai';
import type { MessageView } from '../../helpers/at-setup.js';
import { RP_INCOMING, RP_TOKEN, startRapidProRig, type RapidProRig } from '../../helpers/rapidpro-setup.js';
import { api, eventually } from '../../helpers/test-server.js';
import type { MessageDoc, MessageState, Task } from '../../../shared-libs/task-utils/types.js';

const DISPATCH = {
  max_attempts: 2,
  backoff_base_seconds: 0.05,
  backoff_max_seconds: 0.1,
  request_timeout_seconds: 1,
  lease_seconds: 2,
  channel_pause_seconds: 60,
  sweep_interval_seconds: 1,
};

let n = 0;
/** A fresh number ending in `suffix` (the simulator's magic digits). */
const number = (suffix = '123'): string => `+25471${String(++n).padStart(4, '0')}${suffix}`;

async function taskOf(rig: RapidProRig, id: string): Promise<{ task: Task; view: MessageView }> {
  const view = await rig.message(id);
  const doc = (await rig.server.dbs.medic.get((view as unknown as { doc_id: string }).doc_id)) as unknown as MessageDoc;
  const task = (doc.tasks ?? []).find((t) => t.messages?.some((m) => m.uuid === id)) as Task;
  return { task, view };
}

const settled = (rig: RapidProRig, id: string, states: MessageState[]): Promise<{ task: Task; view: MessageView }> =>
  eventually(async () => {
    const r = await taskOf(rig, id);
    return states.includes(r.view.state as MessageState) && !r.task.lease && !r.task.next_attempt_at ? r : undefined;
  }, 8000);

function noSecrets(rig: RapidProRig): void {
  expect(rig.server.logs(), 'API token in logs').to.not.include(RP_TOKEN);
  expect(rig.server.logs(), 'incoming token in logs').to.not.include(RP_INCOMING);
}

const posts = (rig: RapidProRig) => rig.sim.requests().filter((r) => r.method === 'POST');

describe('RapidPro: sending through the server (simulator)', function () {
  let rig: RapidProRig;
  before(async () => {
    rig = await startRapidProRig({ sms: { dispatch: { ...DISPATCH, channel_pause_seconds: 1 } } });
    // Short codes pass our own number check, and RapidPro refuses a URN without a country code.
    expect((await api(rig.server, 'PUT', '/api/v1/settings', { phone_validation: 'none' })).status).to.equal(200);
  });
  after(async () => {
    noSecrets(rig);
    await rig.stop();
  });
  beforeEach(() => rig.sim.reset());

  it('one message: one broadcast, Token auth, broadcast id as gateway_ref, received-by-gateway "Queued"', async () => {
    const to = number();
    const [id] = await rig.send([{ to, message: 'Hello from CHT' }]);
    const { view, task } = await settled(rig, id as string, ['received-by-gateway']);
    const [post] = posts(rig);
    expect(post).to.deep.include({ url: '/api/v2/broadcasts.json', auth: 'valid', httpStatus: 201 });
    expect(post?.body).to.deep.equal({ urns: [`tel:${to}`], text: 'Hello from CHT' });
    const [broadcast] = rig.sim.broadcasts();
    expect(view.gateway_ref).to.equal(String(broadcast?.id));
    expect(view.state_details).to.equal('Queued');
    expect(task.attempts).to.equal(1);
  });

  it('one text to three numbers: one broadcast; each message has <broadcast id>:<urn> as gateway_ref', async () => {
    const numbers = [number(), number(), number()];
    const ids = await rig.send(numbers.map((to) => ({ to, message: 'Clinic day moved to Friday' })));
    const views = await Promise.all(ids.map((id) => settled(rig, id, ['received-by-gateway'])));
    expect(posts(rig)).to.have.length(1);
    expect((posts(rig)[0]?.body as { urns: string[] }).urns.sort()).to.deep.equal(
      numbers.map((x) => `tel:${x}`).sort(),
    );
    const b = rig.sim.broadcasts()[0]?.id;
    expect(views.map((v) => v.view.gateway_ref)).to.deep.equal(numbers.map((x) => `${b}:tel:${x}`));
  });

  it('HTTP 400 (a number RapidPro refuses) → failed at once with its reason, not retried', async () => {
    const [id] = await rig.send([{ to: '4234', message: 'hi' }]);
    const { view, task } = await settled(rig, id as string, ['failed']);
    expect(view.state_details).to.include('HTTP 400').and.include('Invalid URN');
    expect(view.gateway_ref).to.equal(null);
    expect(task.attempts).to.equal(1);
    expect(posts(rig)).to.have.length(1);
  });

  it('HTTP 400 for a broadcast to several numbers: sent again one at a time, only the bad one fails', async () => {
    const good = [number(), number()];
    const ids = await rig.send([...good, '4235'].map((to) => ({ to, message: 'Reminder: vaccination' })));
    const [a, b, bad] = await Promise.all([
      settled(rig, ids[0] as string, ['received-by-gateway']),
      settled(rig, ids[1] as string, ['received-by-gateway']),
      settled(rig, ids[2] as string, ['failed']),
    ]);
    expect(posts(rig).map((p) => p.httpStatus)).to.deep.equal([400, 201, 201, 400]);
    // Each good number went in its own broadcast: a bare broadcast id each.
    expect([a.view.gateway_ref, b.view.gateway_ref].every((r) => /^\d+$/.test(String(r)))).to.equal(true);
    expect(bad.view.state_details).to.include('Invalid URN');
  });

  const retried: Array<{ name: string; status: number; code: string }> = [
    { name: 'HTTP 429 → retried with backoff, then sent', status: 429, code: 'http_429' },
    { name: 'HTTP 500 (Django error page) → retried, then sent', status: 500, code: 'http_500' },
    { name: 'HTTP 503 → retried, then sent', status: 503, code: 'http_503' },
  ];
  for (const row of retried) {
    it(row.name, async () => {
      rig.sim.configure({ failNext: { status: row.status, count: 1 } });
      const [id] = await rig.send([{ to: number(), message: 'hi' }]);
      const { task, view } = await settled(rig, id as string, ['received-by-gateway']);
      expect(task.attempts).to.equal(2);
      expect(view.state_history.some((h) => String(h.state_details ?? '').includes(`HTTP ${row.status}`))).to.equal(
        true,
      );
      expect(posts(rig).map((p) => p.httpStatus)).to.deep.equal([row.status, 201]);
    });
  }

  it('HTTP 500 every time → failed after max_attempts, the reason kept', async () => {
    rig.sim.configure({ failNext: { status: 500, count: 5 } });
    const [id] = await rig.send([{ to: number(), message: 'hi' }]);
    const { task, view } = await settled(rig, id as string, ['failed']);
    expect(task.attempts).to.equal(2);
    expect(view.state_details).to.include('HTTP 500');
  });
});

describe('RapidPro: account-level refusals pause the channel (one server each)', function () {
  let rig: RapidProRig | undefined;
  afterEach(async () => {
    if (rig) {
      noSecrets(rig);
      await rig.stop();
    }
    rig = undefined;
  });

  const rows: Array<{ name: string; token?: string | null; url?: string; code: string; requests: number }> = [
    {
      name: 'HTTP 403 Invalid token → pending, paused, attempt not counted',
      token: 'wrong-token-not-secret',
      code: 'http_403',
      requests: 1,
    },
    {
      name: 'no API token configured → pending, paused, no request made',
      token: null,
      code: 'no_api_token',
      requests: 0,
    },
    {
      name: 'HTTP 404 (sms.rapidpro.url is not RapidPro) → pending, paused',
      url: '/not-rapidpro',
      code: 'http_404',
      requests: 0,
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      rig = await startRapidProRig({ token: row.token });
      const r = rig;
      await r.settings({ dispatch: DISPATCH, ...(row.url ? { rapidpro: { url: `${r.sim.url}${row.url}` } } : {}) });
      const [id] = await r.send([{ to: number(), message: 'hi' }]);
      const { task, view } = await eventually(async () => {
        const t = await taskOf(r, id as string);
        return t.task.last_error && !t.task.lease ? t : undefined;
      });
      expect(view.state).to.equal('pending');
      expect(task.last_error?.code).to.equal(row.code);
      expect(task.attempts).to.equal(0);
      expect(Date.parse(task.next_attempt_at as string)).to.be.greaterThan(Date.now() + 30_000);
      expect(posts(r).filter((p) => p.url.startsWith('/api/v2/broadcasts'))).to.have.length(row.requests);
    });
  }

  it('token rotation without restart: wrong token → paused; PUT the right one → sent after the pause', async () => {
    rig = await startRapidProRig({ token: 'wrong-token-not-secret' });
    const r = rig;
    const [id] = await r.send([{ to: number(), message: 'hi' }]);
    await eventually(async () => (await taskOf(r, id as string)).task.last_error?.code === 'http_403');
    expect((await api(r.server, 'PUT', '/api/v1/credentials/rapidpro:outgoing', RP_TOKEN)).status).to.equal(200);
    const { view } = await settled(r, id as string, ['received-by-gateway']);
    expect(view.gateway_ref).to.match(/^\d+$/);
  });
});

describe('RapidPro: settings', function () {
  let rig: RapidProRig;
  before(async () => {
    rig = await startRapidProRig();
  });
  after(() => rig.stop());

  const rows: Array<{ name: string; sms: Record<string, unknown>; says: string }> = [
    {
      name: 'selected without sms.rapidpro.url → 400 naming it',
      sms: { outgoing_service: 'rapidpro' },
      says: 'sms.rapidpro.url',
    },
    {
      name: 'a url that is not http(s) → 400 naming it',
      sms: { outgoing_service: 'rapidpro', rapidpro: { url: 'ftp://x' } },
      says: 'sms.rapidpro.url',
    },
    {
      name: 'status_poll_seconds negative → 400 naming it',
      sms: { outgoing_service: 'rapidpro', rapidpro: { url: 'https://textit.com', status_poll_seconds: -1 } },
      says: 'sms.rapidpro.status_poll_seconds',
    },
    {
      name: 'max_requests_per_run 0 → 400 naming it',
      sms: { outgoing_service: 'rapidpro', rapidpro: { url: 'https://textit.com', max_requests_per_run: 0 } },
      says: 'sms.rapidpro.max_requests_per_run',
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const res = await api(rig.server, 'PUT', '/api/v1/settings?replace=1', { sms: row.sms });
      expect(res.status, res.text).to.equal(400);
      expect(String((res.body as { error: string }).error)).to.include(row.says);
    });
  }

  it('"outgoing_service": "rapidpro" with a url is accepted (CHT\'s third registry entry)', async () => {
    const res = await api(rig.server, 'PUT', '/api/v1/settings', {
      sms: { outgoing_service: 'rapidpro', rapidpro: { url: 'https://textit.com/' } },
    });
    expect(res.status, res.text).to.equal(200);
  });
});
