/**
 * What of a provider exchange may be stored: no `key` parameter, no stored secret in any
 * encoding, bodies bounded.
 */
import { expect } from 'chai';
import {
  MAX_BODY_CHARS,
  redactExchange,
  redactSecrets,
  withoutKeyParam,
} from '../../../api/src/observability/exchange-redaction.js';

const API_KEY = 'atsk_9f8e+7d/6c=5b';
const INCOMING = 'in-key with space&more';

describe('exchange redaction', function () {
  const secretRows: Array<[string, string, string]> = [
    ['plain', `apiKey=${API_KEY}!`, 'apiKey=***!'],
    ['URL-encoded', `k=${encodeURIComponent(API_KEY)}`, 'k=***'],
    ['form-encoded (spaces as +)', new URLSearchParams({ k: INCOMING }).toString(), 'k=***'],
    ['twice, and both secrets', `${API_KEY} ${INCOMING} ${API_KEY}`, '*** *** ***'],
    ['no secret', 'to=%2B254711000001&message=hi', 'to=%2B254711000001&message=hi'],
  ];
  for (const [name, text, expected] of secretRows) {
    it(`redacts stored secrets: ${name}`, function () {
      expect(redactSecrets(text, [API_KEY, INCOMING])).to.equal(expected);
    });
  }

  it('ignores empty and very short secrets (they would match ordinary text)', function () {
    expect(redactSecrets('a b c', ['', 'a'])).to.equal('a b c');
  });

  const urlRows: Array<[string, string]> = [
    ['/api/v1/sms/africastalking/incoming-messages?key=s3cret', '/api/v1/sms/africastalking/incoming-messages'],
    ['/cb?a=1&key=s3cret&b=2', '/cb?a=1&b=2'],
    [
      'http://127.0.0.1:9/version1/messaging?username=u&lastReceivedId=5',
      'http://127.0.0.1:9/version1/messaging?username=u&lastReceivedId=5',
    ],
    ['https://h.example/x?KEY=upper&key=lower', 'https://h.example/x?KEY=upper'],
    ['/cb?k%65y=encoded-name&a=%2B1#frag', '/cb?a=%2B1#frag'],
    ['/cb?key=only', '/cb'],
    ['/no-query', '/no-query'],
  ];
  for (const [url, expected] of urlRows) {
    it(`removes the key parameter: ${url}`, function () {
      expect(withoutKeyParam(url)).to.equal(expected);
    });
  }

  it('redacts the URL, both bodies and the error, and bounds bodies', function () {
    const long = 'x'.repeat(MAX_BODY_CHARS + 10);
    const out = redactExchange(
      {
        url: `/cb?key=${encodeURIComponent(INCOMING)}&id=${API_KEY}&k2=${encodeURIComponent(API_KEY)}`,
        requestBody: `a=${API_KEY}`,
        responseBody: long,
        error: `Error: ${API_KEY}`,
      },
      [API_KEY, INCOMING],
    );
    expect(out.url).to.equal('/cb?id=***&k2=***');
    expect(out.requestBody).to.equal('a=***');
    expect(out.error).to.equal('Error: ***');
    expect(out.responseBody).to.have.length.below(MAX_BODY_CHARS + 40);
    expect(out.responseBody).to.match(/…\[10 more characters\]$/);
  });
});
