/**
 * The send response body (https://developers.africastalking.com/docs/sms/sending/bulk): JSON
 * when the client asks for it, else AT's default XML. JSON keys are emitted in the alphabetical
 * order seen in live responses.
 */
import type { RecipientResult } from './types.js';

export interface SendSummary {
  message: string;
  recipients: RecipientResult[];
}

export function toJson({ message, recipients }: SendSummary): string {
  const ordered = recipients.map((r) => ({
    cost: r.cost,
    messageId: r.messageId,
    ...(r.messageParts !== undefined ? { messageParts: r.messageParts } : {}),
    number: r.number,
    status: r.status,
    statusCode: r.statusCode,
  }));
  return JSON.stringify({ SMSMessageData: { Message: message, Recipients: ordered } });
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

const el = (name: string, value: string | number): string => `<${name}>${escapeXml(String(value))}</${name}>`;

export function toXml({ message, recipients }: SendSummary): string {
  const items = recipients
    .map(
      (r) =>
        '<Recipient>' +
        el('number', r.number) +
        el('cost', r.cost) +
        el('status', r.status) +
        el('statusCode', r.statusCode) +
        el('messageId', r.messageId) +
        (r.messageParts !== undefined ? el('messageParts', r.messageParts) : '') +
        '</Recipient>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<AfricasTalkingResponse><SMSMessageData>${el('Message', message)}` +
    `<Recipients>${items}</Recipients></SMSMessageData></AfricasTalkingResponse>`
  );
}

/** `Sent to <accepted>/<total> Total Cost: <currency> <sum>`, or `... Total Cost: 0` when none. */
export function summaryLine(recipients: RecipientResult[], totalUnits: number, format: (u: number) => string): string {
  const accepted = recipients.filter((r) => r.status === 'Success').length;
  const cost = accepted === 0 ? '0' : format(totalUnits);
  return `Sent to ${accepted}/${recipients.length} Total Cost: ${cost}`;
}
