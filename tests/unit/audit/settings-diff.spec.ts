import { expect } from 'chai';
import { diffSettings } from '../../../api/src/audit/settings-diff.js';

describe('audit/settings-diff', function () {
  it('one entry per changed leaf path, with before and after', function () {
    const before = { sms: { reply_to: 'A', dispatch: { concurrency: 8 } }, forms: { X: { a: 1 } }, untouched: 1 };
    const after = {
      sms: { reply_to: 'B', dispatch: { concurrency: 8, max_attempts: 3 } },
      forms: { X: { a: 1 } },
      untouched: 1,
      added: [1, 2],
    };
    expect(diffSettings(before, after)).to.deep.equal([
      { path: 'sms.reply_to', before: 'A', after: 'B' },
      { path: 'sms.dispatch.max_attempts', after: 3 },
      { path: 'added', after: [1, 2] },
    ]);
  });

  it('removed keys and type changes', function () {
    expect(diffSettings({ a: { b: 1 }, c: 2 }, { a: 5 })).to.deep.equal([
      { path: 'a', before: { b: 1 }, after: 5 },
      { path: 'c', before: 2 },
    ]);
  });

  it('never copies values under secret-looking names, nor very long values', function () {
    const before = { x: { api_key: 'old-secret', token: 't1' } };
    const diff = diffSettings(before, { x: { api_key: 'new-secret', token: 't2' }, big: 'y'.repeat(600) });
    expect(diff).to.deep.equal([
      { path: 'x.api_key', omitted: 'secret' },
      { path: 'x.token', omitted: 'secret' },
      { path: 'big', omitted: 'too long' },
    ]);
    expect(JSON.stringify(diff)).to.not.match(/old-secret|new-secret|t1|t2/);
  });

  it('no changes → empty; very many changes are capped', function () {
    expect(diffSettings({ a: [1] }, { a: [1] })).to.deep.equal([]);
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const diff = diffSettings({}, many);
    expect(diff).to.have.length(201);
    expect(diff[200]).to.deep.equal({ path: '…', omitted: 'too long' });
  });
});
