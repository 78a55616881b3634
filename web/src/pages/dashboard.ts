// The Dashboard page: GPU memory and utilisation (polled while the page is shown), the time each
// pipeline stage takes, bottlenecks and recommendations.

import { getJson, messageOf } from '../api';
import { drawBarChart, type Bar } from '../chart';
import { byId, el, formatSeconds, showError } from '../dom';
import { asNumber, asObject, firstNumber, type Json } from '../json';
import { stageLabel } from '../progress';

const kPollMs = 2000;

export function formatMb(mb: number | null): string {
  if (mb === null) return '–';
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${Math.round(mb)} MiB`;
}

interface StageShare {
  name: string;
  percent: number | null;
  seconds: number | null;
}

// The stages of /api/performance/summary, whatever its exact shape: a list of {name|stage, …} or an
// object by stage name, with a share (percent) and/or mean seconds.
export function stageShares(summary: unknown): StageShare[] {
  const root = asObject(summary);
  if (!root) return [];
  const out = new Map<string, StageShare>();
  const take = (name: string, entry: unknown) => {
    const object = asObject(entry);
    const share = object
      ? firstNumber(object, 'avg_percent', 'percent', 'share_percent', 'share', 'fraction')
      : asNumber(entry);
    const milliseconds = object ? firstNumber(object, 'mean_ms', 'avg_ms') : null;
    const seconds = object
      ? firstNumber(object, 'mean_s', 'avg_s', 'average_s', 'mean_seconds', 'seconds') ??
        (milliseconds !== null ? milliseconds / 1000 : null)
      : null;
    const percent = share !== null && share <= 1 && (object?.share !== undefined || object?.fraction !== undefined)
      ? share * 100 : share;
    const previous = out.get(name);
    out.set(name, { name, percent: percent ?? previous?.percent ?? null, seconds: seconds ?? previous?.seconds ?? null });
  };
  for (const key of ['stages', 'stage_shares', 'shares']) {
    const value = root[key];
    if (Array.isArray(value)) {
      for (const item of value) {
        const object = asObject(item);
        const name = typeof object?.name === 'string' ? object.name : typeof object?.stage === 'string' ? object.stage : null;
        if (name) take(name, item);
      }
    } else if (asObject(value)) {
      for (const [name, entry] of Object.entries(value as Json)) take(name, entry);
    }
  }
  return [...out.values()];
}

function severityTone(severity: unknown): Bar['tone'] {
  if (severity === 'high' || severity === 'critical') return 'critical';
  if (severity === 'medium' || severity === 'warning') return 'warning';
  return 'normal';
}

export function setUpDashboardPage(): { start: () => void; stop: () => void } {
  const errorBox = byId('dashboard-error');
  let timer: number | undefined;
  let running = false;

  const setMeter = (id: string, percent: number | null) => {
    const clamped = percent === null ? 0 : Math.max(0, Math.min(100, percent));
    byId(`${id}-fill`).style.width = `${clamped}%`;
    const meter = byId(`${id}-meter`);
    meter.setAttribute('aria-valuenow', String(Math.round(clamped)));
    meter.dataset.level = clamped >= 90 ? 'critical' : clamped >= 75 ? 'warning' : 'normal';
  };

  const showGpu = (status: unknown) => {
    const gpu = asObject(status);
    const total = firstNumber(gpu, 'total_mb');
    const used = firstNumber(gpu, 'used_mb');
    const free = firstNumber(gpu, 'free_mb') ?? (total !== null && used !== null ? total - used : null);
    const utilization = firstNumber(gpu, 'utilization', 'utilization_percent');
    // Without a GPU the server reports the host's memory, and there is no utilisation to show.
    const onGpu = gpu?.gpu_available !== false && gpu?.mode !== 'cpu';
    byId('page-dashboard').dataset.mode = onGpu ? 'gpu' : 'cpu';
    byId('memory-title').textContent = onGpu ? 'GPU memory' : 'Host memory (no GPU: jobs run on the CPU)';
    byId('gpu-used').textContent = formatMb(used);
    byId('gpu-total').textContent = formatMb(total);
    byId('gpu-free').textContent = formatMb(free);
    setMeter('gpu-memory', total && used !== null ? (used / total) * 100 : null);
    byId('gpu-utilization').textContent =
      utilization !== null ? `${Math.round(utilization)} %` : onGpu ? 'not reported' : 'no GPU';
    setMeter('gpu-utilization', utilization);
    byId('gpu-updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;

    const devices = Array.isArray(gpu?.devices) ? gpu.devices.map(asObject).filter((d): d is Json => d !== null) : [];
    const box = byId('device-table');
    if (devices.length === 0) {
      box.replaceChildren(el('p', { class: 'muted', text: 'No GPU on this server: jobs run on the CPU.' }));
      return;
    }
    const rows = devices.map((device, index) => {
      const name = typeof device.name === 'string' ? device.name : `device ${index}`;
      const id = typeof device.id === 'string' || typeof device.id === 'number' ? String(device.id) : String(index);
      const deviceUtil = firstNumber(device, 'utilization', 'utilization_percent');
      return el('tr', {},
        el('td', { text: id }),
        el('th', { scope: 'row', text: name }),
        el('td', { class: 'num', text: formatMb(firstNumber(device, 'used_mb')) }),
        el('td', { class: 'num', text: formatMb(firstNumber(device, 'total_mb')) }),
        el('td', { class: 'num', text: deviceUtil === null ? '–' : `${Math.round(deviceUtil)} %` }));
    });
    box.replaceChildren(el('table', { class: 'table' },
      el('thead', {}, el('tr', {}, ...['Id', 'Device', 'Used', 'Total', 'Utilisation'].map((h, i) => el('th', { scope: 'col', class: i >= 2 ? 'num' : '', text: h })))),
      el('tbody', {}, ...rows)));
  };

  const showSummary = (summary: unknown) => {
    const shares = stageShares(summary);
    const havePercent = shares.some((s) => s.percent !== null);
    const bottlenecks = Array.isArray(asObject(summary)?.bottlenecks) ? (asObject(summary)!.bottlenecks as unknown[]) : [];
    const severities = new Map<string, unknown>();
    for (const item of bottlenecks) {
      const b = asObject(item);
      if (typeof b?.stage === 'string') severities.set(b.stage, b.severity);
    }
    const bars: Bar[] = shares
      .filter((s) => (havePercent ? s.percent : s.seconds) !== null)
      .map((s) => {
        const value = (havePercent ? s.percent : s.seconds) ?? 0;
        const text = havePercent
          ? `${value.toFixed(1)} %${s.seconds !== null ? ` · ${formatSeconds(s.seconds)}` : ''}`
          : formatSeconds(value);
        return { label: stageLabel(s.name), value, text, tone: severityTone(severities.get(s.name)) };
      });
    drawBarChart(byId('stage-chart'), havePercent ? 'Share of a job\'s time by stage' : 'Mean seconds by stage', bars);

    const list = byId('bottlenecks');
    list.replaceChildren(...bottlenecks.map(asObject).filter((b): b is Json => b !== null).map((b) => {
      const share = firstNumber(b, 'avg_percent', 'percent');
      const severity = typeof b.severity === 'string' ? b.severity : '';
      return el('li', { 'data-severity': severity },
        el('strong', { text: stageLabel(typeof b.stage === 'string' ? b.stage : '?') }),
        ` — ${share !== null ? `${share.toFixed(1)} % of the time` : ''}${severity ? ` (${severity})` : ''}`);
    }));
    if (list.childElementCount === 0) list.append(el('li', { class: 'muted', text: 'None.' }));
  };

  const showRecommendations = (answer: unknown) => {
    const object = asObject(answer);
    const items = Array.isArray(object?.recommendations) ? object.recommendations : Array.isArray(answer) ? answer : [];
    const list = byId('recommendations');
    list.replaceChildren(...items.map((item) => {
      if (typeof item === 'string') return el('li', { text: item });
      const r = asObject(item);
      const text = [r?.title, r?.message, r?.text, r?.recommendation, r?.detail].find((v) => typeof v === 'string');
      return el('li', { text: typeof text === 'string' ? text : JSON.stringify(item) });
    }));
    if (list.childElementCount === 0) list.append(el('li', { class: 'muted', text: 'None right now.' }));
  };

  const refresh = async () => {
    const [gpu, summary, recommendations] = await Promise.allSettled([
      getJson('/api/gpu/status'),
      getJson('/api/performance/summary'),
      getJson('/api/performance/recommendations'),
    ]);
    if (!running) return;
    const errors: string[] = [];
    if (gpu.status === 'fulfilled') showGpu(gpu.value);
    else errors.push(`GPU status: ${messageOf(gpu.reason)}`);
    if (summary.status === 'fulfilled') showSummary(summary.value);
    else errors.push(`Performance summary: ${messageOf(summary.reason)}`);
    if (recommendations.status === 'fulfilled') showRecommendations(recommendations.value);
    else errors.push(`Recommendations: ${messageOf(recommendations.reason)}`);
    showError(errorBox, errors.length ? errors.join(' · ') : null);
    byId('page-dashboard').dataset.loaded = 'true';
  };

  const tick = async () => {
    await refresh();
    if (running && !document.hidden) timer = window.setTimeout(tick, kPollMs);
  };

  document.addEventListener('visibilitychange', () => {
    if (running && !document.hidden) {
      window.clearTimeout(timer);
      void tick();
    }
  });

  return {
    start: () => {
      if (running) return;
      running = true;
      void tick();
    },
    stop: () => {
      running = false;
      window.clearTimeout(timer);
    },
  };
}
