/** What is sent: rendered templates, message payloads, a backend's report of a send. */
import type { Contact } from './contact.ts';

/** A rendered attachment. */
export interface AttachmentPayload {
  readonly filename: string;
  readonly contentType: string;
  /** Base64 of the content, so payloads stay JSON for the message log. */
  readonly contentBase64: string;
}

/** What a template rendered to, before the backend composes it. */
export interface RenderedTemplate {
  readonly subject: string;
  /** Content parts by name: `html`, `markdown`, `text`, or the blocks of a block template. */
  readonly parts: Readonly<Record<string, string>>;
  /**
   * Where each recipient's values sit in a part, for parts whose only per-recipient pieces are
   * `{{ … }}` outputs. Backends may ignore it; one whose `compose` does costly work on a part (the
   * email backends derive a text part from HTML) can do that work once per template with it.
   */
  readonly holes?: Readonly<Record<string, PartHoles>>;
}

/**
 * A part as `literals[0] + values[0] + literals[1] + … + literals[n]`. `literals` is one array,
 * the same object for every message of a fan-out, so it can key a cache; `values` are this
 * recipient's outputs, escaped for the part's format.
 */
export interface PartHoles {
  readonly literals: readonly string[];
  readonly values: readonly string[];
}

/** What is sent and stored in the message log: JSON only. */
export interface MessagePayload {
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  /** Structured payload for data backends (webhooks, template APIs). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly attachments?: readonly AttachmentPayload[];
  /**
   * Where its recipient unsubscribes from messages like this one, for a message to one recipient
   * of a notification that is not `required` (see the preference center). Email backends send it
   * as the `List-Unsubscribe` and `List-Unsubscribe-Post` headers of one-click unsubscribe (RFC 8058).
   */
  readonly unsubscribe?: UnsubscribeLinks;
}

/** A message's unsubscribe links: an https URL taking a one-click POST, and an optional mailto. */
export interface UnsubscribeLinks {
  readonly url: string;
  /** A `mailto:` URL whose message asks the same, when the site takes unsubscribes by email. */
  readonly mailto?: string;
}

/** The headers of one-click unsubscribe (RFC 8058) for a message with {@link MessagePayload.unsubscribe}. */
export function unsubscribeHeaders(links: UnsubscribeLinks | undefined): Record<string, string> {
  if (!links) return {};
  return {
    'List-Unsubscribe': links.mailto ? `<${links.url}>, <${links.mailto}>` : `<${links.url}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** One message handed to a backend. */
export interface OutboundMessage {
  /** Row id in the message log. */
  readonly id: number;
  /** Stable key of this message (issue, template, addresses); pass it to providers that take one. */
  readonly idempotencyKey: string;
  /** Rendered from address, or undefined for the backend's default. */
  readonly from: string | undefined;
  readonly to: readonly Contact[];
  readonly payload: MessagePayload;
}

/** A backend's report of a send. */
export interface SendResult {
  /** The provider's id for the message, stored in the log. */
  readonly providerMessageId?: string;
  /** Addresses the provider refused while accepting the others, with why. */
  readonly rejected?: readonly { readonly address: string; readonly error: Error }[];
}

/**
 * A provider's later report (a delivery-status callback) that a message it had accepted was not
 * delivered after all. See `vox.messages.applyProviderReport`.
 */
export interface ProviderFailure {
  readonly status: 'failed';
  /** What the log shows, for example `Twilio reports the message undelivered (error 30003)`. */
  readonly error: string;
  /** The provider's error code. */
  readonly errorCode?: string;
  /** False when sending again may succeed. */
  readonly permanent: boolean;
}
