// A horizontal bar chart in SVG (no chart library): one labelled bar a row, values written beside
// the bars, and a table of the same numbers for screen readers.

import { el, svg } from './dom';

export interface Bar {
  label: string;
  value: number;
  text: string;  // the value as shown ("41 %", "2.3 s")
  tone?: 'normal' | 'warning' | 'critical';
}

const kRowPx = 30;
const kMinWidthPx = 300;
const kMaxWidthPx = 760;
const kCompactBelowPx = 480;

// Replaces what `container` holds with the chart; `title` names it for assistive technology.
export function drawBarChart(container: HTMLElement, title: string, bars: Bar[]): void {
  container.replaceChildren();
  if (bars.length === 0) {
    container.append(el('p', { class: 'muted', text: 'No jobs measured yet.' }));
    return;
  }
  const max = Math.max(...bars.map((bar) => bar.value), 1e-9);
  // Drawn at the container's width, one SVG unit a CSS pixel, so text stays readable on a phone;
  // narrow (compact), each label stands above its bar instead of beside it.
  const width = Math.min(kMaxWidthPx, Math.max(kMinWidthPx, Math.round(container.clientWidth || kMaxWidthPx)));
  const compact = width < kCompactBelowPx;
  const rowPx = compact ? 44 : kRowPx;
  const labelPx = compact ? 0 : 170;
  const valuePx = compact ? 120 : 150;
  const barTop = compact ? 20 : 5;
  const barHeight = compact ? 16 : kRowPx - 10;
  const height = bars.length * rowPx;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'bar-chart',
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'xMinYMin meet',
  });
  const heading = svg('title');
  heading.textContent = title;
  chart.append(heading);
  const track = width - labelPx - valuePx;
  bars.forEach((bar, row) => {
    const y = row * rowPx;
    const label = compact
      ? svg('text', { x: 0, y: y + 10, class: 'bar-label', 'dominant-baseline': 'middle' })
      : svg('text', { x: labelPx - 8, y: y + rowPx / 2, class: 'bar-label', 'text-anchor': 'end',
        'dominant-baseline': 'middle' });
    label.textContent = bar.label;
    const length = Math.max(2, (bar.value / max) * track);
    const rect = svg('rect', { x: labelPx, y: y + barTop, width: length, height: barHeight, rx: 3,
      class: `bar bar-${bar.tone ?? 'normal'}` });
    const value = svg('text', { x: labelPx + length + 6, y: y + barTop + barHeight / 2, class: 'bar-value',
      'dominant-baseline': 'middle' });
    value.textContent = bar.text;
    chart.append(label, rect, value);
  });
  const table = el('table', { class: 'visually-hidden' },
    el('caption', { text: title }),
    el('tbody', {}, ...bars.map((bar) => el('tr', {}, el('th', { scope: 'row', text: bar.label }),
      el('td', { text: bar.text })))));
  container.append(chart, table);
}
