/** The HTTP client backends use: one request with a deadline, the reply as text, failures as DeliveryErrors. */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { DeliveryError } from '../vocabulary/errors.ts';
import { DestinationRefusedError, type DestinationGuard } from './destination.ts';

/** An HTTP request a backend makes. */
export interface HttpRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Milliseconds until the request is abandoned, a transient failure. */
  readonly timeoutMs: number;
  /** Checks where a webhook may go (see {@link DestinationGuard}); provider APIs have none. */
  readonly guard?: DestinationGuard;
}

/** An HTTP reply: status, headers and the body as text. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Default milliseconds a backend waits for an HTTP reply. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Reply bodies are read up to this size; the rest is dropped. */
const MAX_BODY = 64 * 1024;

/**
 * Makes one HTTP request with node:http(s), so that a {@link DestinationGuard} can check each
 * address at connection time. Redirects are not followed (a webhook must not be bounced into the
 * private network). Network failures and timeouts throw a transient {@link DeliveryError}; a
 * refused destination a permanent one. Any reply, whatever its status, is returned.
 */
export async function httpRequest(backend: string, request: HttpRequest): Promise<HttpReply> {
  const url = new URL(request.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (request.guard && isIP(host) !== 0) {
    const problem = request.guard.problem(host, host);
    if (problem) throw refusedError(backend, new DestinationRefusedError(problem));
  }
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) throw new DeliveryError(`cannot send to ${url.protocol} URLs; use https:`, { backend, permanent: true, providerCode: 'EPROTOCOL' });
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  return new Promise<HttpReply>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method ?? (body ? 'POST' : 'GET'),
        headers: { ...request.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
        signal: AbortSignal.timeout(request.timeoutMs),
        ...(request.guard ? { lookup: request.guard.lookup } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) }));
        res.on('error', (error) => reject(networkError(backend, url, error)));
      },
    );
    req.on('error', (error) => reject(error instanceof DestinationRefusedError ? refusedError(backend, error) : networkError(backend, url, error)));
    req.end(body);
  });
}

/** Whether retrying an HTTP status may help: timeouts, rate limits and server errors. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * The failure of a reply that is not 2xx: 4xx (but 408, 425, 429) are permanent, the rest
 * transient; 3xx are permanent, since redirects are not followed.
 */
export function httpError(backend: string, reply: HttpReply, message?: string, providerCode?: string): DeliveryError {
  const permanent = !isTransientStatus(reply.status);
  const reason = message ?? (reply.status >= 300 && reply.status < 400 ? `redirected to ${String(reply.headers.location ?? '?')}; redirects are not followed, use the final URL` : reply.body.trim().slice(0, 200) || 'no reply body');
  return new DeliveryError(`HTTP ${reply.status}: ${reason}`, {
    backend,
    permanent,
    statusCode: reply.status,
    ...(providerCode === undefined ? {} : { providerCode }),
    responseBody: reply.body,
  });
}

/** Parses a JSON reply body; undefined when it is not JSON. */
export function jsonOf(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return undefined;
  }
}

function networkError(backend: string, url: URL, error: Error & { code?: string }): DeliveryError {
  const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
  const code = timedOut ? 'ETIMEDOUT' : error.code;
  return new DeliveryError(`${url.host}: ${timedOut ? 'no reply in time' : error.message}`, { backend, permanent: false, ...(code ? { providerCode: code } : {}), cause: error });
}

function refusedError(backend: string, error: DestinationRefusedError): DeliveryError {
  return new DeliveryError(error.message, { backend, permanent: true, providerCode: error.code, cause: error });
}
