// One tab's panel: the filter form, the table of messages (newest first, 50 a page, cursor
// paging) and the tab's bulk action. Refreshed by the live loop without losing focus.
import { ApiError, get, query } from './api.js';
import { $, announce, clear, detailsText, el, timeEl } from './dom.js';
import { t } from './strings.js';
import { isDelayed, lastUpdate, listQuery, PAGE_SIZE } from './tabs.js';

const stateLabel = (state) => (state ? t(`state.${state}`) : '—');

export function stateBadge(state) {
  return el('span', { class: `state state-${state ?? 'unknown'}` }, stateLabel(state));
}

export class ListView {
  constructor(panel, { onOpen, onBulk }) {
    this.panel = panel;
    this.onOpen = onOpen;
    this.onBulk = onBulk;
    this.tab = undefined;
    this.filters = { state: '', phone: '' };
    this.cursors = [undefined];
    this.signature = '';
    this.loading = undefined;
  }

  get page() {
    return this.cursors.length;
  }

  /** Signed out: forget the tab, so an answer still on its way is dropped. */
  reset() {
    this.tab = undefined;
    this.loading = undefined;
    clear(this.panel);
  }

  show(tab) {
    this.tab = tab;
    this.filters = { state: '', phone: '' };
    this.cursors = [undefined];
    this.signature = '';
    this.render();
    return this.load();
  }

  render() {
    const tab = this.tab;
    const stateSelect = el(
      'select',
      { id: 'filter-state', name: 'state', disabled: tab.states.length < 2 },
      el('option', { value: '' }, t('filter.state_all')),
      tab.states.map((s) => el('option', { value: s }, stateLabel(s))),
    );
    const phone = el('input', {
      id: 'filter-phone',
      name: 'phone',
      type: 'search',
      inputmode: 'tel',
      autocomplete: 'off',
      aria: { describedby: 'filter-phone-help' },
    });
    const form = el(
      'form',
      { class: 'filters', role: 'search', aria: { label: t('filter.heading') } },
      tab.states.length > 1
        ? el('div', { class: 'field' }, el('label', { for: 'filter-state' }, t('filter.state')), stateSelect)
        : null,
      el(
        'div',
        { class: 'field' },
        el('label', { for: 'filter-phone' }, t('filter.phone')),
        phone,
        el('small', { id: 'filter-phone-help' }, t('filter.phone_help')),
      ),
      el(
        'div',
        { class: 'buttons' },
        el('button', { type: 'submit' }, t('filter.apply')),
        el('button', { type: 'reset', class: 'secondary' }, t('filter.clear')),
      ),
      tab.bulk
        ? el(
            'button',
            { type: 'button', class: 'bulk', id: 'bulk-open', onclick: () => this.onBulk(tab, this.filters) },
            t(`bulk.${tab.bulk.action}`),
          )
        : null,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.filters = { state: stateSelect.value, phone: phone.value.trim() };
      this.cursors = [undefined];
      void this.load();
    });
    form.addEventListener('reset', () => {
      this.filters = { state: '', phone: '' };
      this.cursors = [undefined];
      void this.load();
    });
    clear(this.panel).append(
      el('p', { class: 'tab-help' }, t(`tab.help.${tab.id}`)),
      form,
      el('p', { class: 'list-status', id: 'list-status', role: 'status' }, t('list.loading')),
      el('div', { class: 'table-wrap', id: 'table-wrap' }),
      el('nav', { class: 'pager', id: 'pager', aria: { label: t('list.page', { page: '' }).trim() } }),
    );
  }

  /** Loads the current page; `quiet` (the live loop) re-renders only when something changed. */
  async load(quiet = false) {
    const tab = this.tab;
    if (!tab) return;
    const cursor = this.cursors[this.cursors.length - 1];
    const params = { ...listQuery(tab, this.filters), limit: PAGE_SIZE, cursor };
    const status = $('#list-status', this.panel);
    const request = get(`/api/v1/messages${query(params)}`, { background: quiet });
    this.loading = request;
    let answer;
    try {
      answer = await request;
    } catch (err) {
      if (this.loading !== request || tab !== this.tab) return;
      if (status && !(err instanceof ApiError && err.status === 401))
        status.textContent = t('list.error', { error: err.message });
      return;
    }
    if (this.loading !== request || tab !== this.tab) return;
    const messages = answer?.messages ?? [];
    const signature = JSON.stringify([messages, answer?.next_cursor ?? null, Math.floor(Date.now() / 60_000)]);
    if (quiet && signature === this.signature) return;
    this.signature = signature;
    this.renderTable(messages, answer?.next_cursor);
    if (quiet) announce(t('list.updated_rows'));
  }

  renderTable(messages, nextCursor) {
    const tab = this.tab;
    const wrap = $('#table-wrap', this.panel);
    const status = $('#list-status', this.panel);
    const focusedId = document.activeElement?.closest?.('tr[data-id]')?.dataset.id;
    status.textContent = messages.length ? t('list.page', { page: this.page }) : t('list.empty');
    const columns = tab.incoming
      ? ['col.sender', 'col.received', 'col.message', 'col.form']
      : ['col.recipient', 'col.created', 'col.message', 'col.state', 'col.due', 'col.updated'];
    const table = el(
      'table',
      { class: 'messages', id: 'messages' },
      el('caption', { class: 'visually-hidden' }, `${t(`tab.${tab.id}`)} — ${t('list.page', { page: this.page })}`),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          columns.map((c) => el('th', { scope: 'col' }, t(c))),
        ),
      ),
      el(
        'tbody',
        {},
        messages.map((m) => (tab.incoming ? this.incomingRow(m) : this.outgoingRow(m, tab))),
      ),
    );
    clear(wrap).append(table);
    if (focusedId) $(`tr[data-id="${CSS.escape(focusedId)}"] button`, wrap)?.focus();

    const pager = $('#pager', this.panel);
    const buttons = [];
    if (this.page > 1)
      buttons.push(
        el('button', { type: 'button', class: 'secondary', onclick: () => this.firstPage() }, t('list.first')),
      );
    if (nextCursor)
      buttons.push(
        el(
          'button',
          { type: 'button', id: 'next-page', onclick: () => this.nextPage(nextCursor) },
          t('list.more', { limit: PAGE_SIZE }),
        ),
      );
    clear(pager).append(...buttons);
  }

  outgoingRow(m, tab) {
    const delayed = tab.delayed && isDelayed(m);
    const details = detailsText(m.state_details);
    return el(
      'tr',
      { data: { id: m.id, state: m.state } },
      el(
        'td',
        { data: { label: t('col.recipient') } },
        el(
          'button',
          {
            type: 'button',
            class: 'link',
            aria: { label: t('list.open', { to: m.to }) },
            onclick: () => this.onOpen(m),
          },
          m.to,
        ),
      ),
      el('td', { data: { label: t('col.created') } }, timeEl(m.reported_date)),
      el(
        'td',
        { data: { label: t('col.message') }, class: 'text' },
        el('span', { class: 'clamp', title: m.message }, m.message),
      ),
      el(
        'td',
        { data: { label: t('col.state') } },
        stateBadge(m.state),
        delayed ? el('span', { class: 'badge delayed', title: t('delayed_help') }, t('delayed')) : null,
        details ? el('span', { class: 'details' }, details) : null,
      ),
      el('td', { data: { label: t('col.due') } }, timeEl(m.due ?? m.reported_date)),
      el('td', { data: { label: t('col.updated') } }, timeEl(lastUpdate(m))),
    );
  }

  incomingRow(m) {
    return el(
      'tr',
      { data: { id: m.id } },
      el(
        'td',
        { data: { label: t('col.sender') } },
        el(
          'button',
          {
            type: 'button',
            class: 'link',
            aria: { label: t('list.open', { to: m.from ?? '' }) },
            onclick: () => this.onOpen(m, true),
          },
          m.from ?? '—',
        ),
      ),
      el('td', { data: { label: t('col.received') } }, timeEl(m.reported_date)),
      el(
        'td',
        { data: { label: t('col.message') }, class: 'text' },
        el('span', { class: 'clamp', title: m.message }, m.message),
      ),
      el('td', { data: { label: t('col.form') } }, m.form ?? '—'),
    );
  }

  nextPage(cursor) {
    this.cursors.push(cursor);
    void this.load().then(() => $('#messages caption', this.panel) && $('#table-wrap button', this.panel)?.focus());
  }

  firstPage() {
    this.cursors = [undefined];
    void this.load().then(() => $('#table-wrap button', this.panel)?.focus());
  }
}
