// The console's calls: its own session endpoints and the admin JSON API, authenticated by the
// session cookie (HttpOnly: this code never sees it) plus the CSRF token on state changes.
import { t } from './strings.js';

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const session = { csrf: undefined, user: undefined };
let onSignedOut = () => {};

/** Called when any call answers 401: the session ended (idle, restart, sign-out elsewhere). */
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

export function currentUser() {
  return session.user;
}

/**
 * `background`: a refresh of the live loop, not something the operator did; the server then does
 * not count it as activity, so an unattended console still signs out when idle.
 */
async function request(method, url, body, background = false) {
  // X-Requested-With: the server then answers 401 without a Basic challenge (no browser prompt).
  const headers = { accept: 'application/json', 'x-requested-with': 'cht-sms-console' };
  if (background) headers['x-console-background'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['x-csrf-token'] = session.csrf;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const message = (data && typeof data.error === 'string' && data.error) || `HTTP ${res.status}`;
    throw new ApiError(res.status, message, Number(res.headers.get('retry-after')) || undefined);
  }
  return data;
}

/** Admin API call; a 401 means the session is gone. */
export async function call(method, url, body, background = false) {
  try {
    return await request(method, url, body, background);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.csrf = undefined;
      session.user = undefined;
      onSignedOut();
    }
    throw err;
  }
}

export const get = (url, { background = false } = {}) => call('GET', url, undefined, background);

/** Restores a session after a reload; false when not signed in. */
export async function resume() {
  try {
    const s = await request('GET', '/console/api/session');
    session.csrf = s.csrf;
    session.user = s.user;
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    throw err;
  }
}

export async function signIn(user, password) {
  const s = await request('POST', '/console/api/session', { user, password });
  session.csrf = s.csrf;
  session.user = s.user;
}

export async function signOut() {
  try {
    await request('DELETE', '/console/api/session');
  } finally {
    session.csrf = undefined;
    session.user = undefined;
  }
}

/** A query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
