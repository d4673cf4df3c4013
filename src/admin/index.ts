/** createAdmin: checks the admin's options and loads its Hono app on the first request. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { maxBodyBytesOption, withBodyLimit } from '../http/body-limit.ts';
import { originsOf } from '../http/same-origin.ts';
import type { AdminDeps } from './context.ts';
import type { HostEnv } from './http.ts';
import { CsrfTokens } from './security.ts';
import type { Admin, AdminOptions } from './types.ts';

/** How long a CSRF token is accepted: a working day and then some. */
const DEFAULT_CSRF_MAX_AGE_MS = 12 * 60 * 60 * 1000;

/** The admin of a Vox instance. Hono and the routes load with the first request, so apps that never mount it do not pay for it. */
export function createAdmin<Context>(deps: AdminDeps, options: AdminOptions<Context>): Admin<Context> {
  if (typeof options?.authorize !== 'function') {
    throw new VoxError(ErrorCode.configuration, 'vox.admin needs authorize(request, context): the staff user, or null to refuse');
  }
  const basePath = normaliseBasePath(options.basePath ?? '');
  // Made now, so that a secret that is too short fails where the admin is set up, not at its first request.
  const csrf = new CsrfTokens(options.secret, options.csrfMaxAgeMs ?? DEFAULT_CSRF_MAX_AGE_MS);
  const baseUrl = typeof deps.site.baseUrl === 'string' && URL.canParse(deps.site.baseUrl) ? [deps.site.baseUrl] : [];
  const origins = new Set(originsOf([...(options.trustedOrigins ?? []), ...baseUrl], 'vox.admin({ trustedOrigins })'));
  const maxBodyBytes = maxBodyBytesOption(options.maxBodyBytes, 'vox.admin()');
  let app: Promise<{ fetch(request: Request, env: HostEnv<Context>): Response | Promise<Response> }> | undefined;
  return {
    basePath,
    async fetch(request, context) {
      app ??= import('./app.ts').then((module) => module.adminApp(deps, { ...options, basePath, csrf, origins }));
      const hono = await app;
      // The host's context travels as the Hono app's env, to reach authorize.
      return withBodyLimit(request, maxBodyBytes, async (limited) => hono.fetch(limited, { host: context }));
    },
  };
}

/** `admin/` and `/admin/` become `/admin`; `/` becomes `''`. */
export function normaliseBasePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(trimmed)) throw new VoxError(ErrorCode.configuration, `admin basePath ${JSON.stringify(path)} must be a plain path such as /admin`);
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
