import { expect } from 'chai';
import { ActivityCounter } from '../../../api/src/observability/activity.js';

describe('activity counter (outcomes per minute)', function () {
  const at = (iso: string) => new Date(iso);

  it('counts observer events into minutes, oldest first, the current minute last', function () {
    let now = at('2025-03-01T10:00:10Z');
    const activity = new ActivityCounter(() => now);
    activity.dispatchObserver.onRecorded?.('a', 'accepted');
    activity.dispatchObserver.onRecorded?.('b', 'retry');
    now = at('2025-03-01T10:02:30Z');
    activity.dispatchObserver.onRecorded?.('c', 'gave-up');
    activity.dispatchObserver.onRecorded?.('d', 'stale');
    activity.statusObserver.onOutcome?.({ gatewayRef: 'r', status: 'Success', state: 'delivered' }, 'applied', {
      state: 'delivered',
    });
    activity.statusObserver.onOutcome?.({ gatewayRef: 'r', status: 'Success', state: 'delivered' }, 'stale', {
      state: 'delivered',
    });
    const series = activity.series(3);
    expect(series.minutes.map((m) => m.at)).to.deep.equal([
      '2025-03-01T10:00:00.000Z',
      '2025-03-01T10:01:00.000Z',
      '2025-03-01T10:02:00.000Z',
    ]);
    expect(series.minutes[0]).to.include({ sent: 1, retried: 1, failed: 0 });
    expect(series.minutes[2]).to.include({ failed: 1, delivered: 1, sent: 0 });
    expect(series.last_24h).to.deep.equal({ sent: 1, delivered: 1, failed: 1, retried: 1 });
    expect(series.since).to.equal('2025-03-01T10:00:10.000Z');
  });

  it('forgets what is older than a day', function () {
    let now = at('2025-03-01T10:00:00Z');
    const activity = new ActivityCounter(() => now);
    activity.record('sent', 5);
    now = at('2025-03-02T09:59:00Z');
    expect(activity.series(60).last_24h.sent).to.equal(5);
    now = at('2025-03-02T10:00:00Z');
    activity.record('delivered');
    expect(activity.series(60).last_24h).to.include({ sent: 0, delivered: 1 });
  });
});
