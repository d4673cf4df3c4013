import type { ApiError, SessionInfo, TemplateProblem } from '../../src/admin/api.ts';
import { config } from './config.ts';

/** An error answer of the API, with the problems of a template that cannot be saved. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: readonly TemplateProblem[];

  constructor(status: number, error: ApiError['error']) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.problems = error.problems ?? [];
  }
}

/** The CSRF token of this page: the shell's, then a fresh one whenever the server says it has expired. */
let csrfToken = config.csrf;

/**
 * Calls the admin's API; state-changing calls carry the CSRF token, sends their form's idempotency
 * key. A token refused by the server (it expired, or the server restarted with another secret) is
 * replaced by a fresh one from the session, and the call made once more: the refusal changed nothing.
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  let response = await send(method, path, body, idempotencyKey);
  if (response.status === 403 && method !== 'GET' && (await codeOf(response.clone())) === 'VOX_CSRF') {
    const session = await send('GET', '/session');
    if (session.ok) {
      csrfToken = ((await session.json()) as SessionInfo).csrfToken;
      response = await send(method, path, body, idempotencyKey);
    }
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as (T & Partial<ApiError>) | null;
  if (!response.ok) throw new ApiFailure(response.status, data?.error ?? { code: `HTTP_${response.status}`, message: `the server answered ${response.status}` });
  return data as T;
}

function send(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<Response> {
  return fetch(`${config.basePath}/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      'X-CSRF-Token': csrfToken,
      Accept: 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function codeOf(response: Response): Promise<string | undefined> {
  const data = (await response.json().catch(() => null)) as Partial<ApiError> | null;
  return data?.error?.code;
}

export const get = <T,>(path: string) => api<T>('GET', path);

/** Text of any error, for an alert. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
