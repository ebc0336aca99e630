/**
 * RapidPro status polling end to end, on both stores: messages really sent through the RapidPro
 * simulator, statuses moved by the simulator (its magic numbers, stepped by hand), read by the
 * `status-poll` job from `GET /api/v2/messages.json` (https://rapidpro.io/api/v2/) and applied
 * through the core's state lattice. Tests named "CHT …" port
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/services/rapidpro.spec.js (poll).
 *
 * Deliberate deviations from CHT (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js):
 * a run makes at most `max_requests_per_run` requests, recent messages are read a page (250
 * messages) per request through the `after` filter, the rest one request per broadcast;
 * Retry-After is honoured; an unknown status is recorded, not taken for `queued`; after
 * `status_max_age_hours` a message is no longer polled.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageView } from '../../helpers/at-setup.js';
import { startPouchDbServer, type CouchServer } from '../../helpers/pouchdb-server.js';
import { RP_INCOMING, RP_TOKEN, startRapidProRig, type RapidProRig } from '../../helpers/rapidpro-setup.js';
import { api, eventually } from '../../helpers/test-server.js';

let n = 0;
const number = (suffix = '123'): string => `+25472${String(++n).padStart(4, '0')}${suffix}`;

async function sendAll(rig: RapidProRig, items: Array<{ to: string; message: string }>): Promise<string[]> {
  const ids = await rig.send(items);
  await eventually(async () => {
    const views = await Promise.all(ids.map((id) => rig.message(id)));
    return views.every((v) => v.gateway_ref !== null && v.state === 'received-by-gateway');
  });
  return ids;
}

const gets = (rig: RapidProRig) => rig.sim.requests().filter((r) => r.method === 'GET');

/** Steps every message on and polls, until nothing moves; returns each message as it ended. */
async function stepAndPoll(rig: RapidProRig, ids: string[]): Promise<MessageView[]> {
  for (let i = 0; i < 10 && rig.sim.advance().length > 0; i++) await rig.poll();
  await rig.poll();
  return Promise.all(ids.map((id) => rig.message(id)));
}

const MAGIC: Array<{ suffix: string; journey: string; state: string; details: string; seen?: string }> = [
  { suffix: '123', journey: 'queued → wired → sent → delivered', state: 'delivered', details: 'Delivered' },
  { suffix: '598', journey: 'queued → wired → failed', state: 'failed', details: 'Failed' },
  {
    suffix: '597',
    journey: 'queued → errored → wired → sent → delivered',
    state: 'delivered',
    details: 'Delivered',
    seen: 'Errored',
  },
  {
    suffix: '596',
    journey: 'queued → errored → errored → failed',
    state: 'failed',
    details: 'Failed',
    seen: 'Errored',
  },
  { suffix: '595', journey: 'queued → wired → sent (no delivery report)', state: 'sent', details: 'Sent' },
  {
    suffix: '594',
    journey: 'queued → wired → sent → resent → delivered',
    state: 'delivered',
    details: 'Delivered',
    seen: 'Resent',
  },
  { suffix: '593', journey: 'queued forever', state: 'received-by-gateway', details: 'Queued' },
];

function suite(storage: () => { kind: 'embedded' } | { kind: 'couchdb'; couch: CouchServer }): void {
  let rig: RapidProRig;
  let offsetMs = 0;
  before(async () => {
    rig = await startRapidProRig({
      server: { storage: storage(), compose: { now: () => new Date(Date.now() + offsetMs) } },
    });
  });
  after(async () => {
    expect(rig.server.logs(), 'API token in logs').to.not.include(RP_TOKEN);
    expect(rig.server.logs(), 'incoming token in logs').to.not.include(RP_INCOMING);
    await rig.stop();
  });
  beforeEach(async () => {
    offsetMs = 0;
    rig.sim.reset();
    rig.sim.configure({ stepDelayMs: null, retryAfterSeconds: 1 });
    await rig.settings({ rapidpro: { status_poll_seconds: 0, max_requests_per_run: 30 } });
    // Nothing left awaiting from an earlier test.
    const left = await rig.server.dbs.medic.allDocs({ startkey: 'sms-awaiting:', endkey: 'sms-awaiting:\ufff0' });
    await rig.server.dbs.medic.bulkDocs(left.rows.map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true })));
  });

  describe('CHT "should update the states correctly": each RapidPro journey ends in its CHT state', function () {
    for (const row of MAGIC) {
      it(`…${row.suffix}: ${row.journey} → ${row.state}`, async () => {
        const [id] = await sendAll(rig, [{ to: number(row.suffix), message: `journey ${row.suffix} ${n}` }]);
        const [view] = await stepAndPoll(rig, [id as string]);
        expect(view?.state).to.equal(row.state);
        expect(view?.state_details).to.equal(row.details);
        if (row.seen) expect(view?.delivery_reports?.map((r) => r.status)).to.include(row.seen.toLowerCase());
        // Final states end polling; the others stay awaited.
        const awaited = await rig.server.dbs.medic.allDocs({
          startkey: 'sms-awaiting:',
          endkey: 'sms-awaiting:\ufff0',
        });
        expect(awaited.rows.length).to.equal(['delivered', 'failed'].includes(row.state) ? 0 : 1);
      });
    }
  });

  it("one broadcast to every journey: each recipient's status reaches its own message (<id>:<urn> refs)", async () => {
    const items = MAGIC.map((row) => ({ to: number(row.suffix), message: 'one text for all' }));
    const ids = await sendAll(rig, items);
    expect(rig.sim.broadcasts()).to.have.length(1);
    const views = await stepAndPoll(rig, ids);
    expect(views.map((v) => v.state)).to.deep.equal(MAGIC.map((r) => r.state));
  });

  it('recent messages are read a page per request: 12 broadcasts, one request', async () => {
    const ids = await sendAll(
      rig,
      Array.from({ length: 12 }, (_, i) => ({ to: number(), message: `text ${i}` })),
    );
    rig.sim.advance({ steps: 3 });
    const result = await rig.poll();
    expect(result).to.include({ requests: 1, read: 12, done: 12, failed: 0 });
    expect(gets(rig)[0]?.url).to.match(/^\/api\/v2\/messages\.json\?after=/);
    expect((await Promise.all(ids.map((id) => rig.message(id)))).every((v) => v.state === 'delivered')).to.equal(true);
    expect(await rig.poll()).to.include({ requests: 0 });
  });

  it('CHT "should halt recursive polling on rate limit error": 429 ends the run; Retry-After honoured', async () => {
    const [id] = await sendAll(rig, [{ to: number(), message: 'throttled' }]);
    rig.sim.advance({ steps: 3 });
    rig.sim.configure({ retryAfterSeconds: 2, failNext: { status: 429, count: 1 } });
    const before = Date.now();
    const first = await rig.poll();
    expect(first.requests).to.equal(1);
    expect(Date.parse(first.throttledUntil as string)).to.be.at.least(before + 1900);
    // Within Retry-After: no request at all.
    const second = await rig.poll();
    expect(second).to.include({ requests: 0 });
    expect(second.skipped).to.include('Retry-After');
    expect(gets(rig)).to.have.length(1);
    const third = await eventually(
      async () => {
        const r = await rig.poll();
        return r.requests > 0 ? r : undefined;
      },
      5000,
      200,
    );
    expect(Date.now()).to.be.at.least(Date.parse(first.throttledUntil as string));
    expect(third).to.include({ read: 1, done: 1 });
    expect((await rig.message(id as string)).state).to.equal('delivered');
  });

  it('CHT "should catch errors from remote service": a failed request does not end the run', async () => {
    const ids = await sendAll(
      rig,
      [1, 2, 3].map((i) => ({ to: number(), message: `caught ${i}` })),
    );
    rig.sim.advance({ steps: 3 });
    rig.sim.configure({ failNext: { status: 500, count: 1 } });
    const result = await rig.poll();
    // The scan's page failed; each broadcast was then asked on its own.
    expect(result).to.include({ failed: 1, read: 3, done: 3, requests: 4 });
    expect((await Promise.all(ids.map((id) => rig.message(id)))).map((v) => v.state)).to.deep.equal([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('CHT "should handle the remote service not sending any results": nothing applied, still awaited', async () => {
    const [id] = await sendAll(rig, [{ to: number(), message: 'forgotten' }]);
    rig.sim.reset();
    const result = await rig.poll();
    expect(result).to.include({ requests: 1, read: 0, done: 0 });
    expect((await rig.message(id as string)).state).to.equal('received-by-gateway');
  });

  it('older messages: one request per broadcast, at most max_requests_per_run a run, the rest in turn', async () => {
    const ids = await sendAll(
      rig,
      [1, 2, 3, 4, 5].map((i) => ({ to: number(), message: `older ${i}` })),
    );
    rig.sim.advance({ steps: 3 });
    offsetMs = 2 * 3600_000;
    await rig.settings({ rapidpro: { max_requests_per_run: 2 } });
    const runs = [await rig.poll(), await rig.poll(), await rig.poll(), await rig.poll()];
    expect(runs.map((r) => [r.requests, r.done])).to.deep.equal([
      [2, 2],
      [2, 2],
      [1, 1],
      [0, 0],
    ]);
    expect(gets(rig).every((g) => /\?broadcast=\d+$/.test(g.url))).to.equal(true);
    expect((await Promise.all(ids.map((id) => rig.message(id)))).every((v) => v.state === 'delivered')).to.equal(true);
  });

  it('status_max_age_hours: a message with no final status by then is no longer polled, its state kept', async () => {
    const [id] = await sendAll(rig, [{ to: number('595'), message: 'never delivered' }]);
    rig.sim.advance({ steps: 2 });
    await rig.poll();
    offsetMs = 3 * 3600_000;
    await rig.settings({ rapidpro: { status_max_age_hours: 2 } });
    const before = gets(rig).length;
    expect(await rig.poll()).to.include({ expired: 1, requests: 0 });
    expect(gets(rig).length).to.equal(before);
    expect((await rig.message(id as string)).state).to.equal('sent');
  });

  it('a refused token ends the run with the reason (and the next run tries again)', async () => {
    await sendAll(rig, [{ to: number(), message: 'bad token' }]);
    expect(
      (await api(rig.server, 'PUT', '/api/v1/credentials/rapidpro:outgoing', 'wrong-token-not-secret')).status,
    ).to.equal(200);
    try {
      const err = await rig.poll().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.include('rapidpro:outgoing').and.include('403');
      expect(gets(rig)).to.have.length(1);
    } finally {
      await api(rig.server, 'PUT', '/api/v1/credentials/rapidpro:outgoing', RP_TOKEN);
    }
  });

  it('runs by itself every status_poll_seconds: statuses reach delivered with no one asking', async () => {
    rig.sim.configure({ stepDelayMs: 30 });
    const [id] = await sendAll(rig, [{ to: number(), message: 'on its own' }]);
    await rig.settings({ rapidpro: { status_poll_seconds: 1 } });
    try {
      await eventually(async () => (await rig.message(id as string)).state === 'delivered', 8000, 100);
    } finally {
      await rig.settings({ rapidpro: { status_poll_seconds: 0 } });
    }
  });
}

describe('RapidPro status polling (simulator)', function () {
  let couch: CouchServer;
  before(async () => {
    couch = await startPouchDbServer();
  });
  after(() => couch?.close());
  describe('embedded store', () => suite(() => ({ kind: 'embedded' })));
  describe('CouchDB over HTTP (pouchdb-server)', () => suite(() => ({ kind: 'couchdb', couch })));
});

describe('RapidPro status polling: CHT "should catch error when no credentials are defined"', function () {
  it('no API token: the run fails with the credential named, no request made', async () => {
    const rig = await startRapidProRig({ token: null });
    try {
      const err = await rig.poll().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.include('PUT /api/v1/credentials/rapidpro:outgoing');
      expect(rig.sim.requests()).to.have.length(0);
    } finally {
      await rig.stop();
    }
  });
});

describe('RapidPro status polling: a status RapidPro may add later', function () {
  it('an unknown status is recorded on the message, its state unchanged, and polling goes on', async () => {
    // A stand-in RapidPro whose messages report a status missing from our table.
    const fake = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') {
        req.resume();
        res.statusCode = 201;
        res.end(JSON.stringify({ id: 4242, status: 'queued', urns: ['tel:+254711000099'], text: 'x' }));
        return;
      }
      res.end(
        JSON.stringify({
          next: null,
          previous: null,
          results: [{ id: 1, broadcast: 4242, urn: 'tel:+254711000099', status: 'handled' }],
        }),
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const rig = await startRapidProRig();
    try {
      await rig.settings({ rapidpro: { url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` } });
      const [id] = await sendAll(rig, [{ to: '+254711000099', message: 'x' }]);
      expect(await rig.poll()).to.include({ requests: 1, read: 1, saved: 0, done: 0 });
      const view = await rig.message(id as string);
      expect(view.state).to.equal('received-by-gateway');
      const report = view.delivery_reports?.find((r) => r.status === 'handled') as Record<string, unknown> | undefined;
      expect(report).to.include({ applied: false, details: 'Unknown RapidPro status "handled"' });
      expect(report).to.not.have.property('state');
      const awaited = await rig.server.dbs.medic.allDocs({ startkey: 'sms-awaiting:', endkey: 'sms-awaiting:\ufff0' });
      expect(awaited.rows).to.have.length(1);
    } finally {
      await rig.stop();
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});
