/** The Backend seam: what a backend declares, what it is handed, and what createVox shares with it. */
import type { Kysely } from 'kysely';
import type { Contact } from './contact.ts';
import type { ModelOptions, NotificationRef, NotificationsSpec } from './model.ts';
import type { SqlDialectName } from './database.ts';
import type { SiteOptions } from './site.ts';
import { EDITORS, type ContentFormat, type EditorType } from './format.ts';
import type { MessagePayload, OutboundMessage, RenderedTemplate, SendResult } from './payload.ts';

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
  /**
   * Sends in flight at once in each worker, unless `backendLimits` says otherwise: for backends
   * whose sends are cheap and local (the in-app backend writes to Vox's own database). @default 8
   */
  readonly concurrency?: number;
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
  /**
   * Tells the in-app inbox's event streams, in every process, that these recipients (`in-app`
   * addresses) have new items. Absent on hosts without an inbox.
   */
  inboxChanged?(recipients: readonly string[]): Promise<void>;
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
  /**
   * The from address of messages whose template gives none (the backend's `from` option), so
   * that the message log records the address a message went out with. @default none
   */
  readonly defaultFrom?: string;
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
  /**
   * The form under which two addresses are one recipient, so that a fan-out sends them one
   * message: email compares addresses ignoring case. Without it, addresses are compared as
   * written.
   */
  addressKey?(address: string): string;
  /**
   * What is wrong with a template's content (as written, before rendering) that no variable can
   * put right: a missing field, an unknown one. Templates with problems are refused when saved.
   * @default none checked
   */
  contentProblems?(content: string): readonly string[];
  /** Called once by createVox, for backends that need Vox's database, site settings or models. */
  attach?(host: BackendHost): void;
  /** Releases what the backend holds open (an XMPP connection, background work); `vox.close()` calls it. */
  close?(): Promise<void>;
}

/** `compose` of a backend that sends the rendered text as it is (SMS, X, XMPP): the text part, trimmed. */
export function composeText({ parts }: RenderedTemplate): MessagePayload {
  return { text: (parts.text ?? '').trim() };
}

/** The from address a message goes out with: its template's, rendered, else the backend's default. */
export function senderOf(backend: Pick<Backend, 'defaultFrom'>, rendered: string | undefined): string | undefined {
  return rendered === undefined || rendered.trim() === '' ? backend.defaultFrom : rendered;
}

/** The editor for a backend's templates: its declared one, or the one its format implies. */
export function editorOf(backend: Pick<Backend, 'format' | 'capabilities'>): EditorType {
  return backend.capabilities.editor ?? EDITORS[backend.format];
}
