/**
 * The recording dispatcher the core hands services as ctx.http: every request through it is
 * recorded once (status, both bodies, elapsed time, the messages of the exchange scope), the
 * caller still reads the whole answer, and a failed request is recorded with status 0.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { recordingInterceptor } from '../../../api/src/observability/exchange-recorder.js';
import type { ExchangeInput } from '../../../api/src/observability/exchanges.js';
import { aboutMessages, withExchangeScope } from '../../../api/src/sms/exchange-scope.js';

describe('exchange recorder (undici interceptor)', function () {
  let server: http.Server;
  let url: string;
  const agent = new Agent();
  let recorded: ExchangeInput[] = [];
  const dispatcher = agent.compose(
    recordingInterceptor({ record: (e) => recorded.push(e) }, () => new Date('2025-01-01T00:00:00Z')),
  );

  before(async function () {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
        res.writeHead(req.url === '/missing' ? 404 : 201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echoed: body, big: 'é'.repeat(5000) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await agent.close();
  });
  beforeEach(function () {
    recorded = [];
  });

  it("records one exchange with both bodies and the scope's service and messages; the caller reads the answer whole", async function () {
    const res = await withExchangeScope({ service: 'svc' }, () =>
      aboutMessages(['m1', 'm2'], () =>
        request(`${url}/send?x=1`, {
          method: 'POST',
          dispatcher,
          headers: { apiKey: 'header-secret' },
          body: 'to=1&message=hi',
        }),
      ),
    );
    const text = await res.body.text();
    expect(JSON.parse(text)).to.deep.include({ echoed: 'to=1&message=hi' });
    expect(recorded).to.have.length(1);
    const e = recorded[0] as ExchangeInput;
    expect(e).to.include({
      direction: 'outgoing',
      service: 'svc',
      method: 'POST',
      url: `${url}/send?x=1`,
      status: 201,
      requestBody: 'to=1&message=hi',
    });
    expect(e.responseBody).to.equal(text);
    expect([...(e.messageIds ?? [])]).to.deep.equal(['m1', 'm2']);
    expect(e.elapsedMs).to.be.a('number');
    expect(JSON.stringify(e), 'headers are never recorded').to.not.include('header-secret');
  });

  it('records non-2xx answers and requests outside any scope', async function () {
    const res = await request(`${url}/missing`, { method: 'GET', dispatcher });
    await res.body.text();
    expect(recorded).to.have.length(1);
    expect(recorded[0]).to.include({ status: 404, method: 'GET' });
    expect(recorded[0]?.requestBody).to.equal(undefined);
    expect([...(recorded[0]?.messageIds ?? [])]).to.deep.equal([]);
  });

  it('records a request that got no answer with status 0 and the error', async function () {
    const err = await request(`${url}/slow`, { method: 'GET', dispatcher, signal: AbortSignal.timeout(100) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(recorded).to.have.length(1);
    expect(recorded[0]?.status).to.equal(0);
    expect(recorded[0]?.error).to.be.a('string').and.not.equal('');
  });

  it('records a refused connection', async function () {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await request(`http://127.0.0.1:${port}/x`, { method: 'GET', dispatcher }).catch(() => undefined);
    expect(recorded).to.have.length(1);
    expect(recorded[0]).to.include({ status: 0 });
    expect(recorded[0]?.error).to.match(/ECONNREFUSED/);
  });
});
