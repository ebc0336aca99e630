import { expect } from 'chai';
import { nestedDeeperThan } from '../../../api/src/http/json-body.js';

describe('http/json-body nestedDeeperThan', function () {
  const cases: Array<[string, number, boolean]> = [
    ['{}', 1, false],
    ['[[]]', 1, true],
    ['[[]]', 2, false],
    ['{"a":{"b":[1,{"c":2}]}}', 4, false],
    ['{"a":{"b":[1,{"c":2}]}}', 3, true],
    ['"[[[[[[["', 1, false],
    ['{"k":"\\"[[[[["}', 1, false],
    ['{"k":"\\\\"}', 1, false],
    [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64, true],
    ['[][][][][][]', 1, false],
  ];
  for (const [text, max, deeper] of cases) {
    it(`${text.slice(0, 30)} deeper than ${max}: ${deeper}`, function () {
      expect(nestedDeeperThan(text, max)).to.equal(deeper);
    });
  }
});
