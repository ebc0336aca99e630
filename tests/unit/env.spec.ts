/**
 * readEnv: TRUST_PROXY takes proxy addresses or `true`, never a hop count (a client could forge
 * the hops it adds to X-Forwarded-For).
 */
import { expect } from 'chai';
import { readEnv } from '../../api/src/env.js';

describe('env readEnv', function () {
  it('TRUST_PROXY takes addresses or true, never a hop count a client could forge', function () {
    expect(readEnv({ TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }).trustProxy).to.equal('127.0.0.1,10.0.0.0/8');
    expect(readEnv({ TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(readEnv({}).trustProxy).to.equal(false);
    expect(() => readEnv({ TRUST_PROXY: '2' })).to.throw(/not a hop count/);
  });
});
