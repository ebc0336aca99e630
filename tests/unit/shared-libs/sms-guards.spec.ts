import { expect } from 'chai';
import {
  denyReason,
  isOptedOut,
  isOutgoingAllowed,
  optOutKey,
  type OutgoingDenySettings,
} from '../../../shared-libs/sms-guards/index.js';

type DenyRow = [setting: unknown, to: string | null | undefined, reason: string | null];

/** Runs rows against one setting; `reason` null = allowed. */
function denyRows(key: keyof OutgoingDenySettings, rows: DenyRow[]): void {
  for (const [setting, to, reason] of rows) {
    it(`${JSON.stringify(setting)} / ${JSON.stringify(to)} → ${reason ?? 'allowed'}`, () => {
      const settings = { [key]: setting } as OutgoingDenySettings;
      expect(denyReason(to, settings)).to.equal(reason);
      expect(isOutgoingAllowed(to, settings)).to.equal(reason === null);
    });
  }
}

const listReason = (prefix: string): string => `recipient matches outgoing_deny_list prefix '${prefix}'`;
const shortReason = (length: number, minimum: number): string =>
  `recipient has ${length} characters, fewer than outgoing_deny_shorter_than (${minimum})`;
const ALPHAS = 'recipient contains letters (outgoing_deny_with_alphas)';

describe('shared-libs/sms-guards', () => {
  // Rows from cht-core shared-libs/transitions/test/unit/messages.js (isOutgoingAllowed).
  describe('denyReason: outgoing_deny_list', () => {
    denyRows('outgoing_deny_list', [
      ['+123', '+123', listReason('+123')],
      ['+123', '+123999999', listReason('+123')],
      ['SAFARI', 'SAFARICOM', listReason('SAFARI')],
      [' SAFARI', 'SAFARICOM', listReason('SAFARI')],
      ['SAFARI', ' SAFARICOM', listReason('SAFARI')],
      ['Safari', 'SAFARICOM', listReason('Safari')],
      ['+123,+456,+789', '+456', listReason('+456')],
      ['+123,+456,+789', '+4569999999', listReason('+456')],
      ['SAFARI, ORANGE', 'ORANGE NET', listReason('ORANGE')],
      ['0', '0000123', listReason('0')],
      ['0', '0', listReason('0')],
      ['1, , 2', '234', listReason('2')],
      ['+2547, +2541', '+254712345678', listReason('+2547')],
      ['+123', '+999', null],
      ['SAFARI, ORANGE NET', 'ORANGE', null],
      ['VIVO', 'EM VIVO', null],
      ['0', '-1', null],
      ['snarf', undefined, null],
      ['snarf', null, null],
      ['', '+123', null],
      ['', '', null],
      [',', '', null],
      [',', '+123', null],
      [undefined, '', null],
      [null, '+123', null],
    ]);
  });

  describe('denyReason: outgoing_deny_with_alphas', () => {
    denyRows('outgoing_deny_with_alphas', [
      [true, 'ORANGE', ALPHAS],
      [true, 'orange', ALPHAS],
      [true, '+23x', ALPHAS],
      [true, '+123', null],
      [true, '', null],
      [false, 'ORANGE', null],
      ['true', 'ORANGE', null],
      ['', 'ORANGE', null],
      [undefined, 'ORANGE', null],
      [null, 'ORANGE', null],
    ]);
  });

  describe('denyReason: outgoing_deny_shorter_than', () => {
    denyRows('outgoing_deny_shorter_than', [
      [5, '+123', shortReason(4, 5)],
      ['5', '+123', shortReason(4, 5)],
      ['5', 'ABCD', shortReason(4, 5)],
      ['5', ' ABCD ', shortReason(4, 5)],
      ['5.9', 'ABCD', shortReason(4, 5)],
      [5.9, 'ABCD', shortReason(4, 5)],
      [6, '20414', shortReason(5, 6)],
      [0, '+123', null],
      ['5', '12345', null],
      ['5.9', 'ABCDE', null],
      ['true', '+123', null],
      ['', '+123', null],
      [' ', '+123', null],
      [-3, '+123', null],
      [undefined, '+123', null],
      [null, '+123', null],
    ]);
  });

  describe('denyReason: gateway number and rule order', () => {
    const rows: Array<{ name: string; to: string; settings: OutgoingDenySettings; reason: string | null }> = [
      {
        name: "the gateway's own number",
        to: '+254700000000',
        settings: { gateway_number: '+254700000000' },
        reason: "recipient is the gateway's own number (gateway_number)",
      },
      {
        name: 'the gateway number written without the calling code',
        to: '+41446681800',
        settings: { gateway_number: '446681800' },
        reason: "recipient is the gateway's own number (gateway_number)",
      },
      { name: 'another number', to: '+254700000001', settings: { gateway_number: '+254700000000' }, reason: null },
      {
        name: 'length is checked before letters and the list (CHT order)',
        to: 'ORANGE',
        settings: { outgoing_deny_shorter_than: 10, outgoing_deny_with_alphas: true, outgoing_deny_list: 'OR' },
        reason: shortReason(6, 10),
      },
      {
        name: 'letters are checked before the list',
        to: 'ORANGE',
        settings: { outgoing_deny_with_alphas: true, outgoing_deny_list: 'OR' },
        reason: ALPHAS,
      },
      {
        name: 'a normal number passes every rule',
        to: '+254712345678',
        settings: {
          outgoing_deny_shorter_than: 6,
          outgoing_deny_with_alphas: true,
          outgoing_deny_list: '+2541, SAFARI',
          gateway_number: '+254700000000',
        },
        reason: null,
      },
      { name: 'no settings allow everything', to: 'X', settings: {}, reason: null },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(denyReason(row.to, row.settings)).to.equal(row.reason);
      });
    }

    it('reasons never contain the number', () => {
      const to = '+254712345678';
      const reason = denyReason(to, { outgoing_deny_list: '+2547', outgoing_deny_shorter_than: 20 });
      expect(reason).to.be.a('string').and.not.include(to);
    });
  });

  describe('optOutKey', () => {
    const rows: Array<{ name: string; number: string; sender?: string | null; key: string }> = [
      { name: 'number and sender id', number: '+254712345678', sender: 'MOH_KE', key: '+254712345678|MOH_KE' },
      { name: 'sender id keeps its case', number: '+254712345678', sender: 'MoH', key: '+254712345678|MoH' },
      { name: 'sender id is trimmed', number: '+254712345678', sender: '  MOH  ', key: '+254712345678|MOH' },
      { name: 'number is trimmed only', number: ' +254712345678 ', sender: 'MOH', key: '+254712345678|MOH' },
      { name: 'no sender id: every sender', number: '+254712345678', key: '+254712345678|*' },
      { name: 'null sender id: every sender', number: '+254712345678', sender: null, key: '+254712345678|*' },
      { name: 'blank sender id: every sender', number: '+254712345678', sender: '   ', key: '+254712345678|*' },
      { name: 'short code sender', number: '+254712345678', sender: '20414', key: '+254712345678|20414' },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(optOutKey(row.number, row.sender)).to.equal(row.key);
      });
    }
  });

  describe('isOptedOut', () => {
    const list = [optOutKey('+254700000001', 'MOH'), optOutKey('+254700000002')];
    const rows: Array<{ name: string; number: string; sender?: string; expected: boolean }> = [
      { name: 'opted out of this sender', number: '+254700000001', sender: 'MOH', expected: true },
      { name: 'opted out of another sender only', number: '+254700000001', sender: 'CLINIC', expected: false },
      { name: 'sender ids are case-sensitive', number: '+254700000001', sender: 'moh', expected: false },
      { name: 'sender-specific entry does not cover the default sender', number: '+254700000001', expected: false },
      { name: "'*' entry covers a named sender", number: '+254700000002', sender: 'MOH', expected: true },
      { name: "'*' entry covers the default sender", number: '+254700000002', expected: true },
      { name: 'number not in the list', number: '+254700000003', sender: 'MOH', expected: false },
    ];
    for (const row of rows) {
      it(`${row.name} (array)`, () => {
        expect(isOptedOut(list, row.number, row.sender)).to.equal(row.expected);
      });
      it(`${row.name} (set)`, () => {
        expect(isOptedOut(new Set(list), row.number, row.sender)).to.equal(row.expected);
      });
    }
  });
});
