/** What Vox's tables hold, as the library hands it out: notifications, issues, templates, site contacts, the message log. */
import type { Contact } from './contact.ts';
import type { MessageStatus } from './model.ts';
import type { MessagePayload } from './payload.ts';

/** A notification row. */
export interface NotificationRecord {
  readonly id: number;
  /** `<model>.<codename>`. */
  readonly key: string;
  readonly model: string;
  readonly codename: string;
  readonly description: string;
  readonly actorModel: string | null;
  readonly targetModel: string | null;
  /** Nobody can opt out of it (see NotificationSpec.required). */
  readonly required: boolean;
  /** Its preference category, with the label, or null. */
  readonly category: { readonly key: string; readonly label: string } | null;
  /** Opted in or out by default, per protocol; a protocol not named is opted in. */
  readonly defaults: Readonly<Record<string, boolean>>;
  /** Declared in code (managed by `vox sync`), as opposed to created in the admin. */
  readonly fromCode: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What rendering and issuing need of a notification: its declaration, whether or not it is stored. */
export type NotificationInfo = Pick<NotificationRecord, 'key' | 'model' | 'codename' | 'description' | 'actorModel' | 'targetModel'>;

/** An object taking part in an issue: its model, id, and what templates saw of it then. */
export interface IssueParty {
  readonly model: string;
  readonly id: string;
  readonly snapshot: unknown;
}

/** One call of notify(), as recorded. */
export interface IssueRecord {
  readonly id: number;
  readonly notificationId: number | null;
  /** `<model>.<codename>`. */
  readonly notification: string;
  readonly object: IssueParty;
  readonly actor: IssueParty | null;
  readonly target: IssueParty | null;
  readonly status: IssueStatus;
  /** Why fan-out failed, when it did. */
  readonly error: string | null;
  /** How many times a worker took the issue for fan-out. */
  readonly attempts: number;
  readonly createdAt: string;
}

/** Filters of `vox.issues.list`; issues come newest first. */
export interface IssueFilter {
  /** `<model>.<codename>`. */
  readonly notification?: string;
  readonly status?: IssueStatus;
  /** Issues recorded at or after this time (a Date, or an ISO timestamp). */
  readonly since?: Date | string;
  /** Issues recorded before this time. */
  readonly until?: Date | string;
  /** Issues with a smaller id: the next page. */
  readonly beforeId?: number;
  /** @default 100 */
  readonly limit?: number;
}

/** pending: recorded, waiting for fan-out; fanning: a worker is on it; done: every message is in the log; failed: fan-out gave up. */
export type IssueStatus = 'pending' | 'fanning' | 'done' | 'failed';

/** A template as stored. */
export interface TemplateRecord {
  readonly id: number;
  /** The stable key of a template the app ships in code (see `templates.ensure`); null for templates written in the admin. */
  readonly key: string | null;
  readonly notificationId: number;
  /** `<model>.<codename>` of its notification. */
  readonly notification: string;
  readonly backend: string;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly content: string;
  readonly fromAddress: string;
  readonly attachments: readonly string[];
  readonly bulk: boolean;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How a site contact's per-notification settings apply. */
export type EnableFilter = 'blacklist' | 'whitelist';

/** An address managed in the admin that receives notifications through the `si` channel. */
export interface SiteContactRecord {
  readonly id: number;
  readonly name: string;
  readonly protocol: string;
  readonly address: string;
  /** blacklist: every notification except those disabled; whitelist: only those enabled. */
  readonly enableFilter: EnableFilter;
  /** Per-notification settings: `<model>.<codename>` → enabled. */
  readonly settings: Readonly<Record<string, boolean>>;
}

/** A row of the message log. */
export interface MessageRecord {
  readonly id: number;
  readonly issueId: number | null;
  readonly notificationId: number | null;
  /** `<model>.<codename>` of the notification, kept after it is deleted; null for one-time messages. */
  readonly notification: string | null;
  readonly templateId: number | null;
  readonly backend: string;
  readonly protocol: string;
  /** The from address the message went out with: its template's, else its backend's default; null when it has none. */
  readonly from: string | null;
  readonly to: readonly Contact[];
  readonly subject: string | null;
  readonly payload: MessagePayload | null;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly error: string | null;
  readonly errorCode: string | null;
  readonly permanent: boolean;
  readonly providerMessageId: string | null;
  readonly idempotencyKey: string;
  readonly sentAt: string | null;
  /** When a `queued` or `retrying` message is due. */
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Filters of `vox.messages.list`. */
export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly backend?: string;
  readonly issueId?: number;
  /** `<model>.<codename>`. */
  readonly notification?: string;
  readonly notificationId?: number;
  /** Messages created at or after this ISO timestamp. */
  readonly createdFrom?: string;
  /** Messages created before this ISO timestamp. */
  readonly createdBefore?: string;
  /** Messages with a smaller id: the next page of a newest-first listing. */
  readonly beforeId?: number;
  /** Messages to an address containing this text, compared without case. */
  readonly address?: string;
  readonly limit?: number;
}
