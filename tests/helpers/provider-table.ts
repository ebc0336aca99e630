/**
 * A table-driven harness for provider routes, in the manner of RapidPro courier's handler tests
 * (https://github.com/nyaruka/courier/blob/main/test/handler.go): each row is one HTTP request →
 * the expected status, body and stored result. After every row the harness checks that no secret
 * of the rig (API keys, webhook keys, passwords) appears in the response, the server's logs, or
 * any document of either database.
 */
import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import type { TestServer } from './test-server.js';

export interface RouteRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  /** Sends `json` gzip-compressed. */
  gzip?: boolean;
}

export interface RouteRow {
  name: string;
  request: RouteRequest;
  status: number;
  /** Deep-equal to the JSON answer. */
  body?: unknown;
  /** Substring of the `error` of a `{code, error}` answer. */
  error?: string;
  /** What must hold in the store afterwards. */
  stored?: (server: TestServer) => Promise<void>;
}

export interface ProviderRig {
  server: TestServer;
  /** Every secret the rig configured; none may leak. */
  secrets: string[];
}

export async function sendRequest(server: TestServer, req: RouteRequest): Promise<{ status: number; text: string }> {
  const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : '';
  const headers: Record<string, string> = { ...req.headers };
  let body: string | Blob | undefined;
  if (req.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(req.form).toString();
  } else if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
    if (req.gzip) {
      body = new Blob([new Uint8Array(gzipSync(body))]);
      headers['content-encoding'] = 'gzip';
    }
  }
  const res = await fetch(`${server.url}${req.path}${qs}`, { method: req.method ?? 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

/** No secret in the answer, the logs, or any stored document (both databases). */
export async function expectNoSecretLeak(rig: ProviderRig, answer: string): Promise<void> {
  const docs = async (db: TestServer['dbs']['medic']): Promise<string> =>
    JSON.stringify((await db.allDocs({ include_docs: true })).rows.map((r) => r.doc));
  const stored = (await docs(rig.server.dbs.medic)) + (await docs(rig.server.dbs.vault));
  const logs = rig.server.logs();
  for (const secret of rig.secrets) {
    expect(answer, 'secret in the response').to.not.include(secret);
    expect(logs, 'secret in the logs').to.not.include(secret);
    expect(stored, 'secret stored in plain text').to.not.include(secret);
  }
}

/** Declares one mocha test per row, against the rig `getRig()` returns when the row runs. */
export function routeTable(rows: readonly RouteRow[], getRig: () => ProviderRig): void {
  for (const row of rows) {
    it(row.name, async function () {
      const rig = getRig();
      const res = await sendRequest(rig.server, row.request);
      expect(res.status, res.text).to.equal(row.status);
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.text);
      } catch {
        parsed = res.text;
      }
      if (row.body !== undefined) expect(parsed).to.deep.equal(row.body);
      if (row.error !== undefined) {
        expect((parsed as { code?: unknown }).code).to.equal(row.status);
        expect(String((parsed as { error?: unknown }).error)).to.include(row.error);
      }
      await row.stored?.(rig.server);
      await expectNoSecretLeak(rig, res.text);
    });
  }
}
