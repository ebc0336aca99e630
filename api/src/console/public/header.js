// The status header: selected service, whether sending is paused and why, oldest waiting
// message, last-24-hours outcomes, delivery ratio, cost today and this week, and the chart.
import { ApiError, call, get } from './api.js';
import { $, announce, formatMoney, formatNumber, formatRelative, formatSpan, formatTime } from './dom.js';
import { drawChart } from './chart.js';
import { t } from './strings.js';

const DAY_MS = 86_400_000;

/** Cost sums by currency for UTC days from `fromDay` (YYYY-MM-DD) on. */
function costSince(byDay, fromDay) {
  const out = {};
  for (const row of byDay ?? []) {
    if (row.day >= fromDay) out[row.currency] = (out[row.currency] ?? 0) + row.total;
  }
  return out;
}

function moneyList(sums) {
  const entries = Object.entries(sums);
  return entries.length ? entries.map(([c, v]) => formatMoney(v, c)).join(' · ') : t('status.cost_none');
}

export function pausedText(channel) {
  if (channel?.paused) {
    const by = channel.by ?? '—';
    return channel.reason
      ? t('status.paused_operator', { by, reason: channel.reason })
      : t('status.paused_operator_no_reason', { by });
  }
  const circuit = channel?.circuit;
  if (circuit?.state === 'open') {
    return t('status.paused_circuit', {
      code: circuit.code ?? '—',
      reason: circuit.reason ?? '—',
      until: formatRelative(circuit.until),
    });
  }
  if (circuit?.state === 'half-open') return t('status.half_open');
  return undefined;
}

export class StatusHeader {
  constructor(root, { pauseDialog, onChanged }) {
    this.root = root;
    this.pauseDialog = pauseDialog;
    this.onChanged = onChanged;
    this.slow = { at: 0 };
    this.slowPending = false;
    this.lastOk = undefined;
    pauseDialog.querySelector('.dialog-close').addEventListener('click', () => pauseDialog.close());
    pauseDialog.querySelector('form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.setPaused(true, pauseDialog.querySelector('#pause-reason').value.trim());
    });
    pauseDialog.addEventListener('close', () => $('#pause-toggle')?.focus());
    $('#pause-toggle', root).addEventListener('click', () => {
      if (this.channel?.paused) void this.setPaused(false);
      else {
        pauseDialog.querySelector('#pause-reason').value = '';
        pauseDialog.showModal();
      }
    });
  }

  /**
   * Fast figures every tick; settings and monitoring (database views) every 10 s. Each source is
   * shown as soon as it answers, so a slow one (monitoring's first read of a large store) delays
   * nothing else; a failing one leaves the others shown and says which is stale.
   */
  async refresh(background = true) {
    const now = Date.now();
    const opts = { background };
    const slowDue = now - this.slow.at > 10_000 && !this.slowPending;
    const show = (promise, apply) =>
      promise.then((v) => {
        apply(v);
        this.render();
      });
    const jobs = [
      show(get('/api/v1/sms/channel', opts), (v) => {
        this.channel = v;
      }),
      show(get('/api/v1/sms/activity?minutes=60', opts), (v) => {
        this.activity = v;
      }),
    ];
    if (slowDue) {
      this.slowPending = true;
      const slow = Promise.allSettled([
        show(get('/api/v1/settings', opts), (v) => {
          this.slow.settings = v;
        }),
        show(get('/api/v2/monitoring', opts), (v) => {
          this.slow.monitoring = v;
        }),
      ]).finally(() => {
        this.slowPending = false;
        this.slow.at = Date.now();
      });
      // The fast figures do not wait for the slow ones; their failures are reported next time.
      void slow;
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && failed.reason instanceof ApiError && failed.reason.status === 401) return;
    if (!failed) this.lastOk = now;
    $('#status-freshness', this.root).textContent = failed
      ? t('status.stale', { time: this.lastOk ? formatTime(this.lastOk) : '—', error: failed.reason?.message ?? '' })
      : t('status.updated', { time: formatTime(now) });
  }

  render() {
    const { channel, activity } = this;
    const { settings, monitoring } = this.slow;
    const set = (id, text) => {
      $(id, this.root).textContent = text;
    };
    if (settings)
      set(
        '#status-service',
        (settings.sms ? settings.sms.outgoing_service : 'medic-gateway') || t('status.service_none'),
      );

    if (channel) {
      const paused = pausedText(channel);
      const sending = $('#status-sending', this.root);
      sending.textContent = paused ?? t('status.sending_on');
      sending.className = paused ? 'paused' : 'sending';
      const toggle = $('#pause-toggle', this.root);
      toggle.textContent = channel.paused ? t('status.resume') : t('status.pause');
      toggle.setAttribute('aria-pressed', channel.paused ? 'true' : 'false');
    }

    if (monitoring) {
      const oldest = monitoring.sms?.oldest_pending_age_seconds;
      set('#status-oldest', typeof oldest === 'number' && oldest >= 0 ? formatSpan(oldest) : t('status.none_waiting'));
      const today = new Date().toISOString().slice(0, 10);
      const weekStart = new Date(Date.now() - 6 * DAY_MS).toISOString().slice(0, 10);
      const byDay = monitoring.sms?.cost?.by_day;
      set('#status-cost-today', moneyList(costSince(byDay, today)));
      set('#status-cost-week', moneyList(costSince(byDay, weekStart)));
    }

    if (activity) {
      const day = activity.last_24h;
      set(
        '#status-24h',
        t('status.sent_delivered_failed', {
          sent: formatNumber(day.sent),
          delivered: formatNumber(day.delivered),
          failed: formatNumber(day.failed),
        }),
      );
      set('#status-24h-note', t('status.counting_since', { since: formatTime(activity.since) }));
      const known = day.delivered + day.failed;
      set('#status-ratio', known ? `${Math.round((day.delivered / known) * 100)} %` : t('status.ratio_none'));
      drawChart($('#chart', this.root), activity.minutes);
    }
  }

  async setPaused(paused, reason) {
    try {
      this.channel = await call(
        'PUT',
        '/api/v1/sms/channel',
        paused ? { paused, ...(reason ? { reason } : {}) } : { paused },
      );
      if (this.pauseDialog.open) this.pauseDialog.close();
      announce(paused ? t('pause.done') : t('resume.done'));
      await this.refresh(false);
      this.onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      const target = this.pauseDialog.open ? $('#pause-result', this.pauseDialog) : $('#status-freshness', this.root);
      target.textContent = t('action.failed', { error: err.message });
    }
  }
}
