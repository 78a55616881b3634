// The HTTP API of `orfeas serve`, as the UI uses it: the API key (kept in localStorage), fetch with
// the key, and errors turned into ApiError with the server's {"error": {code, message}}.

const kKeyStorage = 'orfeas.apiKey';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;  // 0: no answer from the server

  constructor(message: string, code: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

export function apiKey(): string {
  try {
    return localStorage.getItem(kKeyStorage) ?? '';
  } catch {
    return '';  // storage disabled (private mode): no key
  }
}

export function setApiKey(key: string): void {
  try {
    if (key) localStorage.setItem(kKeyStorage, key);
    else localStorage.removeItem(kKeyStorage);
  } catch {
    // storage disabled: the key lasts until the page is left
  }
}

function authorised(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  return { ...init, headers };
}

// The error a failed answer carries, in words a person can act on.
async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && typeof body === 'object' && body.error) {
      if (typeof body.error.code === 'string') code = body.error.code;
      if (typeof body.error.message === 'string' && body.error.message) message = body.error.message;
    }
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401) message = `${message} — enter the server's API key (top right).`;
  return new ApiError(message, code, response.status);
}

// fetch() with the API key; a non-2xx answer or no answer throws ApiError.
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, authorised(init));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(`The server did not answer (${String(error)}).`, 'network', 0);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T = unknown>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, init);
  return (await response.json()) as T;
}

// ws://host/path (wss on https), with the key as ?api_key= since a browser WebSocket cannot send
// an Authorization header.
export function webSocketUrl(path: string): string {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const key = apiKey();
  if (key) url.searchParams.set('api_key', key);
  return url.toString();
}

// The file name of a Content-Disposition header, or `fallback`.
export function attachmentName(response: Response, fallback: string): string {
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch {
      // broken escape: try the plain form
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : fallback;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
