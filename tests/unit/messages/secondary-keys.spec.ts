/**
 * Matching arrivals through a secondary key (messages/secondary-keys.ts): a retry is the same
 * message, the other way in pairs with a stored message lacking that way, equal content from one
 * way stays distinct.
 */
import { expect } from 'chai';
import { matchEntry, secondaryKeyDocId, type KeyDoc } from '../../../api/src/messages/secondary-keys.js';

type Arrival = [source: string, gatewayId: string, expectedRef: string, changed: boolean];

const rows: Array<{ name: string; arrivals: Arrival[] }> = [
  {
    name: 'callback then inbox copy: one record',
    arrivals: [
      ['callback', 'u1', 'u1', true],
      ['inbox', '7', 'u1', true],
    ],
  },
  {
    name: 'inbox then callback copy: one record',
    arrivals: [
      ['inbox', '7', '7', true],
      ['callback', 'u1', '7', true],
    ],
  },
  {
    name: 'a retry of either way changes nothing',
    arrivals: [
      ['callback', 'u1', 'u1', true],
      ['callback', 'u1', 'u1', false],
      ['inbox', '7', 'u1', true],
      ['inbox', '7', 'u1', false],
    ],
  },
  {
    name: 'equal content sent twice stays two records, each paired once',
    arrivals: [
      ['callback', 'u1', 'u1', true],
      ['callback', 'u2', 'u2', true],
      ['inbox', '7', 'u1', true],
      ['inbox', '8', 'u2', true],
      ['inbox', '9', '9', true],
    ],
  },
  {
    name: 'same id both ways (integer callback ids)',
    arrivals: [
      ['callback', '7', '7', true],
      ['inbox', '7', '7', true],
    ],
  },
];

describe('secondary dedupe keys', function () {
  for (const row of rows) {
    it(row.name, function () {
      const doc: KeyDoc = { _id: secondaryKeyDocId('k'), type: 'sms_incoming_key', entries: [] };
      for (const [source, id, ref, changed] of row.arrivals) {
        expect(matchEntry(doc, id, source), `${source} ${id}`).to.deep.equal({ gatewayRef: ref, changed });
      }
    });
  }

  it('names key docs by a hash of the key (no content in the id)', function () {
    const id = secondaryKeyDocId('["254711000001","20414","REG 1","2025-01-01T00:00:00.000Z"]');
    expect(id).to.match(/^sms-in-key:[0-9a-f]{64}$/);
    expect(secondaryKeyDocId('a')).to.not.equal(secondaryKeyDocId('b'));
  });
});
