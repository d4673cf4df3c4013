/** The parts of the Vox facade that read and act on what Vox stored: the message log, issues, notifications. */
import type { AttachmentChoice, ChannelChoice } from './registry/registry.ts';
import type { NotificationInput } from './manage/notifications.ts';
import type { MessageEventRecord } from './vocabulary/feedback.ts';
import type { MessageStatus, ResendOutcome } from './vocabulary/model.ts';
import type { ProviderFailure } from './vocabulary/payload.ts';
import type { IssueFilter, IssueRecord, MessageFilter, MessageRecord, NotificationRecord } from './vocabulary/records.ts';

/** The message log. */
export interface Messages {
  list(filter?: MessageFilter): Promise<MessageRecord[]>;
  get(id: number): Promise<MessageRecord | undefined>;
  /**
   * Sends failed messages again, one attempt each; each outcome says whether it went out this time.
   * An id that is not a failed message is not attempted: its outcome is `not_resent`, with why.
   */
  resend(ids: readonly number[]): Promise<ResendOutcome[]>;
  /**
   * Records a provider's later report that a sent message was not delivered (Twilio's status
   * callback does this): the message becomes failed, with the provider's error, and can be
   * resent. The report names the message by its id (put it in the callback URL you give the
   * provider) and must carry the provider's id for it. Returns the message, or undefined when
   * message `messageId` is not a sent message of `backend` with that provider id (a resend since
   * gave it a new one, or the report is not ours).
   */
  applyProviderReport(messageId: number, backend: string, providerMessageId: string, update: ProviderFailure): Promise<MessageRecord | undefined>;
  /** The message's history as its provider reported it (delivery feedback), in the order things happened. */
  events(id: number): Promise<MessageEventRecord[]>;
}

/** Issues: each call of notify(), with how far its delivery got. */
export interface Issues {
  /**
   * Issues, newest first, filtered by notification key, status and when they were recorded.
   *
   * @example
   * const stuck = await vox.issues.list({ notification: 'shop.order.placed', status: 'failed', since: new Date(Date.now() - 86_400_000) });
   */
  list(filter?: IssueFilter): Promise<IssueRecord[]>;
  /** The issue and how many of its messages are in each status; undefined when it does not exist. */
  get(issueId: number): Promise<(IssueRecord & { readonly messages: Record<MessageStatus, number> }) | undefined>;
  /**
   * Cancels the issue that notify() recorded with this `key` and that no worker has fanned out yet
   * (a scheduled reminder that is no longer needed). Returns the cancelled issue's id, or undefined
   * when none waits under that key: it was fanned out already, cancelled, or never recorded.
   *
   * @example
   * await Order.notify(order, 'unpaid', { delay: 86_400_000, key: `unpaid:${order.id}` });
   * // … the order is paid:
   * await vox.issues.cancel(`unpaid:${order.id}`);
   */
  cancel(key: string): Promise<number | undefined>;
}

/** Notifications as stored, with what templates of each may use. */
export interface Notifications {
  list(): Promise<NotificationRecord[]>;
  /** Recipient choices for a notification (`<model>.<codename>`), with the seed's labels. */
  channels(notification: string): Promise<ChannelChoice[]>;
  /** Attachment choices for a notification. */
  attachments(notification: string): Promise<AttachmentChoice[]>;
  /**
   * Creates a notification that exists only in the database, as staff do in the admin. Its model
   * must be registered; it is issued from the admin ("Send notification"), not by notify().
   */
  create(input: NotificationInput): Promise<NotificationRecord>;
  /** Changes the description, actor or target of a notification created with {@link Notifications.create}. */
  update(notification: string, input: Omit<NotificationInput, 'model' | 'codename'>): Promise<NotificationRecord>;
  /** Deletes a notification created with {@link Notifications.create}, and its templates. Notifications declared in code cannot be deleted. */
  delete(notification: string): Promise<void>;
}
