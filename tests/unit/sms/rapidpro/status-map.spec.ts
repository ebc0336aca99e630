/**
 * RapidPro's message statuses → CHT states, one row per status (https://rapidpro.io/api/v2/,
 * messages `status`), as CHT maps them
 * (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js, STATUS_MAP), and
 * what happens to a status we do not know.
 */
import { expect } from 'chai';
import {
  FINAL_STATUSES,
  STATUS_STATE,
  statusDetails,
  statusState,
  type RapidProStatus,
} from '../../../../api/src/sms/services/rapidpro/status-map.js';
import type { MessageState } from '../../../../shared-libs/task-utils/types.js';

const ROWS: Array<{ status: RapidProStatus; state: MessageState; details: string; final: boolean }> = [
  { status: 'queued', state: 'received-by-gateway', details: 'Queued', final: false },
  { status: 'wired', state: 'forwarded-by-gateway', details: 'Wired', final: false },
  { status: 'sent', state: 'sent', details: 'Sent', final: false },
  { status: 'resent', state: 'sent', details: 'Resent', final: false },
  { status: 'delivered', state: 'delivered', details: 'Delivered', final: true },
  { status: 'errored', state: 'received-by-gateway', details: 'Errored', final: false },
  { status: 'failed', state: 'failed', details: 'Failed', final: true },
];

describe('RapidPro status map', function () {
  for (const row of ROWS) {
    it(`${row.status} → ${row.state} ("${row.details}")${row.final ? ', polling stops' : ''}`, function () {
      expect(statusState(row.status)).to.equal(row.state);
      expect(statusDetails(row.status)).to.equal(row.details);
      expect(FINAL_STATUSES.has(row.status)).to.equal(row.final);
    });
  }

  it('has a row for every status in the table, and no other', function () {
    expect(Object.keys(STATUS_STATE).sort()).to.deep.equal(ROWS.map((r) => r.status).sort());
  });

  for (const unknown of ['handled', 'pending', 'Delivered', '', 'constructor', '__proto__']) {
    it(`unknown status ${JSON.stringify(unknown)}: no state (recorded, not applied), not final`, function () {
      expect(statusState(unknown)).to.equal(undefined);
      expect(statusDetails(unknown)).to.equal(`Unknown RapidPro status "${unknown}"`);
      expect(FINAL_STATUSES.has(unknown)).to.equal(false);
    });
  }
});
