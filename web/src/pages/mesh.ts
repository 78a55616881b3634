// The Mesh tools page: upload an STL, OBJ or PLY; analyze it (a table of what the server found),
// or repair or simplify it (the server answers the mesh, downloaded, with its report).

import { ApiError, attachmentName, getJson, messageOf, request } from '../api';
import { byId, el, formatBytes, saveBlob, showError } from '../dom';

type Action = 'analyze' | 'repair' | 'simplify';

// Nested JSON as rows: {"bounding_box": {"size": [1, 2, 3]}} → ["bounding box · size", "1 × 2 × 3"].
export function reportRows(value: unknown, prefix = ''): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return [[prefix || 'value', formatValue(value)]];
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, 'none']];
    if (value.every((v) => typeof v === 'number')) return [[prefix, value.map(formatValue).join(' × ')]];
    return [[prefix, value.map((v) => (Array.isArray(v) ? `(${v.map(formatValue).join(', ')})` : formatValue(v))).join(', ')]];
  }
  const rows: Array<[string, string]> = [];
  for (const [key, inner] of Object.entries(value)) {
    const label = prefix ? `${prefix} · ${key.replace(/_/g, ' ')}` : key.replace(/_/g, ' ');
    rows.push(...reportRows(inner, label));
  }
  return rows;
}

function formatValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value || '–';
  return JSON.stringify(value);
}

export function setUpMeshPage(): void {
  const form = byId<HTMLFormElement>('mesh-form');
  const input = byId<HTMLInputElement>('mesh-input');
  const format = byId<HTMLSelectElement>('mesh-format');
  const faces = byId<HTMLInputElement>('mesh-faces');
  const status = byId('mesh-status');
  const errorBox = byId('mesh-error');
  const report = byId('mesh-report');
  const buttons = ['analyze-button', 'repair-button', 'simplify-button'].map((id) => byId<HTMLButtonElement>(id));

  const showReport = (title: string, data: unknown) => {
    const rows = reportRows(data);
    report.replaceChildren(el('table', { class: 'table report' },
      el('caption', { text: title }),
      el('tbody', {}, ...rows.map(([key, text]) => el('tr', { 'data-key': key },
        el('th', { scope: 'row', text: key }), el('td', { text }))))));
  };

  const run = async (action: Action) => {
    showError(errorBox, null);
    const file = input.files?.[0];
    if (!file) {
      showError(errorBox, 'Choose a mesh file first.');
      input.focus();
      return;
    }
    const query = new URLSearchParams();
    const extension = file.name.toLowerCase().split('.').pop() ?? '';
    if (['stl', 'obj', 'ply'].includes(extension)) query.set('input', extension);
    if (action !== 'analyze' && format.value) query.set('format', format.value);
    if (action === 'simplify') {
      const target = Number(faces.value);
      if (!Number.isInteger(target) || target < 4) {
        showError(errorBox, 'The face count must be a whole number of at least 4.');
        faces.focus();
        return;
      }
      query.set('faces', String(target));
    }
    buttons.forEach((b) => (b.disabled = true));
    form.setAttribute('aria-busy', 'true');
    status.textContent = `${action === 'analyze' ? 'Analyzing' : action === 'repair' ? 'Repairing' : 'Simplifying'} ${file.name}…`;
    const init: RequestInit = { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } };
    try {
      if (action === 'analyze') {
        showReport(`Analysis of ${file.name}`, await getJson(`/api/mesh/analyze?${query}`, init));
        status.textContent = `Analyzed ${file.name}.`;
      } else {
        const response = await request(`/api/mesh/${action}?${query}`, init);
        const blob = await response.blob();
        const outputExtension = format.value || extension || 'stl';
        const stem = file.name.replace(/\.[^.]+$/, '');
        const name = attachmentName(response, `${stem}-${action === 'repair' ? 'repaired' : 'simplified'}.${outputExtension}`);
        let details: unknown = null;
        try {
          details = JSON.parse(response.headers.get('X-Orfeas-Report') ?? 'null');
        } catch {
          details = null;  // no report header: the file is what matters
        }
        if (details) showReport(`${action === 'repair' ? 'Repair' : 'Simplification'} of ${file.name}`, details);
        saveBlob(blob, name);
        status.textContent = `Saved ${name} (${formatBytes(blob.size)}).`;
      }
    } catch (error) {
      status.textContent = '';
      showError(errorBox, error instanceof ApiError ? `${error.message} (${error.code})` : messageOf(error));
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      form.removeAttribute('aria-busy');
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run('analyze');
  });
  byId('repair-button').addEventListener('click', () => void run('repair'));
  byId('simplify-button').addEventListener('click', () => void run('simplify'));
}
