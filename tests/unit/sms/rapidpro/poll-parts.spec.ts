/**
 * The status poll's pure parts: references (refs.ts), reading a page of RapidPro's messages
 * endpoint and pairing its messages with awaited ones (messages-page.ts), the request helpers
 * (client.ts: where the token may go, how long a 429 says to wait) and the settings slice.
 */
import { expect } from 'chai';
import { apiUrl, DEFAULT_RETRY_AFTER_MS, retryAfterMs } from '../../../../api/src/sms/services/rapidpro/client.js';
import {
  matchBroadcast,
  parseMessagesPage,
  type RapidProMessage,
} from '../../../../api/src/sms/services/rapidpro/messages-page.js';
import { gatewayRef, normaliseUrn, parseRef, telUrn } from '../../../../api/src/sms/services/rapidpro/refs.js';
import { senderNumber } from '../../../../api/src/sms/services/rapidpro/routes.js';
import { parseRapidProSettings } from '../../../../api/src/sms/services/rapidpro/settings.js';
import type { AwaitingStatus } from '../../../../api/src/sms/types.js';

const entry = (gatewayRef: string): AwaitingStatus => ({
  key: `k:${gatewayRef}`,
  gatewayRef,
  messageId: `m:${gatewayRef}`,
  since: '2026-01-01T00:00:00.000Z',
});
const msg = (urn: string, status: string, broadcast = '7'): RapidProMessage => ({ broadcast, urn, status });

describe('RapidPro references', function () {
  const rows: Array<[string, string]> = [
    ['+254711000001', 'tel:+254711000001'],
    [' +254 711-000 (001) ', 'tel:+254711000001'],
    ['0711000001', 'tel:0711000001'],
  ];
  for (const [to, urn] of rows) it(`telUrn(${JSON.stringify(to)}) = ${urn}`, () => expect(telUrn(to)).to.equal(urn));
  it('normaliseUrn keeps other schemes', () => {
    expect(normaliseUrn('tel:+254 711')).to.equal('tel:+254711');
    expect(normaliseUrn('whatsapp:254711')).to.equal('whatsapp:254711');
  });
  it('one recipient: the bare broadcast id, as CHT; several: <id>:<urn>', () => {
    expect(gatewayRef(42, 'tel:+2547', 1)).to.equal('42');
    expect(gatewayRef(42, 'tel:+2547', 3)).to.equal('42:tel:+2547');
  });
  it('parseRef reads both forms and refuses others', () => {
    expect(parseRef('42')).to.deep.equal({ broadcast: '42' });
    expect(parseRef('42:tel:+2547')).to.deep.equal({ broadcast: '42', urn: 'tel:+2547' });
    expect(parseRef('ATXid_1')).to.equal(undefined);
    expect(parseRef('broadcast1')).to.equal(undefined);
  });
  it('an incoming sender given as a URN becomes its number', () => {
    expect(senderNumber('tel:+254 711 000 001')).to.equal('+254711000001');
    expect(senderNumber('+254711000001')).to.equal('+254711000001');
    expect(senderNumber(254711)).to.equal('254711');
  });
});

describe('RapidPro messages page', function () {
  it('reads next, results and the dates they span; skips messages without a broadcast', () => {
    const page = parseMessagesPage(
      JSON.stringify({
        next: 'https://rp/api/v2/messages.json?cursor=x',
        previous: null,
        results: [
          { id: 3, broadcast: 7, urn: 'tel:+2547', status: 'sent', created_on: '2026-01-01T00:02:00.000000Z' },
          {
            id: 2,
            broadcast: null,
            urn: 'tel:+2548',
            status: 'handled',
            direction: 'in',
            created_on: '2026-01-01T00:01:00.000000Z',
          },
          { id: 1, broadcast: 6, urn: 'tel:+2549', status: 'queued', created_on: '2026-01-01T00:00:00.000000Z' },
          null,
          'junk',
        ],
      }),
    );
    expect(page?.next).to.equal('https://rp/api/v2/messages.json?cursor=x');
    expect(page?.results.map((m) => [m.broadcast, m.status])).to.deep.equal([
      ['7', 'sent'],
      ['6', 'queued'],
    ]);
    expect([page?.newest, page?.oldest]).to.deep.equal([
      Date.parse('2026-01-01T00:02:00Z'),
      Date.parse('2026-01-01T00:00:00Z'),
    ]);
  });
  for (const text of ['', 'null', '<h1>Server Error (500)</h1>', '{"results": "no"}', '[]']) {
    it(`not a page: ${JSON.stringify(text)}`, () => expect(parseMessagesPage(text)).to.equal(undefined));
  }
});

describe('RapidPro: pairing messages of a broadcast with awaited ones', function () {
  it('CHT "should only use 1st result from service": a bare reference takes the newest message', () => {
    const pairs = matchBroadcast([entry('7')], [msg('tel:+2541', 'sent'), msg('tel:+2541', 'queued')]);
    expect(pairs.map((p) => p.message.status)).to.deep.equal(['sent']);
  });
  it('<id>:<urn> references take the message of their URN', () => {
    const pairs = matchBroadcast(
      [entry('7:tel:+254711000001'), entry('7:tel:+254711000002')],
      [msg('tel:+254711000002', 'delivered'), msg('tel:+254711000001', 'failed')],
    );
    expect(pairs.map((p) => [p.entry.gatewayRef, p.message.status])).to.deep.equal([
      ['7:tel:+254711000001', 'failed'],
      ['7:tel:+254711000002', 'delivered'],
    ]);
  });
  it('a number RapidPro reports in another form is matched by its last 9 digits, when only one fits', () => {
    const pairs = matchBroadcast(
      [entry('7:tel:0711000001')],
      [msg('tel:+254711000001', 'sent'), msg('tel:+254722000002', 'queued')],
    );
    expect(pairs.map((p) => p.message.urn)).to.deep.equal(['tel:+254711000001']);
  });
  it('no message for the URN, or two that could be it → not paired', () => {
    expect(matchBroadcast([entry('7:tel:+254711000001')], [msg('tel:+254722000002', 'sent')])).to.deep.equal([]);
    expect(
      matchBroadcast([entry('7:tel:0711000001')], [msg('tel:+254711000001', 'sent'), msg('tel:+255711000001', 'sent')]),
    ).to.deep.equal([]);
  });
  it('CHT "should handle the remote service not sending any results": no results → nothing paired', () => {
    expect(matchBroadcast([entry('7')], [])).to.deep.equal([]);
  });
});

describe('RapidPro requests', function () {
  const now = new Date('2026-01-01T00:00:00Z');
  const waits: Array<[string | undefined, string, number]> = [
    ['7', '', 7000],
    ['0.5', '', 500],
    ['Thu, 01 Jan 2026 00:00:30 GMT', '', 30_000],
    [undefined, '{"detail": "Request was throttled. Expected available in 12 seconds."}', 12_000],
    [undefined, '', DEFAULT_RETRY_AFTER_MS],
    ['soon', '', DEFAULT_RETRY_AFTER_MS],
  ];
  for (const [header, body, ms] of waits) {
    it(`429 with Retry-After ${JSON.stringify(header)}${body ? ' and a DRF detail' : ''} → wait ${ms} ms`, () => {
      expect(retryAfterMs(header, body, now)).to.equal(ms);
    });
  }
  it('paging links are followed on the configured server only: the token never goes to another host', () => {
    const settings = { url: 'https://rp.example.org' };
    expect(apiUrl(settings, '/api/v2/messages.json?broadcast=1')).to.equal(
      'https://rp.example.org/api/v2/messages.json?broadcast=1',
    );
    expect(apiUrl(settings, 'http://evil.example.com/api/v2/messages.json?cursor=abc')).to.equal(
      'https://rp.example.org/api/v2/messages.json?cursor=abc',
    );
    expect(apiUrl({ url: 'https://host/rapidpro' }, 'https://host/rapidpro/api/v2/messages.json?cursor=x')).to.equal(
      'https://host/rapidpro/api/v2/messages.json?cursor=x',
    );
  });
});

describe('RapidPro settings slice', function () {
  it('defaults: a minute between polls, 30 requests a run, a week of polling', () => {
    expect(parseRapidProSettings({ rapidpro: { url: 'https://textit.com/' } } as never)).to.deep.equal({
      url: 'https://textit.com',
      statusPollMs: 60_000,
      maxRequestsPerRun: 30,
      statusMaxAgeMs: 168 * 3600_000,
    });
  });
  it('CHT "should forward an error when no RapidPro url is defined": an error naming sms.rapidpro.url', () => {
    expect(() => parseRapidProSettings({} as never)).to.throw('sms.rapidpro.url is required');
    expect(() => parseRapidProSettings({ rapidpro: {} } as never)).to.throw('sms.rapidpro.url is required');
  });
  it('a bad field is named', () => {
    expect(() => parseRapidProSettings({ rapidpro: { url: 'https://x', max_requests_per_run: 0 } } as never)).to.throw(
      'sms.rapidpro.max_requests_per_run',
    );
  });
});
