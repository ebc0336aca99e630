// The tabs and what each asks the API for (GET /api/v1/messages). CHT's admin "Message queue"
// has the same groups: scheduled, due, and the muted group split by due date
// (https://github.com/medic/cht-core/blob/master/admin/src/js/services/message-queue.js).

/** Waiting to go out or on the way to the handset: not final, not muted. */
export const DUE_STATES = [
  'pending',
  'forwarded-to-gateway',
  'received-by-gateway',
  'forwarded-by-gateway',
  'unrecognised',
  'received',
];
/** CHT's muted group. */
export const MUTED_STATES = ['muted', 'cleared', 'denied', 'duplicate'];
/** No longer changing: a message in one of these is never "delayed". */
export const FINAL_STATES = new Set(['sent', 'delivered', 'failed', 'scheduled', ...MUTED_STATES]);

/** CHT flags a message in a transitional state unchanged for more than 5 minutes as delayed. */
export const DELAYED_AFTER_MS = 5 * 60_000;

export const PAGE_SIZE = 50;

/**
 * id, label key, states offered in the state filter, the base query, and the bulk action the
 * tab offers (with the state it acts on by default).
 */
export const TABS = [
  {
    id: 'scheduled',
    states: ['scheduled'],
    query: () => ({ state: 'scheduled' }),
    bulk: { action: 'cancel', state: 'scheduled' },
  },
  {
    id: 'due',
    states: DUE_STATES,
    query: () => ({ state: DUE_STATES.join(',') }),
    bulk: { action: 'cancel', state: 'pending' },
    delayed: true,
  },
  {
    id: 'will_not_send',
    states: MUTED_STATES,
    query: (now) => ({ state: MUTED_STATES.join(','), due_after: now.toISOString() }),
  },
  {
    id: 'did_not_send',
    states: MUTED_STATES,
    query: (now) => ({ state: MUTED_STATES.join(','), due_before: now.toISOString() }),
  },
  { id: 'failed', states: ['failed'], query: () => ({ state: 'failed' }), bulk: { action: 'retry', state: 'failed' } },
  { id: 'stuck', states: ['sent', 'forwarded-by-gateway'], query: () => ({ stuck: '1' }) },
  { id: 'incoming', states: [], query: () => ({ direction: 'incoming' }), incoming: true },
];

export const tabById = (id) => TABS.find((tab) => tab.id === id) ?? TABS[1];

/** The listing query for a tab with the operator's filters. */
export function listQuery(tab, filters, now = new Date()) {
  const q = { direction: tab.incoming ? 'incoming' : 'outgoing', ...tab.query(now) };
  if (filters.state && tab.states.includes(filters.state)) q.state = filters.state;
  if (filters.phone) q.to = filters.phone;
  return q;
}

const sum = (byState, states) => states.reduce((n, s) => n + (Number(byState?.[s]) || 0), 0);

/**
 * A tab's count from GET /api/v1/messages/counts
 * (`{outgoing: {total, by_state}, stuck, incoming, …}`): summed over the tab's states, or the
 * figure the answer names for the tab.
 */
export function countFor(tab, counts) {
  if (!counts) return undefined;
  const direct = counts.tabs?.[tab.id] ?? counts[tab.id];
  if (typeof direct === 'number') return direct;
  const byState = counts.outgoing?.by_state ?? counts.by_state;
  switch (tab.id) {
    case 'scheduled':
      return sum(byState, ['scheduled']);
    case 'due':
      return sum(byState, DUE_STATES);
    case 'will_not_send':
      return typeof counts.outgoing?.muted_due_later === 'number' ? counts.outgoing.muted_due_later : undefined;
    case 'did_not_send':
      return typeof counts.outgoing?.muted_due_later === 'number'
        ? sum(byState, MUTED_STATES) - counts.outgoing.muted_due_later
        : undefined;
    case 'failed':
      return sum(byState, ['failed']);
    case 'stuck':
      return typeof counts.stuck === 'number' ? counts.stuck : undefined;
    case 'incoming':
      return typeof counts.incoming === 'number' ? counts.incoming : undefined;
    default:
      return undefined;
  }
}

/** Last state change (or creation) of an outgoing message, in ms. */
export function lastUpdate(message) {
  const history = message.state_history ?? [];
  const last = history[history.length - 1];
  const t = last ? Date.parse(last.timestamp) : NaN;
  return Number.isFinite(t) ? t : message.reported_date;
}

export function isDelayed(message, now = Date.now()) {
  if (!message.state || FINAL_STATES.has(message.state)) return false;
  const t = lastUpdate(message);
  return typeof t === 'number' && now - t > DELAYED_AFTER_MS;
}
