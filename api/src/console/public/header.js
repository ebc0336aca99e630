// The status header: selected service, whether sending is paused and why, oldest waiting
// message, last-24-hours outcomes, delivery ratio, cost today and this week, and the chart.
import { ApiError, call, get } from './api.js';
import { $, announce, clear, el, formatMoney, formatNumber, formatRelative, formatSpan, formatTime } from './dom.js';
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
    return channel.reason ? t('status.paused_operator', { by, reason: channel.reason }) : t('status.paused_operator_no_reason', { by });
  }
  const circuit = channel?.circuit;
  if (circuit?.state === 'open') {
    return t('status.paused_circuit', { code: circuit.code ?? '—', reason: circuit.reason ?? '—', until: formatRelative(circuit.until) });
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

  /** Fast figures every tick; settings and monitoring (database views) every 10 s. */
  async refresh() {
    const now = Date.now();
    const slowDue = now - this.slow.at > 10_000;
    try {
      const [channel, activity, settings, monitoring] = await Promise.all([
        get('/api/v1/sms/channel'),
        get('/api/v1/sms/activity?minutes=60'),
        slowDue ? get('/api/v1/settings') : this.slow.settings,
        slowDue ? get('/api/v2/monitoring') : this.slow.monitoring,
      ]);
      if (slowDue) this.slow = { at: now, settings, monitoring };
      this.channel = channel;
      this.render(channel, activity, settings, monitoring);
      this.lastOk = now;
      $('#status-freshness', this.root).textContent = t('status.updated', { time: formatTime(now) });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      $('#status-freshness', this.root).textContent = t('status.stale', { time: formatTime(this.lastOk), error: err.message });
    }
  }

  render(channel, activity, settings, monitoring) {
    const service = settings?.sms ? settings.sms.outgoing_service : 'medic-gateway';
    $('#status-service', this.root).textContent = service || t('status.service_none');

    const paused = pausedText(channel);
    const sending = $('#status-sending', this.root);
    sending.textContent = paused ?? t('status.sending_on');
    sending.className = paused ? 'paused' : 'sending';
    const toggle = $('#pause-toggle', this.root);
    toggle.textContent = channel.paused ? t('status.resume') : t('status.pause');
    toggle.setAttribute('aria-pressed', channel.paused ? 'true' : 'false');

    const oldest = monitoring?.sms?.oldest_pending_age_seconds;
    $('#status-oldest', this.root).textContent = typeof oldest === 'number' && oldest >= 0 ? formatSpan(oldest) : t('status.none_waiting');

    const day = activity.last_24h;
    $('#status-24h', this.root).textContent = t('status.sent_delivered_failed', {
      sent: formatNumber(day.sent), delivered: formatNumber(day.delivered), failed: formatNumber(day.failed),
    });
    $('#status-24h-note', this.root).textContent = t('status.counting_since', { since: formatTime(activity.since) });
    const known = day.delivered + day.failed;
    $('#status-ratio', this.root).textContent = known ? `${Math.round((day.delivered / known) * 100)} %` : t('status.ratio_none');

    const today = new Date().toISOString().slice(0, 10);
    const weekStart = new Date(Date.now() - 6 * DAY_MS).toISOString().slice(0, 10);
    const byDay = monitoring?.sms?.cost?.by_day;
    $('#status-cost-today', this.root).textContent = moneyList(costSince(byDay, today));
    $('#status-cost-week', this.root).textContent = moneyList(costSince(byDay, weekStart));

    drawChart($('#chart', this.root), activity.minutes);
  }

  async setPaused(paused, reason) {
    try {
      this.channel = await call('PUT', '/api/v1/sms/channel', paused ? { paused, ...(reason ? { reason } : {}) } : { paused });
      if (this.pauseDialog.open) this.pauseDialog.close();
      announce(paused ? t('pause.done') : t('resume.done'));
      await this.refresh();
      this.onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      const target = this.pauseDialog.open ? $('#pause-result', this.pauseDialog) : $('#status-freshness', this.root);
      target.textContent = t('action.failed', { error: err.message });
    }
  }
}

export function clearHeader(root) {
  clear($('#chart', root));
}
