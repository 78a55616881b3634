// Submitting a generation job and following it to the end: the WebSocket /api/ws for live
// progress, polling GET /api/jobs/{id} when the socket cannot be had or goes away.

import { ApiError, getJson, request, webSocketUrl } from './api';
import { applyEvent, applyRecord, initialProgress, isFinal, type JobProgress } from './progress';

export interface JobParams {
  format: string;  // stl | glb | obj | ply
  quality: number;  // 1–10
  sizeMm: number;
}

const kRawImageTypes = new Set(['image/png', 'image/jpeg', 'image/webp']);
const kPollMs = 1000;       // without a WebSocket
const kSocketPollMs = 5000;  // beside an open WebSocket, in case an event is lost

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
//
// Events come over the WebSocket; GET /api/jobs/{id} is polled as well, every second while there
// is no socket and every few seconds while there is one, so a lost event, a refused subscription
// or a proxy that drops the socket never leaves the page waiting.
export function followJob(
  first: JobProgress,
  onUpdate: (progress: JobProgress) => void,
  signal: AbortSignal,
): Promise<JobProgress> {
  return new Promise((resolve) => {
    let state = first;
    let socket: WebSocket | null = null;
    let socketLive = false;  // open, and not answering errors to our subscription
    let pollTimer: number | undefined;
    let done = false;

    const finish = () => {
      if (done) return;
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
    const schedulePoll = (delayMs: number) => {
      window.clearTimeout(pollTimer);
      if (!done) pollTimer = window.setTimeout(poll, delayMs);
    };
    const poll = async () => {
      if (done) return;
      try {
        update(applyRecord(state, await getJson(`/api/jobs/${encodeURIComponent(state.id)}`, { signal })));
      } catch (error) {
        if (signal.aborted) return;
        // A lost connection or a restarting server: keep trying; a job that is gone is final.
        if (error instanceof ApiError && error.status === 404)
          update({ ...state, status: 'failed', error: { code: 'not_found', message: 'The job is gone.' } });
      }
      schedulePoll(socketLive ? kSocketPollMs : kPollMs);
    };

    signal.addEventListener('abort', finish, { once: true });
    if (isFinal(state.status)) return finish();  // a cache hit: completed at once
    // Until the socket is open (or if it never opens), poll.
    schedulePoll(kPollMs);

    try {
      socket = new WebSocket(webSocketUrl('/api/ws'));
    } catch {
      return;  // no WebSocket here: polling alone
    }
    socket.addEventListener('open', () => {
      socketLive = true;
      socket?.send(JSON.stringify({ type: 'subscribe', jobs: [state.id] }));
      // The server answers a subscription to a finished job with its final event at once, so the
      // socket covers the time since POST; polling slows down to a safety net.
      schedulePoll(kSocketPollMs);
    });
    socket.addEventListener('message', (message) => {
      if (typeof message.data !== 'string') return;
      let event: unknown;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;  // not JSON: ignore
      }
      if ((event as { type?: unknown })?.type === 'error') {
        socketLive = false;  // the subscription was refused: poll at full rate
        schedulePoll(0);
        return;
      }
      update(applyEvent(state, event));
    });
    socket.addEventListener('close', () => {
      if (done) return;
      socketLive = false;  // refused, lost or closed by the server: poll instead
      schedulePoll(0);
    });
  });
}

export { initialProgress };
