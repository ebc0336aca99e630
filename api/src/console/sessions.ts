/**
 * Console sign-in sessions, kept in this process's memory. The cookie carries a random id and
 * an HMAC of it under a key made at start-up, so a forged or altered cookie is refused before
 * any lookup. Nothing is stored: a restart (or a second instance behind a load balancer without
 * sticky sessions) signs everyone out, which for an operator console is an acceptable price for
 * never writing a session to the database that CHT replicates.
 *
 * Each session has its own CSRF token, returned to the page at sign-in and required in a header
 * on every state-changing request (routes.ts checks it together with the Origin).
 */
import crypto from 'node:crypto';
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';

export const SESSION_COOKIE = 'cht-sms-console';
export const CSRF_HEADER = 'x-csrf-token';
/** Sent by the page's live refreshes: they do not keep an unattended session alive. */
export const BACKGROUND_HEADER = 'x-console-background';
export const DEFAULT_IDLE_MS = 30 * 60_000;

export interface ConsoleSession {
  user: string;
  csrf: string;
  lastSeen: number;
}

export interface ConsoleSessionsOptions {
  idleMs?: number;
  /** Most sessions kept at once; the least recently used go first beyond it. */
  maxSessions?: number;
  now?: () => number;
}

export class ConsoleSessions {
  readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  /** A string key: Buffer's typings clash with PouchDB's here (shared-libs/credentials/bytes.ts). */
  private readonly key = crypto.randomBytes(32).toString('base64');
  /** id → session, least recently used first (re-inserted on use). */
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(opts: ConsoleSessionsOptions = {}) {
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  private sign(id: string): string {
    return crypto.createHmac('sha256', this.key).update(id).digest('base64url');
  }

  /** A new session for `user`; returns the cookie value and the CSRF token. */
  create(user: string): { cookie: string; session: ConsoleSession } {
    const id = crypto.randomBytes(32).toString('base64url');
    const session = { user, csrf: crypto.randomBytes(32).toString('base64url'), lastSeen: this.now() };
    this.sessions.set(id, session);
    while (this.sessions.size > this.maxSessions) {
      this.sessions.delete(this.sessions.keys().next().value as string);
    }
    return { cookie: `${id}.${this.sign(id)}`, session };
  }

  private idOf(cookie: string | undefined): string | undefined {
    if (!cookie) return undefined;
    const dot = cookie.indexOf('.');
    if (dot <= 0) return undefined;
    const id = cookie.slice(0, dot);
    return timingSafeEqualString(cookie.slice(dot + 1), this.sign(id)) ? id : undefined;
  }

  /**
   * The live session behind a cookie value; undefined when unknown, forged or idle too long.
   * `extend: false` (the page's background refreshes) reads it without counting as activity.
   */
  touch(cookie: string | undefined, extend = true): ConsoleSession | undefined {
    const id = this.idOf(cookie);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.sessions.delete(id);
    const t = this.now();
    if (t - session.lastSeen > this.idleMs) return undefined;
    if (extend) session.lastSeen = t;
    this.sessions.set(id, session);
    return session;
  }

  destroy(cookie: string | undefined): void {
    const id = this.idOf(cookie);
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The value of one cookie in a Cookie header (no dependency needed for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session; `Secure` when the request came over HTTPS. No Max-Age: the server enforces idleness. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
