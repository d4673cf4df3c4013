import type { Contact } from '../registry/contact.ts';

/** How a backend's template content is written, which decides escaping and the editor. */
export type ContentFormat = 'html' | 'markdown' | 'text' | 'blocks';

/** What a backend can do; these flags drive template validation, the admin and preview. */
export interface BackendCapabilities {
  /** Templates have a subject (the seed's USE_SUBJECT). */
  readonly subject: boolean;
  /** Templates may set a from address (USE_FROM_ADDRESS). */
  readonly fromAddress: boolean;
  /** Templates may attach files (USE_ATTACHMENTS). */
  readonly attachments: boolean;
  /** Staff may send one-time messages with it from the admin. */
  readonly manualSending: boolean;
  /** Most addresses one message may carry; bulk templates are split above it. @default unlimited */
  readonly maxRecipients?: number;
}

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
}

/** What is sent and stored in the message log: JSON only. */
export interface MessagePayload {
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  /** Structured payload for data backends (webhooks, template APIs). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly attachments?: readonly AttachmentPayload[];
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
 * Delivers messages of one protocol. Implement `send`; Vox does rendering, logging and retries.
 * Throw {@link DeliveryError} to say whether a failure is permanent.
 */
export interface Backend {
  /** Unique id stored on templates, for example `email-html`. */
  readonly id: string;
  /** Protocol of the addresses it accepts, for example `email`. */
  readonly protocol: string;
  /** Human name shown in the admin. */
  readonly label: string;
  readonly capabilities: BackendCapabilities;
  /** How template content is written and escaped. */
  readonly format: ContentFormat;
  /** Turns a rendered template into the payload to send (for example, HTML into HTML and text parts). */
  compose(rendered: RenderedTemplate): MessagePayload;
  send(message: OutboundMessage): Promise<SendResult>;
}
