// Submitting a generation job and following it to the end: the WebSocket /api/ws for live
// progress, polling GET /api/jobs/{id} when the socket cannot be had or goes away.

import { getJson, request, webSocketUrl } from './api';
import { applyEvent, applyRecord, initialProgress, isFinal, type JobProgress } from './progress';

export interface JobParams {
  format: string;  // stl | glb | obj | ply
  quality: number;  // 1–10
  sizeMm: number;
}

const kRawImageTypes = new Set(['image/png', 'image/jpeg', 'image/webp']);
const kPollMs = 1000;

// POST /api/jobs: the image as the raw body when the browser knows its type, else as the
// multipart field `image` (the server then sniffs the bytes). Answers the created job's record.
export async function submitJob(image: File, params: JobParams, signal?: AbortSignal): Promise<unknown> {
  const query = new URLSearchParams({
    format: params.format,
    quality: String(params.quality),
    size_mm: String(params.sizeMm),
  });
  let init: RequestInit;
  if (kRawImageTypes.has(image.type)) {
    init = { method: 'POST', body: image, headers: { 'Content-Type': image.type }, signal };
  } else {
    const form = new FormData();
    form.append('image', image, image.name || 'image');
    init = { method: 'POST', body: form, signal };
  }
  return getJson(`/api/jobs?${query}`, init);
}

export async function cancelJob(id: string): Promise<void> {
  await request(`/api/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

// Follows job `id` from `first` (its record from POST) until it is completed, failed or cancelled,
// calling onUpdate with each new state; resolves with the final one. `signal` stops following
// (the job itself goes on; cancelJob stops it).
export function followJob(
  first: JobProgress,
  onUpdate: (progress: JobProgress) => void,
  signal: AbortSignal,
): Promise<JobProgress> {
  return new Promise((resolve) => {
    let state = first;
    let socket: WebSocket | null = null;
    let pollTimer: number | undefined;
    let polling = false;
    let done = false;

    const finish = () => {
      done = true;
      window.clearTimeout(pollTimer);
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
      resolve(state);
    };
    const update = (next: JobProgress) => {
      if (done || next === state) return;
      state = next;
      onUpdate(state);
      if (isFinal(state.status)) finish();
    };
    const poll = async () => {
      if (done) return;
      try {
        update(applyRecord(state, await getJson(`/api/jobs/${encodeURIComponent(state.id)}`, { signal })));
      } catch (error) {
        if (signal.aborted) return;
        // A lost connection or a restarting server: keep trying; a job that is gone is final.
        if (error instanceof Error && 'status' in error && (error as { status: number }).status === 404) {
          update({ ...state, status: 'failed', error: { code: 'not_found', message: 'The job is gone.' } });
        }
      }
      if (!done && polling) pollTimer = window.setTimeout(poll, kPollMs);
    };
    const startPolling = () => {
      if (done || polling) return;
      polling = true;
      void poll();
    };

    signal.addEventListener('abort', () => finish(), { once: true });
    if (isFinal(state.status)) return finish();  // a cache hit: completed at once

    try {
      socket = new WebSocket(webSocketUrl('/api/ws'));
    } catch {
      return startPolling();
    }
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      socket?.send(JSON.stringify({ type: 'subscribe', jobs: [state.id] }));
      // The job may have moved on between POST and subscribe: one look at its record closes the gap.
      void getJson(`/api/jobs/${encodeURIComponent(state.id)}`, { signal })
        .then((record) => update(applyRecord(state, record)))
        .catch(() => undefined);
    });
    socket.addEventListener('message', (message) => {
      if (typeof message.data !== 'string') return;
      try {
        update(applyEvent(state, JSON.parse(message.data)));
      } catch {
        // not JSON: ignore
      }
    });
    socket.addEventListener('close', () => {
      if (!done) startPolling();  // refused, lost or closed by the server: poll instead
    });
    // No socket within a few seconds (a proxy that holds the upgrade): poll meanwhile.
    window.setTimeout(() => {
      if (!opened) startPolling();
    }, 3000);
  });
}

export { initialProgress };
