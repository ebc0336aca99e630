// Bulk retry / cancel by filter (POST /api/v1/messages/bulk). The count comes first, from a
// dry run; the confirm button names that count and is withdrawn whenever the filter changes.
import { ApiError, call } from './api.js';
import { announce, clear, el } from './dom.js';
import { t } from './strings.js';

export class BulkDialog {
  constructor(dialog, { onChanged }) {
    this.dialog = dialog;
    this.onChanged = onChanged;
    this.body = dialog.querySelector('.dialog-body');
    this.title = dialog.querySelector('h2');
    this.opener = undefined;
    dialog.querySelector('.dialog-close').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => this.opener?.focus?.());
  }

  open(tab, filters) {
    this.opener = document.activeElement;
    const action = tab.bulk.action;
    this.title.textContent = t(`bulk.heading_${action}`);
    const state = el(
      'select',
      { id: 'bulk-state', name: 'state' },
      tab.states.map((s) => el('option', { value: s }, t(`state.${s}`))),
    );
    state.value = filters.state && tab.states.includes(filters.state) ? filters.state : tab.bulk.state;
    const phone = el('input', { id: 'bulk-phone', name: 'to', type: 'text', inputmode: 'tel', autocomplete: 'off' });
    phone.value = filters.phone ?? '';
    const reason = el('input', { id: 'bulk-reason', name: 'reason', type: 'text', autocomplete: 'off' });
    const dueBefore = el('input', { id: 'bulk-due-before', name: 'due_before', type: 'datetime-local' });
    const result = el('p', { id: 'bulk-result', role: 'status' });
    const confirm = el('button', {
      type: 'button',
      id: 'bulk-confirm',
      class: action === 'cancel' ? 'danger' : '',
      hidden: true,
    });
    const count = el('button', { type: 'submit', id: 'bulk-count' }, t('bulk.count'));

    const filter = () => {
      const f = { state: state.value };
      if (phone.value.trim()) f.to = phone.value.trim();
      if (reason.value.trim()) f.reason = reason.value.trim();
      if (dueBefore.value) f.due_before = new Date(dueBefore.value).toISOString();
      return f;
    };
    let counted;
    const form = el(
      'form',
      { class: 'bulk-form' },
      el('div', { class: 'field' }, el('label', { for: 'bulk-state' }, t('bulk.state')), state),
      el('div', { class: 'field' }, el('label', { for: 'bulk-phone' }, t('bulk.phone')), phone),
      el('div', { class: 'field' }, el('label', { for: 'bulk-reason' }, t('bulk.reason')), reason),
      el('div', { class: 'field' }, el('label', { for: 'bulk-due-before' }, t('bulk.due_before')), dueBefore),
      el('div', { class: 'buttons' }, count, confirm),
      result,
    );
    form.addEventListener('input', () => {
      if (!counted) return;
      counted = undefined;
      confirm.hidden = true;
      result.textContent = t('bulk.changed_filter');
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      result.textContent = t('bulk.counting');
      confirm.hidden = true;
      try {
        const f = filter();
        const answer = await call('POST', '/api/v1/messages/bulk', { action, filter: f, dry_run: true });
        counted = { filter: f, matched: answer.matched };
        result.textContent = answer.matched ? t('bulk.matched', { matched: answer.matched }) : t('bulk.matched_none');
        if (answer.matched) {
          confirm.textContent = t(`bulk.confirm_${action}`, { matched: answer.matched });
          confirm.hidden = false;
          confirm.focus();
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return this.dialog.close();
        result.textContent = t('action.failed', { error: err.message });
      }
    });
    confirm.addEventListener('click', async () => {
      if (!counted) return;
      confirm.disabled = true;
      try {
        const answer = await call('POST', '/api/v1/messages/bulk', { action, filter: counted.filter, dry_run: false });
        const done = t('bulk.done', { changed: answer.changed, matched: answer.matched });
        counted = undefined;
        confirm.hidden = true;
        result.textContent = done;
        announce(done);
        this.onChanged();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return this.dialog.close();
        result.textContent = t('action.failed', { error: err.message });
      } finally {
        confirm.disabled = false;
      }
    });
    clear(this.body).append(form);
    this.dialog.showModal();
    state.focus();
  }
}
