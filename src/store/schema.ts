/** Vox's tables as Kysely types. */
import type { Generated } from 'kysely';

/** Booleans are stored as 0/1 integers so that SQLite and PostgreSQL share one schema. */
export type Flag = 0 | 1;

export interface NotificationTable {
  id: Generated<number>;
  model: string;
  codename: string;
  description: string;
  actor_model: string | null;
  target_model: string | null;
  required: Flag;
  from_code: Flag;
  /** The preference category's key, or null. */
  category: string | null;
  category_label: string | null;
  /** JSON object: protocol → opted in by default. */
  defaults: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface TemplateTable {
  id: Generated<number>;
  /** The app's stable name for a template it ships in code; null for templates written in the admin. */
  key: string | null;
  notification_id: number;
  backend: string;
  /** JSON array of channel keys (`si`, `c:subscribers`, …). */
  recipients: string;
  subject: string;
  content: string;
  from_address: string;
  bulk: Flag;
  enabled: Flag;
  created_at: string;
  updated_at: string;
  /** JSON of the template's own digest (`false` or settings); null follows the notification's. */
  digest: string | null;
}

export interface TemplateAttachmentTable {
  id: Generated<number>;
  template_id: number;
  attachment_key: string;
}

export interface SiteContactTable {
  id: Generated<number>;
  name: string;
  protocol: string;
  address: string;
  enable_filter: 'blacklist' | 'whitelist';
  created_at: string;
  updated_at: string;
}

export interface SiteContactSettingTable {
  id: Generated<number>;
  site_contact_id: number;
  notification_id: number;
  enabled: Flag;
}

export interface IssueTable {
  id: Generated<number>;
  notification_id: number | null;
  /** `<model>.<codename>`. */
  notification: string;
  object_model: string;
  object_id: string;
  /** JSON of what templates saw of each object when it was issued. */
  object_snapshot: string;
  actor_model: string | null;
  actor_id: string | null;
  actor_snapshot: string | null;
  target_model: string | null;
  target_id: string | null;
  target_snapshot: string | null;
  /** pending: recorded, waiting for fan-out (and for `due_at`); fanning: a worker holds it until `locked_until`; done; failed; cancelled. */
  status: string;
  error: string | null;
  attempts: number;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  /** When a scheduled issue may be fanned out; null: at once. */
  due_at: string | null;
  /** The app's name for a waiting issue, to cancel it by; unique among pending issues. */
  key: string | null;
}

export interface MessageTable {
  id: Generated<number>;
  issue_id: number | null;
  notification_id: number | null;
  /** `<model>.<codename>`, kept when the notification is deleted; null for one-time messages. */
  notification: string | null;
  template_id: number | null;
  backend: string;
  protocol: string;
  from_address: string | null;
  /** JSON array of contacts (name, protocol, address). */
  recipients: string;
  subject: string | null;
  status: string;
  attempts: number;
  error: string | null;
  error_code: string | null;
  permanent: Flag;
  provider_message_id: string | null;
  idempotency_key: string;
  next_attempt_at: string | null;
  /** While `sending`, the worker's lease: past it, the message is taken to be lost in a crash. */
  locked_until: string | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
  /** When a worker should take the message: its next attempt, or its lease while sending; null once settled. */
  due_at: string | null;
}

/**
 * A message's bulky part, apart from its row so that status changes (claims, sent records) rewrite
 * only the narrow row.
 */
export interface MessageBodyTable {
  message_id: number;
  /** JSON of the rendered {@link MessagePayload}; null when rendering failed. */
  payload: string | null;
  /** JSON of the variables, kept when rendering failed so that resend can render again. */
  render_context: string | null;
}

/** Per backend with a `ratePerSecond`, when the next send may start (ms since the epoch), for all workers. */
export interface RateLimitTable {
  backend: string;
  /** A number; PostgreSQL's driver reads a bigint as a string. */
  next_start_ms: number | string;
}

/** An address no message may go to (see vocabulary/suppression.ts). */
export interface SuppressionTable {
  id: Generated<number>;
  protocol: string;
  /** In its compared form: emails lower-cased. */
  address: string;
  reason: string;
  source: string;
  note: string | null;
  created_at: string;
}

/** One event of a message's history as a provider reported it; `message_id` null for an orphan. */
export interface MessageEventTable {
  id: Generated<number>;
  message_id: number | null;
  provider: string;
  provider_event_id: string;
  /** The id matched against `vox_messages.provider_message_id`. */
  provider_message_id: string | null;
  /** The provider's own id of the message where it differs from the one Vox recorded. */
  provider_ref: string | null;
  /** The message's idempotency key, when the provider echoed it. */
  message_key: string | null;
  event: string;
  recipient: string | null;
  description: string | null;
  code: string | null;
  permanent: Flag;
  /** 1 while the event waits for its message's sent record to be applied. */
  pending: Flag;
  occurred_at: string;
  /** JSON of the provider's payload, trimmed. */
  payload: string;
  created_at: string;
}

/** A recipient's events of one template (and key), gathered until the digest closes (see delivery/digests.ts). */
export interface DigestTable {
  id: Generated<number>;
  template_id: number;
  /** `<model>.<codename>`. */
  notification: string;
  /** The recipient's address as the backend compares addresses. */
  address: string;
  /** The digest's key (`blog.article:hello`), or '' when the notification declares none. */
  digest_key: string;
  /** JSON of the contact the message goes to. */
  contact: string;
  /** JSON of the recipient's template variables (`recipient`, `contact`) at its latest event. */
  recipient: string;
  /** The recipient's model and id, for its preferences; null for a site contact (and digests older than 0015). */
  recipient_model: string | null;
  recipient_id: string | null;
  /** The recipient's time zone (its model's `timezone`), for quiet hours. */
  recipient_zone: string | null;
  /** open: gathering; closing: a worker holds it until `locked_until`; closed. */
  status: string;
  /** Events added (a fan-out run again may count one twice; the message counts the event rows). */
  events: number;
  last_issue_id: number;
  opened_at: string;
  /** When it closes: the window's end, or now once it is full. */
  due_at: string;
  /** The latest it may close: `opened_at` + the window (fixed) or + maxWait (sliding). */
  close_by: string;
  locked_until: string | null;
  /** The message it became. */
  message_id: number | null;
  updated_at: string;
}

/** One event (an issue) of a digest. */
export interface DigestEventTable {
  id: Generated<number>;
  digest_id: number;
  issue_id: number;
  event_key: string;
  created_at: string;
}

/** A recipient's preference at one level (see vocabulary/preferences.ts). */
export interface PreferenceTable {
  id: Generated<number>;
  recipient_model: string;
  recipient_id: string;
  /** global, category or notification. */
  level: string;
  /** The category or notification key; '' at the global level. */
  subject: string;
  /** '' for every protocol. */
  protocol: string;
  enabled: Flag;
  updated_at: string;
}

/** Messages per notification, protocol and address in the current throttle window. */
export interface ThrottleTable {
  notification: string;
  protocol: string;
  address: string;
  window_start: string;
  sent: number;
}

/** An item of a recipient's in-app inbox (see vocabulary/inbox.ts). */
export interface InboxItemTable {
  id: Generated<number>;
  message_id: number | null;
  /** The recipient's `in-app` address. */
  recipient: string;
  notification: string | null;
  title: string;
  /** Sanitized HTML. */
  html: string;
  link: string | null;
  /** JSON of the actor (name, avatar), or null. */
  actor: string | null;
  /** JSON of the `data.<key>` fields, or null. */
  data: string | null;
  created_at: string;
  seen_at: string | null;
  read_at: string | null;
  archived_at: string | null;
}

/** The tables Vox owns, all prefixed `vox_`. */
export interface VoxDatabase {
  vox_notifications: NotificationTable;
  vox_templates: TemplateTable;
  vox_template_attachments: TemplateAttachmentTable;
  vox_site_contacts: SiteContactTable;
  vox_site_contact_settings: SiteContactSettingTable;
  vox_issues: IssueTable;
  vox_messages: MessageTable;
  vox_message_bodies: MessageBodyTable;
  vox_rate_limits: RateLimitTable;
  vox_suppressions: SuppressionTable;
  vox_message_events: MessageEventTable;
  vox_digests: DigestTable;
  vox_digest_events: DigestEventTable;
  vox_throttles: ThrottleTable;
  vox_preferences: PreferenceTable;
  vox_inbox_items: InboxItemTable;
}
