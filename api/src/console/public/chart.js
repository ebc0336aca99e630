// Messages per minute by outcome over the last hour, as stacked bars in an inline SVG drawn
// here (colours come from the stylesheet). Screen readers get the totals as the image's label.
import { clear, el, formatNumber } from './dom.js';
import { t } from './strings.js';

export const OUTCOMES = ['delivered', 'sent', 'retried', 'failed'];

const H = 150;
const PAD = { left: 34, right: 6, top: 8, bottom: 18 };

function niceMax(n) {
  if (n <= 4) return 4;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * pow >= n) return step * pow;
  return 10 * pow;
}

export function drawChart(container, minutes) {
  // Drawn at the container's pixel width (redrawn every refresh), so text is never stretched.
  const W = Math.max(280, Math.round(container.clientWidth || 600));
  const totals = Object.fromEntries(OUTCOMES.map((o) => [o, minutes.reduce((n, m) => n + (m[o] ?? 0), 0)]));
  const max = niceMax(Math.max(0, ...minutes.map((m) => OUTCOMES.reduce((n, o) => n + (m[o] ?? 0), 0))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, minutes.length);
  const y = (v) => PAD.top + plotH - (v / max) * plotH;

  const svg = el('svg:svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    id: 'activity-chart',
    'aria-label': t('chart.summary', totals),
  });
  for (const v of [0, max / 2, max]) {
    svg.append(
      el('svg:line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
      el('svg:text', { x: PAD.left - 4, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, formatNumber(v)),
    );
  }
  minutes.forEach((m, i) => {
    let base = 0;
    for (const outcome of OUTCOMES) {
      const v = m[outcome] ?? 0;
      if (!v) continue;
      svg.append(
        el(
          'svg:rect',
          {
            x: (PAD.left + i * slot + 0.5).toFixed(2),
            width: Math.max(1, slot - 1).toFixed(2),
            y: y(base + v).toFixed(2),
            height: ((v / max) * plotH).toFixed(2),
            class: `bar bar-${outcome}`,
            data: { minute: m.at, outcome },
          },
          el('svg:title', {}, `${new Date(m.at).toLocaleTimeString()} ${t(`outcome.${outcome}`)}: ${v}`),
        ),
      );
      base += v;
    }
  });
  svg.append(
    el('svg:text', { x: PAD.left, y: H - 4, class: 'axis' }, t('chart.hour_ago')),
    el('svg:text', { x: W - PAD.right, y: H - 4, class: 'axis', 'text-anchor': 'end' }, t('chart.now')),
  );
  const legend = el(
    'ul',
    { class: 'legend', aria: { hidden: 'true' } },
    OUTCOMES.map((o) =>
      el('li', {}, el('span', { class: `swatch bar-${o}` }), `${t(`outcome.${o}`)} ${formatNumber(totals[o])}`),
    ),
  );
  clear(container).append(svg, legend);
}
