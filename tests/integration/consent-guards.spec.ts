/**
 * The guards applied when a message is created, on both stores: CHT's deny rules and
 * duplicate limit (with the string form of sms.duplicate_limit), the per-recipient cap, the
 * duplicate window surviving a restart and holding across two instances on one CouchDB, and the
 * figures in /api/v2/monitoring and /metrics.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onEachStore } from '../helpers/stores.js';
import { api, openWorkIds, startTestServer, type TestServer, type TestServerOptions } from '../helpers/test-server.js';

interface Created {
  id: string;
  state: string;
  state_details?: string;
}

async function post(server: TestServer, body: unknown): Promise<Created[]> {
  const res = await api(server, 'POST', '/api/v1/messages', body);
  expect(res.status, res.text).to.equal(200);
  return (res.body as { messages: Created[] }).messages;
}

async function settings(server: TestServer, body: Record<string, unknown>): Promise<void> {
  const res = await api(server, 'PUT', '/api/v1/settings?replace=1', body);
  expect(res.status, res.text).to.equal(200);
}

let numberSeq = 0;
/** A fresh Kenyan number per call, so rows do not share duplicate or recipient windows. */
const fresh = (): string => `+2547${String(20_000_000 + ((numberSeq++ * 7919) % 9_999_999)).padStart(8, '0')}`;

onEachStore((s) => {
  beforeEach(async function () {
    await settings(s.server, { sms: { outgoing_service: 'medic-gateway' } });
  });

  const denyRows: Array<{ name: string; rules: Record<string, unknown>; to: () => string; details: RegExp | null }> = [
    {
      name: 'outgoing_deny_list prefix',
      rules: { outgoing_deny_list: '+25479, +25478' },
      to: () => '+254790000001',
      details: /Not sent: recipient matches outgoing_deny_list prefix '\+25479'/,
    },
    {
      name: 'outgoing_deny_list, other prefix → allowed',
      rules: { outgoing_deny_list: '+25479' },
      to: fresh,
      details: null,
    },
    {
      name: 'outgoing_deny_shorter_than "6"',
      rules: { outgoing_deny_shorter_than: '6' },
      to: () => '12345',
      details: /fewer than outgoing_deny_shorter_than \(6\)/,
    },
    {
      name: "the gateway's own number",
      rules: { gateway_number: '+254700000099' },
      to: () => '+254700000099',
      details: /gateway's own number/,
    },
  ];
  for (const row of denyRows) {
    it(`deny rules at creation: ${row.name}`, async function () {
      await settings(s.server, { phone_validation: 'none', ...row.rules });
      try {
        const [m] = await post(s.server, { to: row.to(), message: 'Clinic tomorrow' });
        const view = (await api(s.server, 'GET', `/api/v1/messages/${m?.id}`)).body as {
          state: string;
          state_details?: string;
          state_history: Array<{ state: string }>;
        };
        if (row.details) {
          expect(m?.state).to.equal('denied');
          expect(m?.state_details).to.match(row.details);
          expect(view.state).to.equal('denied');
          expect(view.state_details).to.match(row.details);
          expect(view.state_history.map((h) => h.state)).to.deep.equal(['pending', 'denied']);
          // Not in the outbox's open-work index: nothing will ever send it.
          const docId = await s.server.outgoing.docIdFor(m?.id as string);
          expect(await openWorkIds(s.server)).to.not.include(docId);
        } else {
          expect(m?.state).to.equal('pending');
          expect(view.state).to.equal('pending');
        }
      } finally {
        await settings(s.server, {
          phone_validation: 'full',
          outgoing_deny_list: null,
          outgoing_deny_shorter_than: null,
          gateway_number: '+13125551212',
        });
      }
    });
  }

  const duplicateRows: Array<{ name: string; limit?: number | string; sends: number; firstDuplicate: number }> = [
    { name: 'default 5: the 6th identical message is a duplicate', sends: 7, firstDuplicate: 6 },
    { name: 'the string form CHT documents ("2"): the 3rd', limit: '2', sends: 4, firstDuplicate: 3 },
    { name: 'above the cap of 20 → 20', limit: 50, sends: 21, firstDuplicate: 21 },
  ];
  for (const row of duplicateRows) {
    it(`duplicate limit: ${row.name}`, async function () {
      await settings(s.server, {
        sms: { outgoing_service: 'medic-gateway', ...(row.limit !== undefined ? { duplicate_limit: row.limit } : {}) },
      });
      const to = fresh();
      const states: string[] = [];
      // One request per message, as replies come; then a request holding two more copies.
      for (let i = 0; i < row.sends - 2; i++)
        states.push(...(await post(s.server, { to, message: 'Take your medicine' })).map((m) => m.state));
      const last = await post(s.server, [
        { to, message: 'Take your medicine' },
        { to, message: 'Take your medicine' },
      ]);
      states.push(...last.map((m) => m.state));
      expect(states.indexOf('duplicate') + 1).to.equal(row.firstDuplicate);
      expect(states.slice(row.firstDuplicate - 1).every((st) => st === 'duplicate')).to.equal(true);
      expect(last.at(-1)?.state_details).to.match(
        /already queued for this number \d+ times within 30 minutes \(sms.duplicate_limit \d+\)/,
      );
      // Another text to the same number is not a duplicate.
      expect((await post(s.server, { to, message: 'Other text' }))[0]?.state).to.equal('pending');
    });
  }

  const badSettings: Array<[Record<string, unknown>, RegExp]> = [
    [{ duplicate_limit: 'five' }, /sms.duplicate_limit must be a number or a numeric string/],
    [{ recipient_limit: { max: 0, window_minutes: 60 } }, /sms.recipient_limit.max must be at least 1/],
    [{ recipient_limit: { max: 5 } }, /sms.recipient_limit.window_minutes is required/],
    [{ smart_encoding: 'yes' }, /sms.smart_encoding/],
  ];
  for (const [sms, error] of badSettings) {
    it(`refuses settings ${JSON.stringify(sms)} naming the field`, async function () {
      const res = await api(s.server, 'PUT', '/api/v1/settings', { sms });
      expect(res.status).to.equal(400);
      expect(res.text).to.match(error);
    });
  }

  it('sms.recipient_limit: the message over the cap is denied with the reason; other numbers go', async function () {
    await settings(s.server, {
      sms: { outgoing_service: 'medic-gateway', recipient_limit: { max: 2, window_minutes: 60 } },
    });
    const to = fresh();
    const states = (
      await post(
        s.server,
        [1, 2, 3].map((i) => ({ to, message: `Reminder ${i}` })),
      )
    ).map((m) => m.state);
    expect(states).to.deep.equal(['pending', 'pending', 'denied']);
    const [over] = await post(s.server, { to, message: 'Reminder 4' });
    expect(over?.state_details).to.equal(
      'Not sent: recipient already has 2 messages in the last 60 minutes (sms.recipient_limit.max 2)',
    );
    expect((await post(s.server, { to: fresh(), message: 'Reminder 1' }))[0]?.state).to.equal('pending');
  });

  it('guarded messages are counted in /api/v2/monitoring and /metrics', async function () {
    const monitoring = (await api(s.server, 'GET', '/api/v2/monitoring')).body as {
      sms: { guards: { denied: number; duplicate: number; opt_outs: number } };
    };
    expect(monitoring.sms.guards.duplicate).to.be.greaterThan(0);
    expect(monitoring.sms.guards.denied).to.be.greaterThan(0);
    const metrics = (await api(s.server, 'GET', '/metrics')).text;
    expect(metrics).to.match(/sms_guarded_messages_total\{guard="duplicate"\} [1-9]/);
    expect(metrics).to.match(/sms_guarded_messages_total\{guard="deny_rule"\} [1-9]/);
    expect(metrics).to.match(/sms_guarded_messages_total\{guard="recipient_limit"\} [1-9]/);
  });

  it('the duplicate window survives a restart, and holds for two instances on one store', async function () {
    this.timeout(60_000);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cht-sms-dup-'));
    const db = `dup${process.pid}x${Date.now()}`;
    const opts = (): TestServerOptions =>
      s.kind === 'embedded' ? { dataDir } : { storage: { kind: 'couchdb', couch: s.couch, db } };
    const to = fresh();
    const states: string[] = [];
    let first = await startTestServer(opts());
    try {
      for (let i = 0; i < 3; i++) states.push(...(await post(first, { to, message: 'Same text' })).map((m) => m.state));
      if (s.kind === 'couchdb') {
        // A second instance on the same CouchDB, at the same time.
        const second = await startTestServer(opts());
        try {
          for (let i = 0; i < 2; i++)
            states.push(...(await post(second, { to, message: 'Same text' })).map((m) => m.state));
        } finally {
          await second.stop();
        }
      } else {
        for (let i = 0; i < 2; i++)
          states.push(...(await post(first, { to, message: 'Same text' })).map((m) => m.state));
      }
      await first.stop();
      first = await startTestServer(opts());
      states.push(...(await post(first, { to, message: 'Same text' })).map((m) => m.state));
    } finally {
      await first.stop();
    }
    expect(states).to.deep.equal(['pending', 'pending', 'pending', 'pending', 'pending', 'duplicate']);
  });
});
