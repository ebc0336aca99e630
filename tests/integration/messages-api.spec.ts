/**
 * POST/GET /api/v1/messages: outgoing messages queued as CHT stores them (a `data_record` with one
 * pending task, as CHT's webapp writes it), read back one by one or listed; bad input refused
 * with 400 naming the item and field, before anything is stored.
 * Runs on both storage modes (tests/helpers/stores.ts): the embedded store (LevelDB files) and
 * CouchDB over HTTP (pouchdb-server on loopback), through HTTP only where users go through HTTP.
 */
import { expect } from 'chai';
import { onEachStore } from '../helpers/stores.js';
import { api } from '../helpers/test-server.js';

describe('messages API (POST/GET /api/v1/messages)', function () {
  onEachStore((s) => {
    it('queues CHT-shaped outgoing messages in input order and reads them back', async function () {
      const res = await api(s.server, 'POST', '/api/v1/messages', [
        { to: '+254712345678', message: 'first' },
        { to: '+254 722 000 111', message: 'second' },
      ]);
      expect(res.status).to.equal(200);
      const body = res.body as {
        ok: boolean;
        messages: Array<{ id: string; doc_id: string; to: string; state: string }>;
      };
      expect(body.ok).to.equal(true);
      expect(body.messages.map((m) => m.to)).to.deep.equal(['+254712345678', '+254722000111']);
      expect(body.messages.every((m) => m.state === 'pending')).to.equal(true);
      const doc = (await s.server.dbs.medic.get(body.messages[0]?.doc_id as string)) as unknown as Record<
        string,
        unknown
      >;
      expect(doc).to.include({ type: 'data_record', kujua_message: true, form: null });
      const task = (doc.tasks as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
      expect(task.state).to.equal('pending');
      expect(task.state_history).to.have.length(1);
      expect(task.messages).to.deep.equal([{ uuid: body.messages[0]?.id, to: '+254712345678', message: 'first' }]);
      const one = await api(s.server, 'GET', `/api/v1/messages/${body.messages[1]?.id}`);
      expect(one.status).to.equal(200);
      expect(one.body).to.include({
        id: body.messages[1]?.id,
        to: '+254722000111',
        message: 'second',
        state: 'pending',
        gateway_ref: null,
      });
      const list = await api(s.server, 'GET', '/api/v1/messages?direction=outgoing&state=pending&limit=10');
      expect((list.body as { messages: unknown[] }).messages.length).to.be.at.least(2);
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['no to', [{ to: '+254712345678', message: 'ok' }, { message: 'x' }], /messages\[1\]\.to/],
      ['empty message', [{ to: '+254712345678', message: '  ' }], /messages\[0\]\.message/],
      ['unusable number', { to: '12', message: 'x' }, /to: "12" is not a usable phone number/],
      ['not an object', ['hello'], /messages\[0\]: must be an object/],
    ];
    for (const [name, body, pattern] of bad) {
      it(`400 naming the item and field, nothing stored: ${name}`, async function () {
        const before = (await s.server.dbs.medic.info()).doc_count;
        const res = await api(s.server, 'POST', '/api/v1/messages', body);
        expect(res.status).to.equal(400);
        expect((res.body as { error: string }).error).to.match(pattern);
        expect((await s.server.dbs.medic.info()).doc_count).to.equal(before);
      });
    }

    it('truncates text beyond multipart_sms_limit as CHT does, keeping original_message', async function () {
      await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 1 });
      const long = 'a'.repeat(400);
      const res = await api(s.server, 'POST', '/api/v1/messages', { to: '+254712345678', message: long });
      const created = (res.body as { messages: Array<{ doc_id: string }> }).messages[0];
      const doc = (await s.server.dbs.medic.get(created?.doc_id as string)) as unknown as {
        tasks: Array<{ messages: Array<{ message: string; original_message?: string }> }>;
      };
      const msg = doc.tasks[0]?.messages[0];
      expect(msg?.message.endsWith('...')).to.equal(true);
      expect(msg?.message.length).to.be.below(long.length);
      expect(msg?.original_message).to.equal(long);
      await api(s.server, 'PUT', '/api/v1/settings', { multipart_sms_limit: 10 });
    });

    it('404 for an unknown message id; 400 for a bad list query', async function () {
      expect((await api(s.server, 'GET', '/api/v1/messages/nope')).status).to.equal(404);
      const res = await api(s.server, 'GET', '/api/v1/messages?state=bogus');
      expect(res.status).to.equal(400);
      expect((res.body as { error: string }).error).to.contain('state');
    });
  });
});
