/**
 * The core's list of messages awaiting a status for services that poll for statuses
 * (api/src/reports/awaiting-status.ts, `SmsCore.awaitingStatus` / `stopAwaiting`), on both stores:
 * ordered by when the message was sent, ranges by time and key, one service never sees or
 * removes another's entries, writes are idempotent.
 */
import { expect } from 'chai';
import { AwaitingStatusIndex } from '../../../api/src/reports/awaiting-status.js';
import { onEachStore } from '../../helpers/stores.js';

const at = (min: number): Date => new Date(Date.UTC(2026, 0, 1, 0, min));

describe('core: messages awaiting a status (polling services)', function () {
  onEachStore((s) => {
    let index: AwaitingStatusIndex;
    before(async () => {
      index = new AwaitingStatusIndex(s.server.dbs.medic);
      await index.record('poller', [{ ref: '30', docId: 'd30', uuid: 'u30' }], at(30));
      await index.record(
        'poller',
        [
          { ref: '10:tel:+2541', docId: 'd10a', uuid: 'u10a' },
          { ref: '10:tel:+2542', docId: 'd10b', uuid: 'u10b' },
        ],
        at(10),
      );
      await index.record('poller', [{ ref: '20', docId: 'd20', uuid: 'u20' }], at(20));
      await index.record('other', [{ ref: '15', docId: 'd15', uuid: 'u15' }], at(15));
    });

    it("lists a service's entries oldest first, with ref, message uuid and send time", async () => {
      const all = await index.list('poller', { limit: 10 });
      expect(all.map((e) => [e.gatewayRef, e.messageId, e.since])).to.deep.equal([
        ['10:tel:+2541', 'u10a', at(10).toISOString()],
        ['10:tel:+2542', 'u10b', at(10).toISOString()],
        ['20', 'u20', at(20).toISOString()],
        ['30', 'u30', at(30).toISOString()],
      ]);
    });

    it('sentAfter, startAfter and limit page through it', async () => {
      expect(
        (await index.list('poller', { limit: 10, sentAfter: at(20).toISOString() })).map((e) => e.gatewayRef),
      ).to.deep.equal(['20', '30']);
      const first = await index.list('poller', { limit: 2 });
      const rest = await index.list('poller', { limit: 10, startAfter: first.at(-1)?.key });
      expect([...first, ...rest].map((e) => e.gatewayRef)).to.deep.equal(['10:tel:+2541', '10:tel:+2542', '20', '30']);
      // startAfter before sentAfter: sentAfter wins.
      expect(
        (await index.list('poller', { limit: 10, startAfter: first[0]?.key, sentAfter: at(25).toISOString() })).map(
          (e) => e.gatewayRef,
        ),
      ).to.deep.equal(['30']);
    });

    it('recording the same entry again is harmless', async () => {
      await index.record('poller', [{ ref: '20', docId: 'd20', uuid: 'u20' }], at(20));
      expect(await index.list('poller', { limit: 10 })).to.have.length(4);
    });

    it("stopAwaiting removes the service's own entries only", async () => {
      const other = await index.list('other', { limit: 10 });
      const mine = await index.list('poller', { limit: 10 });
      await index.remove('poller', [
        mine[2]?.key as string,
        other[0]?.key as string,
        'sms-awaiting:poller:nonexistent',
      ]);
      expect((await index.list('poller', { limit: 10 })).map((e) => e.gatewayRef)).to.deep.equal([
        '10:tel:+2541',
        '10:tel:+2542',
        '30',
      ]);
      expect(await index.list('other', { limit: 10 })).to.have.length(1);
      await index.remove('poller', [mine[2]?.key as string]);
    });
  });
});
