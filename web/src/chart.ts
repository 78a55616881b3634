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
const kLabelPx = 170;
const kValuePx = 150;
const kWidthPx = 640;

// Replaces what `container` holds with the chart; `title` names it for assistive technology.
export function drawBarChart(container: HTMLElement, title: string, bars: Bar[]): void {
  container.replaceChildren();
  if (bars.length === 0) {
    container.append(el('p', { class: 'muted', text: 'No jobs measured yet.' }));
    return;
  }
  const max = Math.max(...bars.map((bar) => bar.value), 1e-9);
  const height = bars.length * kRowPx;
  const chart = svg('svg', {
    viewBox: `0 0 ${kWidthPx} ${height}`,
    class: 'bar-chart',
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'xMinYMin meet',
  });
  const heading = svg('title');
  heading.textContent = title;
  chart.append(heading);
  const track = kWidthPx - kLabelPx - kValuePx;
  bars.forEach((bar, row) => {
    const y = row * kRowPx;
    const label = svg('text', { x: kLabelPx - 8, y: y + kRowPx / 2, class: 'bar-label', 'text-anchor': 'end',
      'dominant-baseline': 'middle' });
    label.textContent = bar.label;
    const width = Math.max(2, (bar.value / max) * track);
    const rect = svg('rect', { x: kLabelPx, y: y + 5, width, height: kRowPx - 10, rx: 3,
      class: `bar bar-${bar.tone ?? 'normal'}` });
    const value = svg('text', { x: kLabelPx + width + 6, y: y + kRowPx / 2, class: 'bar-value',
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
