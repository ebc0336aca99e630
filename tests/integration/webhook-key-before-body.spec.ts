/**
 * The webhook key is checked before the body is read (api/src/routes/sms.ts): a caller without the
 * right `?key=` gets 403 whatever it sends (not 415/400/413), so an unauthenticated client learns
 * nothing from how its body is judged and cannot make the server parse 2 MB.
 */
import { expect } from 'chai';
import { INCOMING_KEY, startAtRig, type AtRig } from '../helpers/at-setup.js';

describe('webhook key checked before the body', function () {
  this.timeout(30_000);
  let rig: AtRig | undefined;
  afterEach(async function () {
    await rig?.stop();
    rig = undefined;
  });

  it('a webhook without the key answers 403 whatever the body (not 415/400/413)', async function () {
    rig = await startAtRig();
    const url = `${rig.server.url}/api/v1/sms/africastalking/incoming-messages?key=wrong`;
    const bodies: Array<[string, string]> = [
      ['text/plain', 'hello'],
      ['application/json', '{"broken":'],
      ['application/x-www-form-urlencoded', `id=1&from=%2B254711000001&text=${'x'.repeat(2 * 1024 * 1024)}`],
    ];
    for (const [type, body] of bodies) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, type).to.equal(403);
    }
    const ok = await fetch(`${rig.server.url}/api/v1/sms/africastalking/incoming-messages?key=${INCOMING_KEY}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    // With the key, the body is judged: plain text is not what AT sends.
    expect(ok.status).to.equal(400);
    expect(((await ok.json()) as { error: string }).error).to.match(/form fields/);
  });
});
