// One message in a dialog: its fields, its timeline (every state_history entry, every delivery
// report applied or not and why, the provider exchanges when the API has them) and the actions
// its state allows (retry, cancel, edit). The server decides: a refused action shows its reason.
import { ApiError, call, get } from './api.js';
import { announce, clear, detailsText, el, formatRelative, timeEl } from './dom.js';
import { stateBadge } from './list-view.js';
import { t } from './strings.js';

const RETRYABLE = new Set(['failed', 'pending']);
const CANCELLABLE = new Set(['pending', 'scheduled']);

function field(label, ...value) {
  return [el('dt', {}, label), el('dd', {}, ...value)];
}

function whyNotApplied(report) {
  return report.state ? t('view.report_why_late') : t('view.report_why_unknown');
}

function timelineEntries(m) {
  const entries = [];
  for (const h of m.state_history ?? []) {
    entries.push({
      at: h.timestamp,
      node: [
        stateBadge(h.state),
        detailsText(h.state_details) ? el('span', { class: 'details' }, detailsText(h.state_details)) : null,
      ],
    });
  }
  for (const r of m.delivery_reports ?? []) {
    entries.push({
      at: r.timestamp,
      node: [
        el('span', { class: 'report' }, `${t('view.reports')}: ${r.status}`),
        r.state ? el('span', {}, ' → ', stateBadge(r.state)) : null,
        r.details ? el('span', { class: 'details' }, r.details) : null,
        el(
          'span',
          { class: r.applied ? 'badge applied' : 'badge not-applied' },
          r.applied ? t('view.report_applied') : `${t('view.report_not_applied')}: ${whyNotApplied(r)}`,
        ),
      ],
    });
  }
  for (const x of m.exchanges ?? []) {
    entries.push({
      at: x.at ?? x.time ?? x.timestamp,
      node: [
        el(
          'span',
          { class: 'exchange' },
          `${x.method ?? ''} ${x.url ?? ''} → ${x.status ?? '—'}${x.elapsed_ms !== undefined ? ` (${x.elapsed_ms} ms)` : ''}`,
        ),
      ],
    });
  }
  return entries.sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

export class MessageView {
  constructor(dialog, { onChanged }) {
    this.dialog = dialog;
    this.onChanged = onChanged;
    this.body = dialog.querySelector('.dialog-body');
    this.title = dialog.querySelector('h2');
    this.opener = undefined;
    dialog.querySelector('.dialog-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => this.opener?.focus?.());
  }

  open(message, incoming = false) {
    this.opener = document.activeElement;
    this.message = undefined;
    this.incoming = incoming;
    this.title.textContent = incoming ? t('view.heading_incoming') : t('view.heading');
    clear(this.body).append(el('p', { role: 'status' }, t('view.loading')));
    if (!this.dialog.open) this.dialog.showModal();
    if (incoming) return this.render(message);
    return this.reload(message.id);
  }

  /** Live loop: the open message follows its state, unless the operator is editing or confirming. */
  refresh() {
    if (!this.dialog.open || this.incoming || !this.message || this.body.querySelector('.edit, .confirm'))
      return undefined;
    return this.reload(this.message.id, true);
  }

  async reload(id, background = false) {
    try {
      this.render(await get(`/api/v1/messages/${encodeURIComponent(id)}`, { background }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.dialog.close();
      clear(this.body).append(el('p', { class: 'error', role: 'alert' }, t('view.error', { error: err.message })));
    }
  }

  render(m) {
    const focusedId = this.body.contains(document.activeElement) ? document.activeElement.id : '';
    this.message = m;
    if (this.incoming) {
      clear(this.body).append(
        el(
          'dl',
          { class: 'fields' },
          field(t('view.from'), m.from ?? '—'),
          field(t('view.received'), timeEl(m.reported_date)),
          field(t('view.text'), el('span', { class: 'full-text' }, m.message)),
          field(t('view.form'), m.form ?? '—'),
          field(t('view.gateway_ref'), m.gateway_ref ?? '—'),
        ),
      );
      return;
    }
    const lease = m.lease;
    const dl = el(
      'dl',
      { class: 'fields' },
      field(t('view.to'), m.to),
      field(t('view.text'), el('span', { class: 'full-text', id: 'view-text' }, m.message)),
      field(
        t('view.state'),
        stateBadge(m.state),
        detailsText(m.state_details) ? el('span', { class: 'details' }, detailsText(m.state_details)) : null,
      ),
      field(t('view.id'), el('code', {}, m.id)),
      field(t('col.created'), timeEl(m.reported_date)),
      m.due ? field(t('col.due'), timeEl(m.due)) : null,
      m.gateway_ref ? field(t('view.gateway_ref'), el('code', {}, m.gateway_ref)) : null,
      m.attempts !== undefined ? field(t('view.attempts'), String(m.attempts)) : null,
      m.next_attempt_at
        ? field(t('view.next_attempt'), timeEl(m.next_attempt_at), ` (${formatRelative(m.next_attempt_at)})`)
        : null,
      lease
        ? field(
            t('view.lease'),
            t('view.lease_value', { owner: lease.owner, until: formatRelative(lease.until), attempt: lease.attempt }),
          )
        : null,
      m.message_parts !== undefined ? field(t('view.parts'), String(m.message_parts)) : null,
      m.cost ? field(t('view.cost'), m.cost) : null,
      m.last_error ? field(t('view.last_error'), `${m.last_error.code}: ${m.last_error.message}`) : null,
    );
    const entries = timelineEntries(m);
    const timeline = el(
      'section',
      { class: 'timeline', aria: { labelledby: 'timeline-heading' } },
      el('h3', { id: 'timeline-heading' }, t('view.timeline')),
      entries.length
        ? el(
            'ol',
            {},
            entries.map((e) => el('li', {}, timeEl(e.at), ' ', e.node)),
          )
        : el('p', {}, t('view.timeline_empty')),
    );
    const previous = this.body.querySelector('#action-result')?.textContent ?? '';
    clear(this.body).append(
      dl,
      this.actions(m),
      el('p', { class: 'action-result', id: 'action-result', role: 'status' }, previous),
      timeline,
    );
    if (focusedId) this.body.querySelector(`#${CSS.escape(focusedId)}`)?.focus();
  }

  actions(m) {
    const canRetry = RETRYABLE.has(m.state) && (m.state === 'failed' || (m.attempts ?? 0) > 0);
    const canCancel = CANCELLABLE.has(m.state);
    return el(
      'div',
      { class: 'actions' },
      canRetry
        ? el('button', { type: 'button', id: 'action-retry', onclick: () => this.act('retry') }, t('action.retry'))
        : null,
      canCancel
        ? el(
            'button',
            { type: 'button', id: 'action-edit', class: 'secondary', onclick: () => this.edit(m) },
            t('action.edit'),
          )
        : null,
      canCancel
        ? el(
            'button',
            { type: 'button', id: 'action-cancel', class: 'danger', onclick: () => this.confirmCancel() },
            t('action.cancel'),
          )
        : null,
    );
  }

  /** A second, explicit step in the page (no browser pop-up) before a message is cancelled. */
  confirmCancel() {
    const row = el(
      'div',
      { class: 'actions confirm', role: 'group', aria: { labelledby: 'confirm-cancel-text' } },
      el('p', { id: 'confirm-cancel-text' }, t('action.confirm_cancel')),
      el(
        'button',
        { type: 'button', id: 'action-cancel-confirm', class: 'danger', onclick: () => this.act('cancel') },
        t('action.cancel_yes'),
      ),
      el(
        'button',
        { type: 'button', class: 'secondary', onclick: () => this.render(this.message) },
        t('dialog.cancel'),
      ),
    );
    this.body.querySelector('.actions').replaceWith(row);
    row.querySelector('button').focus();
  }

  edit(m) {
    const area = el('textarea', { id: 'edit-text', rows: 4, maxlength: 4000 });
    area.value = m.message;
    const form = el(
      'form',
      { class: 'edit' },
      el('label', { for: 'edit-text' }, t('view.text')),
      area,
      el(
        'div',
        { class: 'buttons' },
        el('button', { type: 'submit', id: 'action-save' }, t('action.save')),
        el('button', { type: 'button', class: 'secondary', onclick: () => this.render(m) }, t('action.discard')),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.act('edit', { message: area.value });
    });
    this.body.querySelector('.actions').replaceWith(form);
    area.focus();
  }

  async act(action, body) {
    const id = encodeURIComponent(this.message.id);
    const result = this.body.querySelector('#action-result');
    try {
      const updated =
        action === 'edit'
          ? await call('PATCH', `/api/v1/messages/${id}`, body)
          : await call('POST', `/api/v1/messages/${id}/${action}`);
      const done = t(`action.done_${action}`);
      this.render(updated && updated.id ? updated : this.message);
      this.body.querySelector('#action-result').textContent = done;
      announce(done);
      this.onChanged();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.dialog.close();
      (this.body.querySelector('#action-result') ?? result).textContent = t('action.failed', { error: err.message });
    }
  }
}
