// A job's progress as the UI shows it, and how each server message changes it. Pure functions (no
// DOM, no network), so the same rules hold for WebSocket events and for polled job records.

import { asNumber, asObject, asString, type Json } from './json';

export type JobStatus = 'submitting' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface StageTime {
  name: string;
  seconds: number;
}

export interface JobProgress {
  id: string;
  status: JobStatus;
  position: number | null;  // place in the queue, 1 = next
  stage: string | null;
  step: number | null;
  steps: number | null;
  percent: number;  // 0–100, never falling
  etaSeconds: number | null;
  error: { code: string; message: string } | null;
  retryable: boolean;
  resultUrl: string | null;
  profile: { totalSeconds: number | null; stages: StageTime[] } | null;
}

// The pipeline's stages in the order they run, with the words shown for them.
export const kStages: ReadonlyArray<{ name: string; label: string }> = [
  { name: 'image_preprocessing', label: 'Preparing the image' },
  { name: 'shape_generation', label: 'Generating the shape' },
  { name: 'mesh_extraction', label: 'Extracting the mesh' },
  { name: 'post_processing', label: 'Cleaning the mesh' },
  { name: 'texture_synthesis', label: 'Colouring' },
  { name: 'export', label: 'Writing the file' },
];

export function stageLabel(name: string | null): string {
  if (!name) return '';
  return kStages.find((stage) => stage.name === name)?.label ?? name.replace(/_/g, ' ');
}

export function isFinal(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export function initialProgress(id: string): JobProgress {
  return {
    id, status: 'submitting', position: null, stage: null, step: null, steps: null, percent: 0,
    etaSeconds: null, error: null, retryable: false, resultUrl: null, profile: null,
  };
}

// A job's stage timings, {total_s, stages: [{name, seconds}]}, from an event or GET …/profile.
export function profileOf(value: unknown): JobProgress['profile'] {
  const profile = asObject(value);
  if (!profile) return null;
  const stages: StageTime[] = [];
  const list = profile.stages;
  if (Array.isArray(list)) {
    for (const item of list) {
      const stage = asObject(item);
      const name = asString(stage?.name) ?? asString(stage?.stage);
      const seconds = asNumber(stage?.seconds) ?? asNumber(stage?.total_s) ?? asNumber(stage?.s);
      if (name && seconds !== null) stages.push({ name, seconds });
    }
  } else if (asObject(list)) {
    for (const [name, seconds] of Object.entries(list as Json)) {
      const value = asNumber(seconds) ?? asNumber(asObject(seconds)?.seconds);
      if (value !== null) stages.push({ name, seconds: value });
    }
  }
  return { totalSeconds: asNumber(profile.total_s), stages };
}

function errorOf(value: unknown): JobProgress['error'] {
  const error = asObject(value);
  if (!error) return { code: 'failed', message: 'The job failed.' };
  return {
    code: asString(error.code) ?? 'failed',
    message: asString(error.message) || 'The job failed.',
  };
}

function withPercent(state: JobProgress, percent: number | null): number {
  return percent === null ? state.percent : Math.max(state.percent, Math.min(100, Math.max(0, percent)));
}

// A WebSocket message ({"type": ..., "job": ...}); messages for other jobs change nothing.
export function applyEvent(state: JobProgress, message: unknown): JobProgress {
  const event = asObject(message);
  if (!event || (event.job !== undefined && event.job !== state.id)) return state;
  if (isFinal(state.status)) return state;  // a late message never reopens a finished job
  switch (event.type) {
    case 'queued':
      return { ...state, status: 'queued', position: asNumber(event.position) ?? state.position };
    case 'started':
      return { ...state, status: 'running', position: null };
    case 'progress':
      return {
        ...state,
        status: 'running',
        position: null,
        stage: asString(event.stage) ?? state.stage,
        step: asNumber(event.step),
        steps: asNumber(event.steps),
        percent: withPercent(state, asNumber(event.percent)),
        etaSeconds: asNumber(event.eta_s),
      };
    case 'completed':
      return {
        ...state,
        status: 'completed',
        position: null,
        percent: 100,
        etaSeconds: 0,
        resultUrl: asString(event.result_url) ?? `/api/jobs/${encodeURIComponent(state.id)}/result`,
        profile: profileOf(event.profile) ?? state.profile,
      };
    case 'failed':
      return { ...state, status: 'failed', error: errorOf(event.error), retryable: event.retryable === true };
    case 'cancelled':
      return { ...state, status: 'cancelled' };
    default:
      return state;
  }
}

const kStatuses: ReadonlySet<string> = new Set(['queued', 'running', 'completed', 'failed', 'cancelled']);

// A job record from GET /api/jobs/{id} (or the answer to POST /api/jobs).
export function applyRecord(state: JobProgress, message: unknown): JobProgress {
  const record = asObject(message);
  if (!record || isFinal(state.status)) return state;
  const status = asString(record.status);
  if (!status || !kStatuses.has(status)) return state;
  const progress = asObject(record.progress);
  const links = asObject(record.links);
  const next: JobProgress = {
    ...state,
    id: asString(record.id) ?? state.id,
    status: status as JobStatus,
    position: status === 'queued' ? asNumber(record.position) : null,
  };
  if (progress) {
    next.stage = asString(progress.stage) ?? state.stage;
    next.percent = withPercent(state, asNumber(progress.percent));
    next.etaSeconds = asNumber(progress.eta_s);
    next.step = asNumber(progress.step);
    next.steps = asNumber(progress.steps);
  }
  if (status === 'completed') {
    next.percent = 100;
    next.etaSeconds = 0;
    next.resultUrl = asString(links?.result) ?? asString(record.result_url) ??
      `/api/jobs/${encodeURIComponent(next.id)}/result`;
    next.profile = profileOf(record.profile) ?? state.profile;
  }
  if (status === 'failed') {
    next.error = errorOf(record.error);
    next.retryable = record.retryable === true;
  }
  return next;
}

// "about 12 s", "about 3 min"; '' when unknown.
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
