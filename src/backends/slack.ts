/** The Slack backend: mrkdwn or Block Kit messages to an incoming webhook. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Backend, BackendCapabilities } from '../vocabulary/backend.ts';
import type { MessagePayload } from '../vocabulary/payload.ts';
import { webhookUrlProblem } from './addresses.ts';
import { DestinationGuard, type DestinationOptions } from './destination.ts';
import { DEFAULT_TIMEOUT_MS, httpError, httpRequest } from './http.ts';
import { sendEach } from './send.ts';

/** Options of {@link slackWebhook}. */
export interface SlackWebhookOptions extends DestinationOptions {
  /**
   * Template content is Block Kit JSON (an object with `blocks`, or an array of blocks) instead of
   * mrkdwn text. @default false
   */
  readonly blocks?: boolean;
  /** Milliseconds to wait for Slack. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'slack-webhook' */
  readonly id?: string;
  /** @default 'Slack webhook' (or 'Slack webhook (Block Kit)') */
  readonly label?: string;
}

const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: false, attachments: false, manualSending: true, maxRecipients: 1 };

/**
 * Slack incoming webhooks (`slack-webhook`, protocol `slack-webhook`). The address is the
 * webhook's URL, so the channel is chosen when the webhook is made in Slack; nothing else needs
 * setting. Content is Slack mrkdwn text, with `&`, `<` and `>` of variables escaped; with
 * `blocks: true` it is Block Kit JSON.
 *
 * @example
 * slackWebhook()                                   // text
 * slackWebhook({ blocks: true, id: 'slack-blocks' }) // Block Kit, as a second backend
 */
export function slackWebhook(options: SlackWebhookOptions = {}): Backend {
  const id = options.id ?? 'slack-webhook';
  const guard = new DestinationGuard(options);
  const backend: Backend = {
    id,
    protocol: 'slack-webhook',
    label: options.label ?? (options.blocks ? 'Slack webhook (Block Kit)' : 'Slack webhook'),
    format: options.blocks ? 'slack-blocks' : 'slack',
    capabilities: CAPABILITIES,
    compose: ({ parts }) => (options.blocks ? blockKit(parts['slack-blocks'] ?? '') : { text: (parts.slack ?? '').trim() }),
    validateAddress: webhookUrlProblem,
    send: (message) =>
      sendEach(backend, message, async (contact) => {
        const body = message.payload.data ?? { text: message.payload.text ?? '' };
        const reply = await httpRequest(id, {
          url: contact.address,
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          guard,
        });
        if (reply.status < 200 || reply.status >= 300) {
          // Slack answers errors as one word: invalid_payload, channel_not_found, no_service, …
          const word = /^[a-z_]+$/.test(reply.body.trim()) ? reply.body.trim() : undefined;
          throw httpError(id, reply, word && `Slack: ${word}`, word);
        }
        return undefined;
      }),
  };
  return backend;
}

/** Block Kit content as Slack's webhook body: an object as it is, an array as its `blocks`. */
function blockKit(json: string): MessagePayload {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new VoxError(ErrorCode.render, `the content is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (Array.isArray(value)) return { data: { blocks: value } };
  if (typeof value === 'object' && value !== null) return { data: value as Record<string, unknown> };
  throw new VoxError(ErrorCode.render, 'Block Kit content must be a JSON object ({"blocks": [...]}) or an array of blocks');
}
