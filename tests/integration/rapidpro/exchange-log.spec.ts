/**
 * RapidPro's exchanges in the core's exchange log (GET /api/v1/sms/exchanges, and each message's
 * own on GET /api/v1/messages/<id>), on both stores: the broadcast request listed with every
 * message it carried, the status poll's requests and the flow's webhook under the service, and
 * neither token anywhere in the store or the logs.
 */
import { expect } from 'chai';
import type { ExchangeView } from '../../../api/src/observability/exchanges.js';
import { startPouchDbServer, type CouchServer } from '../../helpers/pouchdb-server.js';
import { RP_INCOMING, RP_TOKEN, startRapidProRig, type RapidProRig } from '../../helpers/rapidpro-setup.js';
import { api, eventually, type TestServerOptions } from '../../helpers/test-server.js';

const TEXT = 'rapidpro exchange text 7Q1';
const kindOf = (e: ExchangeView): string =>
  `${e.direction} ${e.method} ${e.url.split('?')[0]?.replace(/^https?:\/\/[^/]+/, '')}`;

describe('RapidPro in the exchange log', function () {
  let couch: CouchServer;
  before(async () => {
    couch = await startPouchDbServer();
  });
  after(() => couch?.close());

  for (const kind of ['embedded', 'couchdb'] as const) {
    describe(kind === 'embedded' ? 'embedded store' : 'CouchDB over HTTP (pouchdb-server)', function () {
      const storage = (): NonNullable<TestServerOptions['storage']> =>
        kind === 'embedded' ? { kind } : { kind, couch };
      let rig: RapidProRig;
      let ids: string[];
      let exchanges: ExchangeView[];
      before(async () => {
        rig = await startRapidProRig({ server: { storage: storage() } });
        ids = await rig.send([
          { to: '+254711000301', message: TEXT },
          { to: '+254711000302', message: TEXT },
        ]);
        await eventually(async () =>
          (await Promise.all(ids.map((id) => rig.message(id)))).every((m) => m.gateway_ref !== null),
        );
        rig.sim.advance({ steps: 3 });
        await rig.poll();
        await rig.sim.injectIncoming({ from: '+254711000303', text: `${TEXT} incoming` });
        await rig.server.exchanges.flush();
        exchanges = (
          (await api(rig.server, 'GET', '/api/v1/sms/exchanges?limit=1000')).body as { exchanges: ExchangeView[] }
        ).exchanges;
      });
      after(() => rig.stop());

      it('the broadcast: one exchange, service rapidpro, bodies kept, listed with each message', async () => {
        const sends = exchanges.filter((e) => kindOf(e) === 'outgoing POST /api/v2/broadcasts.json');
        expect(sends).to.have.length(1);
        expect(sends[0]).to.include({ service: 'rapidpro', status: 201 });
        expect(sends[0]?.request_body).to.include(TEXT);
        expect(sends[0]?.response_body).to.include('"status":"queued"');
        expect([...(sends[0]?.message_ids ?? [])].sort()).to.deep.equal([...ids].sort());
        for (const id of ids) {
          const view = (await api(rig.server, 'GET', `/api/v1/messages/${id}`)).body as { exchanges?: ExchangeView[] };
          expect(view.exchanges?.map(kindOf)).to.include('outgoing POST /api/v2/broadcasts.json');
        }
      });

      it('the status poll and the flow webhook are recorded under the service', () => {
        const poll = exchanges.find((e) => kindOf(e) === 'outgoing GET /api/v2/messages.json');
        expect(poll).to.include({ service: 'rapidpro', status: 200 });
        expect(poll?.response_body).to.include('"delivered"');
        const incoming = exchanges.find((e) => kindOf(e) === 'incoming POST /api/v2/sms/rapidpro/incoming-messages');
        expect(incoming).to.include({ service: 'rapidpro', status: 200 });
      });

      it('no token in the store or the logs', async () => {
        const medic = await rig.server.dbs.medic.allDocs({ include_docs: true });
        const vault = await rig.server.dbs.vault.allDocs({ include_docs: true });
        const store = JSON.stringify([medic.rows, vault.rows]);
        for (const secret of [RP_TOKEN, RP_INCOMING]) {
          expect(store, 'store').to.not.include(secret);
          expect(rig.server.logs(), 'logs').to.not.include(secret);
        }
      });
    });
  }
});
