import { expect } from 'chai';
import { ConsoleSessions, readCookie, sessionCookie } from '../../../api/src/console/sessions.js';

describe('console sessions (unit)', function () {
  it('a session lives while used and ends after the idle time', function () {
    let now = 0;
    const sessions = new ConsoleSessions({ idleMs: 1000, now: () => now });
    const { cookie, session } = sessions.create('admin');
    now = 900;
    expect(sessions.touch(cookie)?.csrf).to.equal(session.csrf);
    now = 1800; // 900 ms after the last use
    expect(sessions.touch(cookie)?.user).to.equal('admin');
    now = 2801;
    expect(sessions.touch(cookie)).to.equal(undefined);
    expect(sessions.touch(cookie), 'an expired session stays gone').to.equal(undefined);
  });

  it('background refreshes read the session without keeping it alive', function () {
    let now = 0;
    const sessions = new ConsoleSessions({ idleMs: 1000, now: () => now });
    const { cookie } = sessions.create('admin');
    for (now = 200; now <= 1000; now += 200) expect(sessions.touch(cookie, false)?.user).to.equal('admin');
    now = 1001;
    expect(sessions.touch(cookie, false), 'idle since sign-in, polled or not').to.equal(undefined);
  });

  it('ids are random, CSRF tokens differ per session, and another instance cannot read them', function () {
    const a = new ConsoleSessions();
    const one = a.create('admin');
    const two = a.create('admin');
    expect(one.cookie).to.not.equal(two.cookie);
    expect(one.session.csrf).to.not.equal(two.session.csrf);
    expect(new ConsoleSessions().touch(one.cookie), 'signed with a per-process key').to.equal(undefined);
  });

  it('keeps at most maxSessions, dropping the least recently used', function () {
    const sessions = new ConsoleSessions({ maxSessions: 2 });
    const first = sessions.create('a');
    const second = sessions.create('b');
    sessions.touch(first.cookie);
    sessions.create('c');
    expect(sessions.size).to.equal(2);
    expect(sessions.touch(second.cookie)).to.equal(undefined);
    expect(sessions.touch(first.cookie)?.user).to.equal('a');
  });

  it('reads one cookie among several; builds the Set-Cookie with Secure only over HTTPS', function () {
    expect(readCookie('a=1; cht-sms-console=xyz.abc; b=2', 'cht-sms-console')).to.equal('xyz.abc');
    expect(readCookie('cht-sms-consolex=1', 'cht-sms-console')).to.equal(undefined);
    expect(sessionCookie('v', false)).to.not.include('Secure');
    expect(sessionCookie('v', true)).to.match(/; Secure$/);
  });
});
