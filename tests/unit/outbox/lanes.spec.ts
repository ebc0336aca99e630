import { expect } from 'chai';
import { LANE_WEIGHTS, Lanes, priorityOf, type Priority } from '../../../api/src/outbox/lanes.js';
import { defaultPriority } from '../../../api/src/routes/messages.js';

/** Fills lanes with `n` items named `<lane><i>`. */
function filled(counts: Partial<Record<Priority, number>>): Lanes<string> {
  const lanes = new Lanes<string>();
  for (const [p, n] of Object.entries(counts) as Array<[Priority, number]>) {
    for (let i = 0; i < n; i++) lanes.push(`${p}${i}`, p);
  }
  return lanes;
}

const laneOf = (item: string): string => item.replace(/\d+$/, '');

describe('outbox priority lanes', function () {
  it('keeps FIFO order within a lane', function () {
    expect(filled({ bulk: 5 }).take(5)).to.deep.equal(['bulk0', 'bulk1', 'bulk2', 'bulk3', 'bulk4']);
  });

  it('a high-priority item pushed behind 5,000 bulk items is the very next one taken', function () {
    const lanes = filled({ bulk: 5000 });
    lanes.take(10);
    lanes.push('alert', 'high');
    expect(lanes.shift()).to.equal('alert');
    expect(lanes.size).to.equal(4990);
  });

  const shares: Array<{
    name: string;
    counts: Partial<Record<Priority, number>>;
    take: number;
    want: Record<string, number>;
  }> = [
    {
      name: 'all three busy: 5/3/2 of every 10',
      counts: { high: 1000, normal: 1000, bulk: 1000 },
      take: 100,
      want: { high: 50, normal: 30, bulk: 20 },
    },
    {
      name: 'high and bulk busy: bulk keeps 2 of every 7',
      counts: { high: 1000, bulk: 1000 },
      take: 70,
      want: { high: 50, bulk: 20 },
    },
    { name: 'only bulk: bulk gets every turn', counts: { bulk: 1000 }, take: 50, want: { bulk: 50 } },
    {
      name: 'a lane that runs dry leaves its turns to the others',
      counts: { high: 3, bulk: 1000 },
      take: 50,
      want: { high: 3, bulk: 47 },
    },
  ];
  for (const row of shares) {
    it(`shares turns by weight: ${row.name}`, function () {
      const counts: Record<string, number> = {};
      for (const item of filled(row.counts).take(row.take)) counts[laneOf(item)] = (counts[laneOf(item)] ?? 0) + 1;
      expect(counts).to.deep.equal(row.want);
    });
  }

  it('bulk is never starved: under a steady stream of high items it still gets one turn in every 4', function () {
    const lanes = filled({ bulk: 100 });
    let sinceBulk = 0;
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      lanes.push(`high${i}`, 'high');
      const item = lanes.shift() as string;
      sinceBulk = laneOf(item) === 'bulk' ? 0 : sinceBulk + 1;
      worst = Math.max(worst, sinceBulk);
      if (lanes.sizeOf('bulk') === 0) break;
    }
    expect(lanes.sizeOf('bulk')).to.equal(0);
    expect(worst).to.be.at.most(Math.ceil((LANE_WEIGHTS.high + LANE_WEIGHTS.bulk) / LANE_WEIGHTS.bulk));
  });

  it('extract takes matching items across lanes (highest first) and keeps the others in order', function () {
    const lanes = filled({ high: 2, bulk: 4 });
    const even = lanes.extract((s) => Number(s.slice(-1)) % 2 === 0, 3);
    expect(even).to.deep.equal(['high0', 'bulk0', 'bulk2']);
    expect(lanes.drain()).to.deep.equal(['high1', 'bulk1', 'bulk3']);
  });

  const stored: Array<[unknown, Priority]> = [
    [undefined, 'normal'],
    ['high', 'high'],
    ['bulk', 'bulk'],
    ['urgent', 'normal'],
    [3, 'normal'],
  ];
  for (const [value, want] of stored) {
    it(`a task with priority ${JSON.stringify(value)} is in the ${want} lane`, function () {
      expect(priorityOf(value === undefined ? {} : { priority: value })).to.equal(want);
    });
  }

  const defaults: Array<[number, Priority]> = [
    [1, 'high'],
    [2, 'normal'],
    [9, 'normal'],
    [10, 'bulk'],
    [1000, 'bulk'],
  ];
  for (const [count, want] of defaults) {
    it(`a request of ${count} message(s) defaults to ${want}`, function () {
      expect(defaultPriority(count)).to.equal(want);
    });
  }
});
