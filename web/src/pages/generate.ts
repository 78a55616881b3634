// The Generate page: pick or drop an image, choose the format, quality and size, submit, follow
// the job's progress live, see the model on a print bed and download it.

import { ApiError, attachmentName, getJson, messageOf, request } from '../api';
import { drawBarChart } from '../chart';
import { byId, el, formatBytes, formatSeconds, saveBlob, showError } from '../dom';
import { cancelJob, followJob, submitJob } from '../jobs';
import {
  applyRecord, formatEta, initialProgress, isFinal, kStages, profileOf, stageLabel, type JobProgress,
} from '../progress';
import { formatOfName, formatSize, MeshViewer, webGlAvailable, type MeshFormat } from '../viewer';

const kAcceptedTypes = new Set(['image/png', 'image/jpeg', 'image/webp']);

export function setUpGeneratePage(): void {
  const form = byId<HTMLFormElement>('generate-form');
  const drop = byId('drop');
  const input = byId<HTMLInputElement>('image-input');
  const preview = byId<HTMLImageElement>('image-preview');
  const dropText = byId('drop-text');
  const format = byId<HTMLSelectElement>('format');
  const quality = byId<HTMLInputElement>('quality');
  const qualityValue = byId<HTMLOutputElement>('quality-value');
  const size = byId<HTMLInputElement>('size');
  const generateButton = byId<HTMLButtonElement>('generate-button');
  const cancelButton = byId<HTMLButtonElement>('cancel-button');
  const errorBox = byId('generate-error');
  const progressPanel = byId('progress-panel');
  const progressStatus = byId('progress-status');
  const progressEta = byId('progress-eta');
  const progressBar = byId('progress-bar');
  const progressFill = byId('progress-fill');
  const progressPercent = byId('progress-percent');
  const stageList = byId('stage-list');
  const viewerBox = byId('viewer');
  const downloadButton = byId<HTMLButtonElement>('download-button');
  const resultInfo = byId('result-info');
  const profile = byId('profile');
  const profileChart = byId('profile-chart');

  let image: File | null = null;
  let previewUrl: string | null = null;
  let following: AbortController | null = null;
  let jobId: string | null = null;
  let result: { blob: Blob; name: string } | null = null;
  let viewer: MeshViewer | null = null;

  const stageItems = new Map<string, HTMLLIElement>();
  for (const stage of kStages) {
    const item = el('li', { 'data-stage': stage.name, text: stage.label });
    stageItems.set(stage.name, item);
    stageList.append(item);
  }

  quality.addEventListener('input', () => {
    qualityValue.value = quality.value;
  });

  const choose = (file: File | undefined) => {
    if (!file) return;
    if (file.type && !kAcceptedTypes.has(file.type)) {
      showError(errorBox, `${file.name} is ${file.type}; choose a PNG, JPEG or WebP image.`);
      return;
    }
    showError(errorBox, null);
    image = file;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.alt = `The chosen image, ${file.name}`;
    preview.hidden = false;
    dropText.textContent = `${file.name} (${formatBytes(file.size)}) — drop or choose another`;
  };
  input.addEventListener('change', () => choose(input.files?.[0]));
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    choose(event.dataTransfer?.files?.[0]);
  });

  const render = (state: JobProgress) => {
    progressPanel.hidden = false;
    const percent = Math.round(state.percent);
    progressFill.style.width = `${percent}%`;
    progressBar.setAttribute('aria-valuenow', String(percent));
    progressBar.setAttribute('aria-valuetext', `${percent} percent`);
    progressPercent.textContent = `${percent} %`;
    progressBar.dataset.status = state.status;
    let status: string;
    switch (state.status) {
      case 'submitting': status = 'Uploading…'; break;
      case 'queued': status = state.position ? `Waiting in the queue (position ${state.position})` : 'Waiting in the queue'; break;
      case 'running': {
        const step = state.step !== null && state.steps ? ` (${state.step}/${state.steps})` : '';
        status = state.stage ? `${stageLabel(state.stage)}${step}` : 'Starting…';
        break;
      }
      case 'completed': status = 'Done'; break;
      case 'failed': status = 'Failed'; break;
      case 'cancelled': status = 'Cancelled'; break;
    }
    progressStatus.textContent = status;
    progressEta.textContent = state.status === 'running' ? formatEta(state.etaSeconds) : '';
    const current = kStages.findIndex((stage) => stage.name === state.stage);
    kStages.forEach((stage, index) => {
      const item = stageItems.get(stage.name);
      if (!item) return;
      let mark = 'pending';
      if (state.status === 'completed' || (current >= 0 && index < current)) mark = 'done';
      else if (index === current) mark = isFinal(state.status) ? 'stopped' : 'active';
      item.dataset.state = mark;
      if (mark === 'active') item.setAttribute('aria-current', 'step');
      else item.removeAttribute('aria-current');
    });
    if (state.status === 'failed' && state.error) {
      const again = state.retryable ? ' You can try again.' : '';
      showError(errorBox, `The job failed: ${state.error.message} (${state.error.code}).${again}`);
    }
  };

  const setBusy = (busy: boolean) => {
    generateButton.disabled = busy;
    cancelButton.hidden = !busy;
    form.setAttribute('aria-busy', String(busy));
  };

  const showResult = async (state: JobProgress) => {
    if (!state.resultUrl) throw new Error('The job completed without a result address.');
    const response = await request(state.resultUrl);
    const blob = await response.blob();
    const chosen = format.value;
    const name = attachmentName(response, `orfeas-${state.id}.${chosen}`);
    result = { blob, name };
    downloadButton.disabled = false;
    resultInfo.textContent = `${name}, ${formatBytes(blob.size)}`;
    // The timings come with the WebSocket's completed event; after polling, from …/profile.
    const timings = state.profile ??
      profileOf(await getJson(`/api/jobs/${encodeURIComponent(state.id)}/profile`).catch(() => null));
    if (timings && timings.stages.length > 0) {
      profile.hidden = false;
      const total = timings.totalSeconds;
      drawBarChart(profileChart, `Time per stage${total !== null ? `, ${formatSeconds(total)} in all` : ''}`,
        timings.stages.map((stage) => ({
          label: stageLabel(stage.name), value: stage.seconds, text: formatSeconds(stage.seconds),
        })));
    }
    const meshFormat: MeshFormat | null = formatOfName(name) ?? formatOfName(`x.${chosen}`);
    if (!meshFormat) {  // 3MF: no preview here, the file is for a slicer
      byId('viewer-caption').textContent = `No preview for ${chosen.toUpperCase()}; download it and open it in a slicer.`;
      return;
    }
    if (!viewer) return;
    const dimensions = await viewer.show(await blob.arrayBuffer(), meshFormat);
    viewerBox.dataset.loaded = 'true';
    byId('viewer-caption').textContent = `${formatSize(dimensions)} (width × depth × height). Drag to turn, scroll to zoom.`;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(errorBox, null);
    if (!image) {
      showError(errorBox, 'Choose an image first.');
      input.focus();
      return;
    }
    const sizeMm = Number(size.value);
    if (!Number.isFinite(sizeMm) || sizeMm <= 0) {
      showError(errorBox, 'The size must be a positive number of millimetres.');
      size.focus();
      return;
    }
    following?.abort();
    following = new AbortController();
    const signal = following.signal;
    result = null;
    downloadButton.disabled = true;
    resultInfo.textContent = '';
    profile.hidden = true;
    delete viewerBox.dataset.loaded;
    setBusy(true);
    let state = initialProgress('');
    render(state);
    try {
      const created = await submitJob(image, { format: format.value, quality: Number(quality.value), sizeMm }, signal);
      const id = (created as { id?: unknown })?.id;
      if (typeof id !== 'string') throw new Error('The server accepted the image but answered no job id.');
      jobId = id;
      state = applyRecord({ ...state, id }, created);
      if (state.status === 'submitting') state = { ...state, status: 'queued' };
      render(state);
      state = await followJob(state, render, signal);
      if (signal.aborted) return;
      render(state);
      if (state.status === 'completed') await showResult(state);
    } catch (error) {
      if (signal.aborted) return;
      if (state.status === 'submitting') progressPanel.hidden = true;  // no job: no progress to show
      const message = error instanceof ApiError ? `${error.message} (${error.code})` : messageOf(error);
      showError(errorBox, message);
    } finally {
      if (following?.signal === signal) {
        setBusy(false);
        jobId = null;
      }
    }
  });

  cancelButton.addEventListener('click', async () => {
    const id = jobId;
    if (!id) {  // still uploading: stop the upload; no job was made
      following?.abort();
      progressPanel.hidden = true;
      setBusy(false);
      return;
    }
    cancelButton.disabled = true;
    try {
      await cancelJob(id);
    } catch (error) {
      showError(errorBox, `Could not cancel: ${messageOf(error)}`);
    } finally {
      cancelButton.disabled = false;
    }
  });

  // The empty bed from the start; without WebGL the page still generates and downloads.
  if (webGlAvailable()) {
    try {
      viewer = new MeshViewer(viewerBox);
    } catch (error) {
      byId('viewer-caption').textContent = `This browser cannot show 3D (${messageOf(error)}); the download still works.`;
    }
  } else {
    byId('viewer-caption').textContent = 'This browser cannot show 3D (no WebGL); the download still works.';
  }

  downloadButton.addEventListener('click', () => {
    if (result) saveBlob(result.blob, result.name);
  });
}
