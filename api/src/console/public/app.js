// The console's entry point: sign-in, the tabs, and the live loop that keeps counts, rows and
// the status header a few seconds behind the server at most.
import { ApiError, currentUser, get, resume, signIn, signOut, whenSignedOut } from './api.js';
import { BulkDialog } from './bulk.js';
import { $, announce, el, formatNumber } from './dom.js';
import { StatusHeader } from './header.js';
import { ListView } from './list-view.js';
import { MessageView } from './message-view.js';
import { t } from './strings.js';
import { countFor, tabById, TABS } from './tabs.js';

const POLL_MS = 2500;

function translate() {
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll('[data-t-label]'))
    node.setAttribute('aria-label', t(node.dataset.tLabel));
}

const state = { tab: undefined, timer: undefined, running: false };
let list;
let header;
let messageView;

function show(view) {
  $('#signin').hidden = view !== 'signin';
  $('#app').hidden = view !== 'app';
  $('#who').hidden = view !== 'app';
}

function buildTabs() {
  const tablist = $('#tablist');
  tablist.replaceChildren(
    ...TABS.map((tab) =>
      el(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${tab.id}`,
          aria: { selected: 'false', controls: 'tabpanel' },
          tabindex: '-1',
          data: { tab: tab.id },
          onclick: () => selectTab(tab.id),
        },
        el('span', { class: 'tab-label' }, t(`tab.${tab.id}`)),
        ' ',
        el('span', { class: 'count', id: `count-${tab.id}` }, ''),
      ),
    ),
  );
  tablist.addEventListener('keydown', (event) => {
    const ids = TABS.map((tab) => tab.id);
    const at = ids.indexOf(state.tab);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const id = ids[(next + ids.length) % ids.length];
    selectTab(id);
    $(`#tab-${id}`).focus();
  });
}

function selectTab(id) {
  const tab = tabById(id);
  state.tab = tab.id;
  for (const button of document.querySelectorAll('[role="tab"]')) {
    const selected = button.dataset.tab === tab.id;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  $('#tabpanel').setAttribute('aria-labelledby', `tab-${tab.id}`);
  if (location.hash !== `#${tab.id}`) history.replaceState(null, '', `#${tab.id}`);
  return list.show(tab);
}

async function refreshCounts(background = true) {
  let counts;
  try {
    counts = await get('/api/v1/messages/counts', { background });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) console.warn('counts unavailable', err.message);
    return;
  }
  for (const tab of TABS) {
    const n = countFor(tab, counts);
    const node = $(`#count-${tab.id}`);
    if (node) node.textContent = n === undefined ? '' : formatNumber(n);
  }
}

async function tick() {
  if (!state.running) return;
  if (!document.hidden) {
    await Promise.allSettled([refreshCounts(), list.load(true), header.refresh(), messageView.refresh()]);
  }
  if (state.running) state.timer = setTimeout(() => void tick(), POLL_MS);
}

function startLive() {
  if (state.running) return;
  state.running = true;
  void tick();
}

function stopLive() {
  state.running = false;
  clearTimeout(state.timer);
}

async function enterApp() {
  show('app');
  $('#who-name').textContent = t('signed_in_as', { user: currentUser() });
  const initial = location.hash.slice(1) || 'due';
  // The tab first: the header's figures (monitoring reads database views) must not delay the rows.
  await Promise.all([selectTab(initial), refreshCounts(false)]);
  await header.refresh(false);
  startLive();
}

function enterSignIn(message = '') {
  stopLive();
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  show('signin');
  $('#signin-error').textContent = message;
  $('#signin-password').value = '';
  list.reset();
  $('#signin-user').focus();
}

function wireSignIn() {
  const form = $('#signin-form');
  const submit = $('#signin-submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const user = $('#signin-user').value.trim();
    const password = $('#signin-password').value;
    submit.disabled = true;
    submit.textContent = t('signin.busy');
    try {
      await signIn(user, password);
      $('#signin-password').value = '';
      $('#signin-error').textContent = '';
      await enterApp();
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      $('#signin-error').textContent =
        status === 401
          ? t('signin.failed')
          : status === 429
            ? t('signin.throttled', { seconds: err.retryAfter ?? 60 })
            : t('signin.error', { error: err.message });
      $('#signin-password').focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t('signin.submit');
    }
  });
  $('#sign-out').addEventListener('click', async () => {
    try {
      await signOut();
    } finally {
      enterSignIn();
    }
  });
}

async function main() {
  translate();
  buildTabs();
  const refreshAll = () => void Promise.allSettled([refreshCounts(), list.load(true), header.refresh()]);
  messageView = new MessageView($('#message-dialog'), { onChanged: refreshAll });
  const bulk = new BulkDialog($('#bulk-dialog'), { onChanged: refreshAll });
  list = new ListView($('#tabpanel'), {
    onOpen: (m, incoming) => void messageView.open(m, incoming),
    onBulk: (tab, f) => bulk.open(tab, f),
  });
  header = new StatusHeader($('#status'), { pauseDialog: $('#pause-dialog'), onChanged: refreshAll });
  whenSignedOut(() => enterSignIn(t('signin.expired')));
  wireSignIn();
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.running) refreshAll();
  });
  let signedIn = false;
  try {
    signedIn = await resume();
  } catch (err) {
    announce(err.message);
  }
  if (signedIn) await enterApp();
  else enterSignIn();
}

void main();
