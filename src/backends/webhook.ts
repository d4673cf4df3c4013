/** The JSON webhook backend: a signed JSON POST to each address. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Backend, BackendCapabilities } from '../vocabulary/backend.ts';
import { webhookUrlProblem } from './addresses.ts';
import { DestinationGuard, type DestinationOptions } from './destination.ts';
import { parseFields } from './fields.ts';
import { DEFAULT_TIMEOUT_MS, httpError, httpRequest } from './http.ts';
import { sendEach } from './send.ts';

/** Options of {@link jsonWebhook}. */
export interface JsonWebhookOptions extends DestinationOptions {
  /**
   * A shared secret: each request then carries `X-Vox-Timestamp` and `X-Vox-Signature:
   * sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>`, so that receivers can tell it is from
   * you (see {@link verifyWebhookSignature}).
   */
  readonly secret?: string;
  /** Milliseconds to wait for each receiver. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'json-webhook' */
  readonly id?: string;
  /** @default 'JSON webhook' */
  readonly label?: string;
}

const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: false, attachments: false, manualSending: true, maxRecipients: 1 };

/**
 * Generic JSON webhooks (`json-webhook`, protocol `json-webhook`), for Huginn, Zapier or your own
 * receivers. The address is the URL; the content is `key: value` lines, posted as a JSON object:
 *
 * ```
 * title: {{ object.title }}
 * greeting: Hello World
 * ```
 *
 * becomes `{"title": "…", "greeting": "Hello World"}`. Every receiver's reply is checked: a
 * non-2xx reply fails that message (429 and 5xx are retried).
 *
 * @example
 * jsonWebhook({ secret: process.env.WEBHOOK_SECRET })
 */
export function jsonWebhook(options: JsonWebhookOptions = {}): Backend {
  const id = options.id ?? 'json-webhook';
  if (options.secret !== undefined && options.secret.length < 16) {
    throw new VoxError(ErrorCode.configuration, `backend ${id}: the signing secret must be at least 16 characters`);
  }
  const guard = new DestinationGuard(options);
  const backend: Backend = {
    id,
    protocol: 'json-webhook',
    label: options.label ?? 'JSON webhook',
    format: 'fields',
    capabilities: CAPABILITIES,
    compose: ({ parts }) => ({ data: parseFields(parts.fields ?? '') }),
    validateAddress: webhookUrlProblem,
    send: (message) =>
      sendEach(backend, message, async (contact) => {
        const body = JSON.stringify(message.payload.data ?? {});
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': message.idempotencyKey };
        if (options.secret) {
          const timestamp = String(Math.floor(Date.now() / 1000));
          headers['X-Vox-Timestamp'] = timestamp;
          headers['X-Vox-Signature'] = `sha256=${signature(options.secret, timestamp, body)}`;
        }
        const reply = await httpRequest(id, { url: contact.address, method: 'POST', headers, body, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, guard });
        if (reply.status < 200 || reply.status >= 300) throw httpError(id, reply);
        return undefined;
      }),
  };
  return backend;
}

function signature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * For receivers: whether a request came from a {@link jsonWebhook} with this secret, and recently.
 *
 * @example
 * const ok = verifyWebhookSignature(secret, await request.text(), request.headers.get('x-vox-timestamp'), request.headers.get('x-vox-signature'));
 */
export function verifyWebhookSignature(secret: string, body: string, timestamp: string | null, signatureHeader: string | null, options: { readonly toleranceSeconds?: number; readonly now?: number } = {}): boolean {
  if (!timestamp || !signatureHeader || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(`sha256=${signature(secret, timestamp, body)}`);
  const given = Buffer.from(signatureHeader);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
