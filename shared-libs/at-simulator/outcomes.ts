/**
 * Per-recipient outcomes of a send (https://developers.africastalking.com/docs/sms/sending/bulk) and the
 * delivery-report sequence that follows an accepted one (https://developers.africastalking.com/docs/sms/notifications).
 * Test behaviour is chosen by the number's last three digits ("magic numbers", table in README.md).
 */
import type { AcceptCode, RecipientResult, ReportStatus } from './types.js';

/** What the simulator treats as a valid number: E.164 with the plus. */
export const VALID_NUMBER = /^\+\d{9,15}$/;

/** Amounts are kept in 1/10000 units so sums print exactly with the 4 decimals of live responses. */
export const COST_UNITS_PER_PART = 8000;

/** A send cost as AT prints it: `<currency> <amount with 4 decimals>`, e.g. `KES 0.8000`. */
export const formatCost = (currency: string, units: number): string => `${currency} ${(units / 10_000).toFixed(4)}`;

/** Refusal codes and their `status` names, exactly as AT spells them. */
export const REFUSAL_NAMES: Readonly<Record<number, string>> = {
  401: 'RiskHold',
  402: 'InvalidSenderId',
  403: 'InvalidPhoneNumber',
  404: 'UnsupportedNumberType',
  405: 'InsufficientBalance',
  406: 'UserInBlacklist',
  407: 'CouldNotRoute',
  409: 'DoNotDisturbRejection',
  500: 'InternalServerError',
  501: 'GatewayError',
  502: 'RejectedByGateway',
};

/** Last three digits that are refused with the code of the same number. */
const MAGIC_REFUSALS = new Set(['401', '402', '403', '404', '405', '406', '407', '409', '500', '501', '502']);

/** Last three digits: 500 on the first request for that number, accepted afterwards. */
export const TRANSIENT_SUFFIX = '599';

export interface ReportStep {
  status: ReportStatus;
  failureReason?: string;
}

/** The delivery-report sequence for an accepted number, with AT's documented failure reasons. */
export function reportPlan(number: string): ReportStep[] {
  switch (number.slice(-3)) {
    case '598':
      return [{ status: 'Sent' }, { status: 'Submitted' }, { status: 'Failed', failureReason: 'DeliveryFailure' }];
    case '597':
      // A final report may never arrive (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/162).
      return [{ status: 'Sent' }];
    case '596':
      return [{ status: 'Sent' }, { status: 'Submitted' }, { status: 'Rejected', failureReason: 'UserInBlackList' }];
    default:
      return [{ status: 'Sent' }, { status: 'Submitted' }, { status: 'Success' }];
  }
}

export function refused(number: string, statusCode: number): RecipientResult {
  // Refused recipients carry a bare "0" cost and the literal "None" id, and no messageParts
  // (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/160).
  return { cost: '0', messageId: 'None', number, status: REFUSAL_NAMES[statusCode] ?? 'Unknown', statusCode };
}

export interface DecisionContext {
  parts: number;
  currency: string;
  acceptCode: AcceptCode;
  /** Numbers ending in 599 that already had their one transient failure. */
  transientSeen: Set<string>;
  /** Whether the number opted out of this send's sender. */
  optedOut: (number: string) => boolean;
  /** Takes the cost from the balance; false when the balance cannot cover it. */
  charge: (units: number) => boolean;
  newMessageId: () => string;
}

export interface Decision {
  result: RecipientResult;
  /** Cost charged, in 1/10000 of the currency; 0 when refused. */
  units: number;
  /** Reports to post when accepted. */
  plan: ReportStep[] | null;
}

export function decideRecipient(number: string, ctx: DecisionContext): Decision {
  const no = (code: number): Decision => ({ result: refused(number, code), units: 0, plan: null });
  if (!VALID_NUMBER.test(number)) return no(403);
  if (ctx.optedOut(number)) return no(406);
  const suffix = number.slice(-3);
  if (suffix === TRANSIENT_SUFFIX && !ctx.transientSeen.has(number)) {
    ctx.transientSeen.add(number);
    return no(500);
  }
  if (MAGIC_REFUSALS.has(suffix)) return no(Number(suffix));
  const units = COST_UNITS_PER_PART * ctx.parts;
  if (!ctx.charge(units)) return no(405);
  return {
    // AT reports every accepted code with status "Success" ("does not indicate the delivery status").
    result: {
      cost: formatCost(ctx.currency, units),
      messageId: ctx.newMessageId(),
      messageParts: ctx.parts,
      number,
      status: 'Success',
      statusCode: ctx.acceptCode,
    },
    units,
    plan: reportPlan(number),
  };
}
