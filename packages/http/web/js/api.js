// The HTTP API from the browser: JSON requests with the session cookie the login sets, and errors
// carrying the API's own message and field.

export class ApiError extends Error {
  constructor(status, body) {
    const e = body?.error ?? body ?? {};
    super(e.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = e.code ?? null;
    this.field = e.field ?? null;
  }
}

/** Set by the app: called when the session has ended (401), to show the login page. */
export const session = { onExpired: () => {} };

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, query?: Record<string, unknown> }} [options]
 */
export async function api(path, { method = 'GET', body, query } = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  /** @type {RequestInit & { headers: Record<string, string> }} */
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') session.onExpired();
    throw new ApiError(res.status, data);
  }
  return data;
}
