import type { ApiError, TemplateProblem } from '../../src/admin/api.ts';
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

/** Calls the admin's API; state-changing calls carry the CSRF token, sends their form's idempotency key. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const response = await fetch(`${config.basePath}/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      'X-CSRF-Token': config.csrf,
      Accept: 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as (T & Partial<ApiError>) | null;
  if (!response.ok) throw new ApiFailure(response.status, data?.error ?? { code: `HTTP_${response.status}`, message: `the server answered ${response.status}` });
  return data as T;
}

export const get = <T,>(path: string) => api<T>('GET', path);

/** Text of any error, for an alert. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
