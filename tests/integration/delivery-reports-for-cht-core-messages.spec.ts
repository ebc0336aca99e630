/**
 * A delivery report for a message CHT-core itself sent (on a shared CouchDB, or before this server
 * ran): the task carries the `gateway_ref` but there is no `sms-gateway-ref:` index entry, so the
 * reference is found through CHT's `medic-sms/messages_by_gateway_ref` view and the report applied.
 */
import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { INCOMING_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';
import { eventually } from '../helpers/test-server.js';

describe('delivery reports for messages CHT-core sent', function () {
  this.timeout(30_000);
  let rig: AtRig | undefined;
  afterEach(async function () {
    await rig?.stop();
    rig = undefined;
  });

  it('applies a delivery report for a message CHT-core sent (gateway_ref on the task, no index entry)', async function () {
    rig = await startAtRig();
    const uuid = uuidv7();
    const doc = {
      _id: uuidv7(),
      type: 'data_record',
      reported_date: Date.now(),
      tasks: [{ state: 'sent', gateway_ref: 'ATXid_from_cht_core_0001', state_history: [{ state: 'sent', timestamp: new Date().toISOString() }], messages: [{ uuid, to: '+254711900001', message: 'sent by CHT-core' }] }],
    };
    await rig.server.dbs.medic.put(doc);
    const res = await fetch(`${rig.server.url}/api/v1/sms/africastalking/delivery-reports?key=${INCOMING_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=ATXid_from_cht_core_0001&status=Success&phoneNumber=%2B254711900001',
    });
    expect(await res.json()).to.deep.equal({ saved: 1 });
    const r = rig;
    await eventually(async () => (await r.message(uuid)).state === 'delivered', 5_000);
  });
});
