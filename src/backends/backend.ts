import type { Kysely } from 'kysely';
import type { Contact } from '../registry/contact.ts';
import type { ModelOptions, NotificationRef, NotificationsSpec } from '../registry/model.ts';
import type { SqlDialectName } from '../store/connect.ts';
import type { SiteOptions } from '../vox.ts';

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
 * What a message is about, for backends whose payload is more than the rendered text (the
 * activity backend builds an ActivityStreams activity from it). Absent for previews and one-time
 * messages, which belong to no issue.
 */
export interface ComposeContext {
  readonly notification: NotificationRef;
  /** Models of the notification's actor and target, when it declares them. */
  readonly actorModel: string | null;
  readonly targetModel: string | null;
  /** The objects: as passed to notify(), or re-loaded (their snapshot when they are gone). */
  readonly object: unknown;
  readonly actor?: unknown;
  readonly target?: unknown;
  /** The message's recipients. */
  readonly to: readonly Contact[];
}

/** A registered model, as a backend sees it through {@link BackendHost}. */
export interface HostModel {
  readonly name: string;
  readonly label: string;
  readonly options: ModelOptions<unknown, NotificationsSpec>;
  /** The object's id, as a string. */
  idOf(object: unknown): string;
}

/** What createVox shares with a backend that asks for it with {@link Backend.attach}. */
export interface BackendHost {
  /** Vox's database; a backend may keep rows in tables that Vox's migrations create. */
  readonly db: Kysely<unknown>;
  readonly dialect: SqlDialectName;
  readonly site: SiteOptions;
  /** A registered model by name (models registered after createVox included). */
  model(name: string): HostModel | undefined;
  /** Every registered model. */
  models(): readonly HostModel[];
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
  /**
   * Turns a rendered template into the payload to send (for example, HTML into HTML and text
   * parts). `context` says what the message is about, when it belongs to an issue.
   */
  compose(rendered: RenderedTemplate, context?: ComposeContext): MessagePayload;
  send(message: OutboundMessage): Promise<SendResult>;
  /** Called once by createVox, for backends that need Vox's database, site settings or models. */
  attach?(host: BackendHost): void;
  /** Called by vox.close(): stop background work, release what `attach` took. */
  close?(): Promise<void>;
}
