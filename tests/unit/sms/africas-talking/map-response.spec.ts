/**
 * Table-driven: AT's 201 body → one outcome per message
 * (https://developers.africastalking.com/docs/sms/sending/bulk). Every per-recipient statusCode AT
 * documents there has a named row, plus the request-level and malformed bodies. The same codes go
 * over real HTTP in send-group.spec.ts. Rows marked "CHT service spec" port
 * https://github.com/medic/cht-core/blob/master/api/tests/mocha/services/africas-talking.spec.js.
 */
import { expect } from 'chai';
import { SEND_STATUS_CODES, sendCodePolicy } from '../../../../api/src/sms/services/africas-talking/status-map.js';
import { mapResponse } from '../../../../api/src/sms/services/africas-talking/sender.js';
import type { OutboundMessage, SendOutcome } from '../../../../api/src/sms/types.js';
import type { MessageState } from '../../../../shared-libs/task-utils/types.js';

const ONE: OutboundMessage[] = [{ id: 'm1', to: '+254711000001', content: 'hello' }];
const REF = 'ATXid_081365ccc485678b5c0413e1795ab53e';

interface Recipient {
  statusCode: number;
  number: string;
  status: string;
  cost: string;
  messageId: string;
  messageParts?: number;
}

/** AT's shape, keys in AT's (alphabetical) order. */
function body(
  recipients: Recipient[],
  message = `Sent to ${recipients.length}/${recipients.length} Total Cost: KES 0.8000`,
): string {
  return JSON.stringify({ SMSMessageData: { Message: message, Recipients: recipients } });
}

function accepted(code: number, number = '+254711000001', messageId = REF): Recipient {
  return { cost: 'KES 0.8000', messageId, messageParts: 1, number, status: 'Success', statusCode: code };
}

function refused(code: number, status: string, number = '+254711000001'): Recipient {
  return { cost: '0', messageId: 'None', number, status, statusCode: code };
}

type Expect =
  | { ok: true; state: MessageState; gatewayRef?: string; details: string; cost?: string; parts?: number }
  | {
      ok: false;
      kind: 'final' | 'retryable' | 'account';
      code: string;
      state?: MessageState;
      message?: string | RegExp;
    };

function check(o: SendOutcome | undefined, want: Expect): void {
  expect(o, 'outcome').to.not.equal(undefined);
  if (!o) return;
  expect(o.ok).to.equal(want.ok);
  if (o.ok && want.ok) {
    expect(o.state).to.equal(want.state);
    expect(o.details).to.equal(want.details);
    expect(o.gatewayRef).to.equal(want.gatewayRef);
    expect(o.cost).to.equal(want.cost);
    expect(o.parts).to.equal(want.parts);
    expect(o.gatewayRef).to.not.equal('None');
  } else if (!o.ok && !want.ok) {
    expect(o.error.kind).to.equal(want.kind);
    expect(o.error.code).to.equal(want.code);
    if (want.state) expect(o.error.state).to.equal(want.state);
    if (typeof want.message === 'string') expect(o.error.message).to.equal(want.message);
    if (want.message instanceof RegExp) expect(o.error.message).to.match(want.message);
  }
}

interface Row {
  name: string;
  body: string;
  want: Expect;
}

const perRecipient: Row[] = [
  // Accepted: state per api/src/sms/services/africas-talking/status-map.ts, gateway_ref = messageId,
  // cost and parts kept.
  {
    name: '100 Processed → forwarded-by-gateway',
    body: body([accepted(100)]),
    want: {
      ok: true,
      state: 'forwarded-by-gateway',
      gatewayRef: REF,
      details: 'Processed',
      cost: 'KES 0.8000',
      parts: 1,
    },
  },
  {
    name: '101 Sent → sent (CHT service spec)',
    body: body([accepted(101)]),
    want: { ok: true, state: 'sent', gatewayRef: REF, details: 'Sent', cost: 'KES 0.8000', parts: 1 },
  },
  {
    name: '102 Queued → received-by-gateway',
    body: body([accepted(102)]),
    want: { ok: true, state: 'received-by-gateway', gatewayRef: REF, details: 'Queued', cost: 'KES 0.8000', parts: 1 },
  },
  {
    name: '101 with messageParts 3 and TZS cost → both kept',
    body: body([{ ...accepted(101), cost: 'TZS 132.0000', messageParts: 3 }]),
    want: { ok: true, state: 'sent', gatewayRef: REF, details: 'Sent', cost: 'TZS 132.0000', parts: 3 },
  },
  {
    name: '101 without messageParts (SDK fixtures) → no parts, still sent',
    body: body([
      {
        cost: 'KES 1.00',
        messageId: 'ATPid_SampleTxnId123',
        number: '+254711000001',
        status: 'Success',
        statusCode: 101,
      },
    ]),
    want: { ok: true, state: 'sent', gatewayRef: 'ATPid_SampleTxnId123', details: 'Sent', cost: 'KES 1.00' },
  },
  {
    name: 'accepted with messageId "None" → no gateway_ref (never the string "None")',
    body: body([accepted(101, '+254711000001', 'None')]),
    want: { ok: true, state: 'sent', details: 'Sent', cost: 'KES 0.8000', parts: 1 },
  },
  // Final failures: the message fails now, details = AT's status name.
  {
    name: '401 RiskHold → failed',
    body: body([refused(401, 'RiskHold')]),
    want: { ok: false, kind: 'final', code: '401', state: 'failed', message: 'RiskHold' },
  },
  {
    name: '403 InvalidPhoneNumber → failed (CHT service spec, message b)',
    body: body([refused(403, 'InvalidPhoneNumber')]),
    want: { ok: false, kind: 'final', code: '403', state: 'failed', message: 'InvalidPhoneNumber' },
  },
  {
    name: '404 UnsupportedNumberType → failed',
    body: body([refused(404, 'UnsupportedNumberType')]),
    want: { ok: false, kind: 'final', code: '404', state: 'failed', message: 'UnsupportedNumberType' },
  },
  {
    name: '406 UserInBlacklist → denied',
    body: body([refused(406, 'UserInBlacklist')]),
    want: { ok: false, kind: 'final', code: '406', state: 'denied', message: 'UserInBlacklist' },
  },
  {
    name: '407 CouldNotRoute → failed',
    body: body([refused(407, 'CouldNotRoute')]),
    want: { ok: false, kind: 'final', code: '407', state: 'failed', message: 'CouldNotRoute' },
  },
  {
    name: '409 DoNotDisturbRejection → failed',
    body: body([refused(409, 'DoNotDisturbRejection')]),
    want: { ok: false, kind: 'final', code: '409', state: 'failed', message: 'DoNotDisturbRejection' },
  },
  // Account-level: the channel pauses (CHT retried each message forever).
  {
    name: '402 InvalidSenderId → account',
    body: body([refused(402, 'InvalidSenderId')]),
    want: { ok: false, kind: 'account', code: '402', message: 'InvalidSenderId' },
  },
  {
    name: '405 InsufficientBalance → account',
    body: body([refused(405, 'InsufficientBalance')]),
    want: { ok: false, kind: 'account', code: '405', message: 'InsufficientBalance' },
  },
  // Transient: retried with backoff (CHT service spec, message c: 500 left for retry).
  {
    name: '500 InternalServerError → retryable',
    body: body([refused(500, 'InternalServerError')]),
    want: { ok: false, kind: 'retryable', code: '500', message: 'InternalServerError' },
  },
  {
    name: '501 GatewayError → retryable',
    body: body([refused(501, 'GatewayError')]),
    want: { ok: false, kind: 'retryable', code: '501', message: 'GatewayError' },
  },
  {
    name: '502 RejectedByGateway → retryable',
    body: body([refused(502, 'RejectedByGateway')]),
    want: { ok: false, kind: 'retryable', code: '502', message: 'RejectedByGateway' },
  },
  {
    name: 'unknown code 999 → retryable (bounded), AT status name kept',
    body: body([refused(999, 'SomethingNew')]),
    want: { ok: false, kind: 'retryable', code: '999', message: 'SomethingNew' },
  },
  {
    name: 'unknown code without a status name → retryable, named UnknownStatusCode',
    body: JSON.stringify({
      SMSMessageData: { Message: 'x', Recipients: [{ number: '+254711000001', statusCode: 123 }] },
    }),
    want: { ok: false, kind: 'retryable', code: '123', message: 'UnknownStatusCode123' },
  },
  // Request-level answers inside a 2xx: an empty Recipients with the error in Message
  // (https://github.com/medic/medic-docs/pull/112).
  {
    name: "empty Recipients with Message 'InvalidSenderId' → account",
    body: body([], 'InvalidSenderId'),
    want: { ok: false, kind: 'account', code: 'InvalidSenderId', message: /InvalidSenderId/ },
  },
  {
    name: "empty Recipients with Message 'InsufficientBalance' → account",
    body: body([], 'InsufficientBalance'),
    want: { ok: false, kind: 'account', code: 'InsufficientBalance' },
  },
  {
    name: 'empty Recipients with another Message → retryable',
    body: body([], 'Sent to 0/1 Total Cost: 0'),
    want: { ok: false, kind: 'retryable', code: 'no_recipients', message: /Sent to 0\/1/ },
  },
  {
    name: 'SMSMessageData without Recipients → retryable',
    body: JSON.stringify({ SMSMessageData: { Message: 'odd' } }),
    want: { ok: false, kind: 'retryable', code: 'no_recipients' },
  },
  { name: 'JSON null → retryable', body: 'null', want: { ok: false, kind: 'retryable', code: 'no_recipients' } },
  {
    name: 'Recipients holding null next to a real entry → no throw, the real entry is used',
    body: JSON.stringify({ SMSMessageData: { Message: 'x', Recipients: [null, accepted(101)] } }),
    want: { ok: true, state: 'sent', gatewayRef: REF, details: 'Sent', cost: 'KES 0.8000', parts: 1 },
  },
  {
    name: 'Recipients holding only null → retryable no_recipients (no throw)',
    body: '{"SMSMessageData":{"Message":"x","Recipients":[null]}}',
    want: { ok: false, kind: 'retryable', code: 'no_recipients' },
  },
  {
    name: 'non-JSON body → retryable unparseable_response',
    body: '<html>Bad gateway</html>',
    want: { ok: false, kind: 'retryable', code: 'unparseable_response', message: /not JSON/ },
  },
  {
    name: 'empty body → retryable unparseable_response',
    body: '',
    want: { ok: false, kind: 'retryable', code: 'unparseable_response' },
  },
  {
    name: 'single message, AT echoes the number in another format → matched anyway',
    body: body([accepted(101, '254711000001')]),
    want: { ok: true, state: 'sent', gatewayRef: REF, details: 'Sent', cost: 'KES 0.8000', parts: 1 },
  },
];

describe('africas-talking mapResponse (send response → outcome)', () => {
  describe('one recipient', () => {
    for (const row of perRecipient) {
      it(row.name, () => {
        const out = mapResponse(ONE, row.body);
        expect(out).to.have.length(1);
        expect(out[0]?.id).to.equal('m1');
        check(out[0], row.want);
      });
    }
  });

  describe('several recipients (matched by number, never by position)', () => {
    const batch: OutboundMessage[] = [
      { id: 'a', to: '+254711000001', content: 'hi' },
      { id: 'b', to: '+254711000002', content: 'hi' },
      { id: 'c', to: '+254711000003', content: 'hi' },
    ];

    it('answers in a different order → each outcome on its own message', () => {
      const out = mapResponse(
        batch,
        body([
          refused(403, 'InvalidPhoneNumber', '+254711000003'),
          accepted(101, '+254711000001', 'ATXid_a'),
          refused(500, 'InternalServerError', '+254711000002'),
        ]),
      );
      expect(out.map((o) => o.id)).to.deep.equal(['a', 'b', 'c']);
      check(out[0], { ok: true, state: 'sent', gatewayRef: 'ATXid_a', details: 'Sent', cost: 'KES 0.8000', parts: 1 });
      check(out[1], { ok: false, kind: 'retryable', code: '500' });
      check(out[2], { ok: false, kind: 'final', code: '403', state: 'failed', message: 'InvalidPhoneNumber' });
    });

    it('a recipient missing from the answer → retryable missing_recipient for that one only', () => {
      const out = mapResponse(
        batch,
        body([accepted(101, '+254711000001', 'ATXid_a'), accepted(102, '+254711000003', 'ATXid_c')]),
      );
      check(out[0], { ok: true, state: 'sent', gatewayRef: 'ATXid_a', details: 'Sent', cost: 'KES 0.8000', parts: 1 });
      check(out[1], { ok: false, kind: 'retryable', code: 'missing_recipient' });
      check(out[2], {
        ok: true,
        state: 'received-by-gateway',
        gatewayRef: 'ATXid_c',
        details: 'Queued',
        cost: 'KES 0.8000',
        parts: 1,
      });
    });

    it('spaces in the returned number are ignored when matching', () => {
      const out = mapResponse(
        batch.slice(0, 2),
        body([accepted(101, '+254 711 000 002', 'ATXid_b'), accepted(101, '+254 711 000 001', 'ATXid_a')]),
      );
      expect(out.map((o) => (o.ok ? o.gatewayRef : undefined))).to.deep.equal(['ATXid_a', 'ATXid_b']);
    });

    it('numbers stored in local format, AT echoes E.164 in another order → matched by the last 9 digits', () => {
      const local = [
        { id: 'a', to: '0711000001', content: 'hi' },
        { id: 'b', to: '0711000002', content: 'hi' },
      ];
      const out = mapResponse(
        local,
        body([accepted(101, '+254711000002', 'ATXid_b'), refused(406, 'UserInBlacklist', '+254711000001')]),
      );
      check(out[0], { ok: false, kind: 'final', code: '406', state: 'denied', message: 'UserInBlacklist' });
      check(out[1], { ok: true, state: 'sent', gatewayRef: 'ATXid_b', details: 'Sent', cost: 'KES 0.8000', parts: 1 });
    });

    it('two entries share the last 9 digits → ambiguous, that message is missing_recipient (not guessed)', () => {
      const local = [
        { id: 'a', to: '0711000001', content: 'hi' },
        { id: 'b', to: '0711000002', content: 'hi' },
      ];
      const out = mapResponse(
        local,
        body([
          accepted(101, '+254711000001', 'ATXid_1'),
          accepted(101, '+255711000001', 'ATXid_2'),
          accepted(101, '+254711000002', 'ATXid_b'),
        ]),
      );
      check(out[0], { ok: false, kind: 'retryable', code: 'missing_recipient' });
      check(out[1], { ok: true, state: 'sent', gatewayRef: 'ATXid_b', details: 'Sent', cost: 'KES 0.8000', parts: 1 });
    });

    it("empty Recipients with 'InvalidSenderId' → every message gets the account error", () => {
      const out = mapResponse(batch, body([], 'InvalidSenderId'));
      expect(out.map((o) => (o.ok ? 'ok' : o.error.kind))).to.deep.equal(['account', 'account', 'account']);
    });
  });

  describe('status table', () => {
    it('covers exactly the codes AT documents', () => {
      expect(
        Object.keys(SEND_STATUS_CODES)
          .map(Number)
          .sort((x, y) => x - y),
      ).to.deep.equal([100, 101, 102, 401, 402, 403, 404, 405, 406, 407, 409, 500, 501, 502]);
    });
    it('unknown codes default to retryable', () => {
      expect(sendCodePolicy(408).kind).to.equal('retryable');
    });
  });
});
