/**
 * AT's API authentication: the application username (form body or query) and its key in the
 * `apiKey` header, any case (https://developers.africastalking.com/docs/sms/sending/bulk).
 */
import type { IncomingMessage } from 'node:http';
import type { Account } from './types.js';

/** The 401 body AT answers in plain text for a bad username/key pair. */
export const AUTH_ERROR = 'The supplied authentication is invalid';

export function authorized(accounts: readonly Account[], username: string, req: IncomingMessage): boolean {
  const apiKey = req.headers.apikey; // node lower-cases header names; the SDKs send apikey and apiKey
  const account = accounts.find((a) => a.username === username);
  return account !== undefined && typeof apiKey === 'string' && apiKey === account.apiKey;
}
