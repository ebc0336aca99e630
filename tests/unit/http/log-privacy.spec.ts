/**
 * Log privacy: numbers masked and texts hidden by default, in full only while
 * `sms.log_full_content` is on (read per log line), for both the helper and the redacting logger.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describeText, LogPrivacy, privateLogger } from '../../../api/src/http/log-privacy.js';

function capture(full: { on: boolean }) {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const logger = privateLogger(pino({ level: 'debug' }, sink), () => full.on);
  return { logger, out: () => out };
}

describe('http/log-privacy', function () {
  it('LogPrivacy masks numbers and hides texts unless full content is on', function () {
    const flag = { on: false };
    const p = new LogPrivacy(() => flag.on);
    expect(p.phone('+254712345678')).to.equal('+254*******78');
    expect(p.text('my secret health message')).to.equal('[24 chars hidden]');
    flag.on = true;
    expect(p.phone('+254712345678')).to.equal('+254712345678');
    expect(p.text('my secret health message')).to.equal('my secret health message');
  });

  it('a throwing settings reader means private, not full', function () {
    const p = new LogPrivacy(() => {
      throw new Error('settings not loaded');
    });
    expect(p.phone('+254712345678')).to.equal('+254*******78');
  });

  const ROWS: Array<{ name: string; fields: Record<string, unknown>; hidden: string[]; kept?: string[] }> = [
    {
      name: 'top-level to/from/text',
      fields: { to: '+254712345678', from: '+254798765432', text: 'hello nurse' },
      hidden: ['254712345678', '254798765432', 'hello nurse'],
    },
    {
      name: 'content and message keys',
      fields: { content: 'visit tomorrow', message: 'take your pills' },
      hidden: ['visit tomorrow', 'take your pills'],
    },
    {
      name: 'one level down',
      fields: { sms: { to: '+254712345678', text: 'nested text' } },
      hidden: ['254712345678', 'nested text'],
    },
    { name: 'arrays of numbers', fields: { to: ['+254712345678', '+254712345679'] }, hidden: ['254712345678'] },
    {
      name: 'error messages stay readable',
      fields: { err: { message: 'db down' }, count: 3 },
      hidden: [],
      kept: ['db down', '"count":3'],
    },
  ];
  for (const row of ROWS) {
    it(`redacting logger: ${row.name}`, function () {
      const flag = { on: false };
      const { logger, out } = capture(flag);
      logger.info(row.fields, 'line');
      logger.child({ req_id: 1 }).info(row.fields, 'child line');
      for (const h of row.hidden) expect(out()).to.not.include(h);
      for (const k of row.kept ?? []) expect(out()).to.include(k);
      flag.on = true;
      logger.info(row.fields, 'full line');
      for (const h of row.hidden) expect(out()).to.include(h);
    });
  }

  it('describeText keeps only the length', function () {
    expect(describeText('abc')).to.equal('[3 chars hidden]');
    expect(describeText(undefined)).to.equal('[hidden]');
  });
});
