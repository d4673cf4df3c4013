/**
 * The JSON the admin's API speaks: shared by the server (src/admin) and the browser app (admin-ui),
 * so that both sides are checked against one description.
 */
import type { BackendCapabilities } from '../vocabulary/backend.ts';
import type { ContentFormat, EditorType } from '../vocabulary/format.ts';
import type { TemplateProblem } from '../vocabulary/errors.ts';
import type { Contact } from '../vocabulary/contact.ts';
import type { MessageStatus } from '../vocabulary/model.ts';
import type { AttachmentChoice, ChannelChoice } from '../registry/registry.ts';
import type { SchemaField } from '../render/schema-paths.ts';
import type { EnableFilter, MessageRecord, SiteContactRecord, TemplateRecord } from '../vocabulary/records.ts';
import type { SuppressionReason, SuppressionRecord } from '../vocabulary/suppression.ts';

export type { AttachmentChoice, BackendCapabilities, ChannelChoice, Contact, ContentFormat, EditorType, EnableFilter, MessageStatus, SchemaField, SiteContactRecord, SuppressionReason, SuppressionRecord, TemplateProblem, TemplateRecord };

/** Every error answer: `{ error: { code, message, problems?, field? } }`. */
export interface ApiError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** A template's syntax errors and unknown variables (`VOX_INVALID_TEMPLATE`). */
    readonly problems?: readonly TemplateProblem[];
    /** The field that is too long (`VOX_FIELD_TOO_LONG`). */
    readonly field?: string;
  };
}

export interface BackendInfo {
  readonly id: string;
  readonly label: string;
  readonly protocol: string;
  readonly format: ContentFormat;
  /** The content editor to show: the backend's declared one, or the one its format implies. */
  readonly editor: EditorType;
  readonly capabilities: BackendCapabilities;
}

export interface ModelInfo {
  readonly name: string;
  readonly label: string;
  /** Whether staff can pick its objects (the model has `search` and `load`). */
  readonly searchable: boolean;
  /** Protocols its contacts functions cover: who can get one-time messages, and how. */
  readonly protocols: readonly string[];
}

/** GET /api/session: who is signed in and what Vox is configured with. */
export interface SessionInfo {
  readonly user: { readonly id: string; readonly name: string; readonly contacts: readonly Contact[] };
  /** The token to send as `X-CSRF-Token` with every state-changing request. */
  readonly csrfToken: string;
  readonly backends: readonly BackendInfo[];
  readonly models: readonly ModelInfo[];
  readonly site: { readonly name?: string; readonly baseUrl?: string };
}

export interface NotificationSummary {
  /** `<model>.<codename>`. */
  readonly key: string;
  readonly model: string;
  readonly modelLabel: string;
  readonly codename: string;
  readonly description: string;
  readonly actorModel: string | null;
  readonly targetModel: string | null;
  /** Declared in code: read-only here, and never deleted here. */
  readonly fromCode: boolean;
  /** Nobody can opt out of it. */
  readonly required: boolean;
  /** Its preference category, with the label, or null. */
  readonly category: { readonly key: string; readonly label: string } | null;
  /** Opted in or out by default, per protocol; a protocol not named is opted in. */
  readonly defaults: Readonly<Record<string, boolean>>;
  /** Synced from code that no longer declares it (kept because it has templates). */
  readonly orphan: boolean;
  readonly templateCount: number;
  /** The latest change to the notification or one of its templates. */
  readonly lastChange: string;
}

/** A root variable of templates (`object`, `recipient`, …) with its fields, for the variable picker. */
export interface VariableGroup {
  readonly root: string;
  readonly label: string;
  /** For `recipient` groups: the channel key whose recipients these are. */
  readonly channel?: string;
  /** False for `recipient` and `contact`, which bulk templates do not have. */
  readonly inBulk: boolean;
  readonly fields: readonly SchemaField[];
}

export interface NotificationDetail {
  readonly notification: NotificationSummary;
  readonly templates: readonly TemplateRecord[];
  readonly channels: readonly ChannelChoice[];
  readonly attachments: readonly AttachmentChoice[];
  readonly variables: readonly VariableGroup[];
}

/** A template as the editor holds it; `id` is absent until it is first saved. */
export type TemplateForm = Omit<TemplateRecord, 'id' | 'key' | 'notificationId' | 'createdAt' | 'updatedAt'> & { readonly id?: number };

/** What a preview is rendered with: sample data from the schemas, or real objects by id. */
export interface PreviewSource {
  readonly mode: 'sample' | 'object';
  readonly object?: string;
  readonly actor?: string;
  readonly target?: string;
}

export interface RenderedMessage {
  readonly subject?: string;
  readonly from?: string;
  readonly to: readonly Contact[];
  /** Who the recipient is in the preview, for example `Subscribers: Sam Subscriber`. */
  readonly recipient?: string;
  readonly html?: string;
  readonly text?: string;
  /** Structured payload of data backends (webhooks, template APIs). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly attachments: readonly { readonly filename: string; readonly contentType: string; readonly size: number }[];
}

/** POST /api/templates/preview: the check, and the rendered message when it renders. */
export interface PreviewResult {
  readonly errors: readonly TemplateProblem[];
  readonly warnings: readonly TemplateProblem[];
  readonly message: RenderedMessage | null;
  readonly renderError: string | null;
  /** What the preview had to make up, for example a sample recipient. */
  readonly notes: readonly string[];
}

export interface ObjectChoice {
  readonly id: string;
  readonly label: string;
}

export interface SendOutcome {
  readonly id: number;
  /** `not_resent`: a resend that was not attempted (the message had not failed); `error` says why. */
  readonly status: MessageStatus | 'not_resent';
  readonly to: readonly string[];
  readonly error: string | null;
}

/** A row of the message log, without its body. */
export interface MessageSummary {
  readonly id: number;
  readonly createdAt: string;
  readonly sentAt: string | null;
  readonly notification: string | null;
  readonly issueId: number | null;
  readonly templateId: number | null;
  readonly backend: string;
  readonly to: readonly Contact[];
  readonly subject: string | null;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly error: string | null;
  readonly errorCode: string | null;
  readonly permanent: boolean;
}

export interface MessagePage {
  readonly messages: readonly MessageSummary[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly next: number | null;
}

/** A page of the suppression list, newest first. */
export interface SuppressionPage {
  readonly suppressions: readonly SuppressionRecord[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly next: number | null;
}

/** What staff type to suppress an address; the reason is `admin` and the source the signed-in user. */
export interface SuppressionForm {
  readonly protocol: string;
  readonly address: string;
  readonly note?: string;
}

export type MessageDetail = Omit<MessageRecord, 'idempotencyKey'>;

export interface SiteContactForm {
  readonly name: string;
  readonly protocol: string;
  readonly address: string;
  readonly enableFilter: EnableFilter;
  readonly settings: Readonly<Record<string, boolean>>;
}

export interface OneTimeForm {
  readonly model: string;
  readonly objects: readonly string[];
  readonly backend: string;
  readonly fromAddress: string;
  readonly subject: string;
  readonly content: string;
}

/** POST /api/one-time/backends: who can be reached and how, or why nobody can. */
export interface OneTimeOptions {
  readonly backends: readonly BackendInfo[];
  readonly variables: readonly VariableGroup[];
}

export interface OneTimeResult {
  readonly queued: number;
  readonly messageIds: readonly number[];
  /** Objects that had no contact for the backend's protocol. */
  readonly skipped: readonly string[];
  /** This request repeated an earlier one with the same `Idempotency-Key`: nothing more was sent. */
  readonly repeated: boolean;
}

/** POST /api/notifications/:key/issue (with an `Idempotency-Key` header, sent once): the issues recorded. */
export interface IssuedNotifications {
  readonly issues: readonly { readonly issueId: number; readonly object: string }[];
  /** This request repeated an earlier one with the same `Idempotency-Key`: nothing more was issued. */
  readonly repeated: boolean;
}
