import type { Kysely } from 'kysely';
import type { Contact } from '../registry/contact.ts';
import type { ModelOptions, NotificationRef, NotificationsSpec } from '../registry/model.ts';
import type { SqlDialectName } from '../store/connect.ts';
import type { SiteOptions } from '../vox.ts';

/**
 * How a backend's template content is written, which decides how variables are escaped:
 *
 * - `html`, `markdown`: escaped for HTML / Markdown; `text`: not escaped.
 * - `blocks`: `{% block subject %}`, `{% block text_body %}`, `{% block html_body %}`.
 * - `fields`: `key: value` lines (the seed's Postmark and JSON webhook content); a line break in a
 *   variable is written `\n`, so a variable can never start a line, and so a field, of its own.
 * - `slack`: Slack mrkdwn; `&`, `<` and `>` in variables are escaped, so a variable cannot
 *   mention `<!channel>` or hide a link.
 * - `slack-blocks`: Block Kit JSON; variables are escaped as for `slack`, then as JSON string content.
 */
export type ContentFormat = 'html' | 'markdown' | 'text' | 'blocks' | 'fields' | 'slack' | 'slack-blocks';

/** Which editor the admin shows for a template's content. */
export type EditorType = 'html' | 'markdown' | 'text' | 'blocks' | 'fields' | 'json';

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
  /** The content editor the admin and preview use. @default derived from the backend's format, see {@link editorOf} */
  readonly editor?: EditorType;
  /**
   * Whether a blank address means something to this backend (X: a status update instead of a
   * direct message), so that site contacts may leave the address empty. @default false
   */
  readonly blankAddress?: boolean;
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
  /**
   * Why an address is not one of this protocol's (an SMS number not in E.164 form, say), or
   * undefined when it is. Site contacts are checked with it when saved; `send` refuses such
   * addresses as permanent failures.
   */
  validateAddress?(address: string): string | undefined;
  /** Called once by createVox, for backends that need Vox's database, site settings or models. */
  attach?(host: BackendHost): void;
  /** Releases what the backend holds open (an XMPP connection, background work); `vox.close()` calls it. */
  close?(): Promise<void>;
}

const EDITORS: Readonly<Record<ContentFormat, EditorType>> = {
  html: 'html',
  markdown: 'markdown',
  text: 'text',
  blocks: 'blocks',
  fields: 'fields',
  slack: 'text',
  'slack-blocks': 'json',
};

/** `compose` of a backend that sends the rendered text as it is (SMS, X, XMPP): the text part, trimmed. */
export function composeText({ parts }: RenderedTemplate): MessagePayload {
  return { text: (parts.text ?? '').trim() };
}

/** The editor for a backend's templates: its declared one, or the one its format implies. */
export function editorOf(backend: Pick<Backend, 'format' | 'capabilities'>): EditorType {
  return backend.capabilities.editor ?? EDITORS[backend.format];
}
