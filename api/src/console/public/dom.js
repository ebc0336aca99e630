// DOM helpers. Text always goes in through textContent (never innerHTML): message texts and
// phone numbers come from anyone who can send an SMS.
import { t } from './strings.js';

/**
 * el('button', {class: 'x', type: 'button', onclick: fn, aria: {label: '…'}}, 'text', child)
 * Strings among children become text nodes; null/undefined/false children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'aria' || name === 'data') {
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined && v !== null) node.setAttribute(`${name}-${k}`, String(v));
      }
    } else if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'text') {
      node.textContent = String(value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

const announcer = () => document.getElementById('announcer');

/** Says something to screen readers (and shows it in the status line). */
export function announce(message) {
  const node = announcer();
  if (!node) return;
  node.textContent = '';
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => {
    node.textContent = message;
  }, 30);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function toDate(value) {
  if (value === undefined || value === null || value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatDate(value) {
  const d = toDate(value);
  return d ? dateFormat.format(d) : '—';
}

export function formatTime(value) {
  const d = toDate(value);
  return d ? timeFormat.format(d) : '—';
}

export function formatSpan(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 90) return t('time.seconds', { n: s });
  if (s < 90 * 60) return t('time.minutes', { n: Math.round(s / 60) });
  if (s < 36 * 3600) return t('time.hours', { n: Math.round(s / 3600) });
  return t('time.days', { n: Math.round(s / 86400) });
}

/** "5 min ago" / "in 2 h" relative to now. */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return '—';
  const seconds = (d.getTime() - now) / 1000;
  return seconds <= 0 ? t('time.ago', { span: formatSpan(seconds) }) : t('time.in', { span: formatSpan(seconds) });
}

/** A <time> element: absolute text, machine-readable datetime, relative time as its title. */
export function timeEl(value) {
  const d = toDate(value);
  if (!d) return el('span', {}, '—');
  return el('time', { datetime: d.toISOString(), title: formatRelative(d) }, formatDate(d));
}

export function formatNumber(n) {
  return new Intl.NumberFormat().format(n);
}

export function formatMoney(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 4 }).format(amount);
  } catch {
    return `${currency} ${amount}`;
  }
}

/** state_details may be a string or an object (CHT gateways write objects). */
export function detailsText(details) {
  if (details === undefined || details === null || details === '') return '';
  if (typeof details === 'string') return details;
  try {
    return JSON.stringify(details);
  } catch {
    return String(details);
  }
}
