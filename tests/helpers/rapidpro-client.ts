/** A minimal client of RapidPro's API v2 for simulator tests: JSON in, JSON out, `Token` auth. */
import type { Broadcast, Message } from '../../shared-libs/rapidpro-simulator/index.js';

export interface Page<T> {
  next: string | null;
  previous: null;
  results: T[];
}

export class RapidProClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** `path` under the base URL, or a full URL (a `next` link); `token` null sends none. */
  api(method: string, path: string, body?: unknown, token: string | null = this.token): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Token ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    return fetch(path.startsWith('http') ? path : `${this.baseUrl}${path}`, init);
  }

  async broadcast(urns: string[], text = 'hello'): Promise<Broadcast> {
    return (await this.ok(201, this.api('POST', '/api/v2/broadcasts.json', { urns, text }))) as Broadcast;
  }

  async messages(query = ''): Promise<Page<Message>> {
    return (await this.ok(200, this.api('GET', `/api/v2/messages.json${query}`))) as Page<Message>;
  }

  private async ok(status: number, pending: Promise<Response>): Promise<unknown> {
    const res = await pending;
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
    return res.json();
  }
}
