/**
 * Amazon SES notifications through an SNS topic subscribed over HTTPS: the SNS signature is
 * checked (sns.ts), a subscription confirmation is confirmed, and SES's bounce, complaint and
 * delivery notifications (or event-publishing events) are recorded per recipient. Permanent bounces
 * and complaints put the address on the suppression list.
 */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { FeedbackEvent } from '../vocabulary/feedback.ts';
import { badRequest, field, isoTime, parseJson, recorded, text, unauthorized, type ProviderHandler } from './respond.ts';
import { defaultSnsFetch, SnsVerifier, snsUrl, type SnsFetch, type SnsMessage } from './sns.ts';

/** Options of the SES webhook. */
export interface SesFeedbackOptions {
  /**
   * The ARNs of the SNS topics SES publishes to. Messages of other topics are refused (401), so
   * that another AWS account's topic cannot post here. Required.
   */
  readonly topicArns: readonly string[];
  /** Confirms a `SubscriptionConfirmation` of one of `topicArns` by fetching its SubscribeURL. @default true */
  readonly confirmSubscriptions?: boolean;
  /**
   * How Vox fetches SNS URLs (signing certificates, subscription confirmations). It is only ever
   * handed `https://sns.<region>.amazonaws.com/…` URLs, checked before: replacing it changes how
   * those are fetched (a proxy, a test's local copy), never which hosts are allowed.
   * @default fetch, without redirects, 10 s deadline
   */
  readonly fetchFromSns?: SnsFetch;
}

export function sesHandler(options: SesFeedbackOptions): ProviderHandler {
  if (!Array.isArray(options?.topicArns) || options.topicArns.length === 0) {
    throw new VoxError(ErrorCode.configuration, 'feedback: ses needs topicArns, the ARNs of the SNS topics your SES configuration publishes to');
  }
  const topics = new Set(options.topicArns);
  const verifier = new SnsVerifier(options.fetchFromSns);
  return async (request, sink) => {
    const message = parseJson(await request.text()) as SnsMessage | undefined;
    if (typeof message !== 'object' || message === null || !(await verifier.verify(message))) {
      return unauthorized('not an Amazon SNS message with a valid signature');
    }
    if (!topics.has(message.TopicArn)) return unauthorized(`SNS topic ${message.TopicArn} is not one of the configured topicArns`);
    if (message.Type === 'SubscriptionConfirmation') {
      const url = snsUrl(message.SubscribeURL);
      if (!url) return badRequest('SubscribeURL is not an SNS URL');
      if (options.confirmSubscriptions !== false) {
        const answer = await (options.fetchFromSns ?? defaultSnsFetch)(url).catch((error: unknown) => error as Error);
        if (answer instanceof Error || !answer.ok) {
          const why = answer instanceof Error ? answer.message : `SNS answered ${answer.status}`;
          return Response.json({ error: { code: ErrorCode.delivery, message: `could not confirm the subscription: ${why}` } }, { status: 502 });
        }
      }
      return recorded({ recorded: 0, duplicates: 0, orphans: 0 });
    }
    if (message.Type !== 'Notification') return recorded({ recorded: 0, duplicates: 0, orphans: 0 });
    const notification = parseJson(message.Message);
    const events = notification === undefined ? undefined : sesEvents(notification, message);
    if (!events) return badRequest('the SNS notification is not an SES notification (no notificationType or eventType)');
    return recorded(await sink.record(events));
  };
}

/** An SES notification's events, one per recipient. */
function sesEvents(notification: unknown, sns: SnsMessage): FeedbackEvent[] | undefined {
  const mail = field(notification, 'mail');
  const sesId = text(mail, 'messageId');
  const headerId = text(field(mail, 'commonHeaders'), 'messageId');
  const headers = field(mail, 'headers');
  const key = Array.isArray(headers) ? (headers as unknown[]).find((h) => text(h, 'name')?.toLowerCase() === 'x-vox-message-key') : undefined;
  const common = {
    provider: 'ses' as const,
    protocol: 'email',
    payload: notification,
    // Vox records an email's Message-ID as sent, in angle brackets.
    ...(headerId ? { providerMessageId: headerId.startsWith('<') ? headerId : `<${headerId}>` } : {}),
    ...(text(key, 'value') ? { messageKey: text(key, 'value') as string } : {}),
    ...(sesId ? { providerRef: sesId } : {}),
  };
  const type = text(notification, 'notificationType') ?? text(notification, 'eventType');
  const recipients = (list: unknown, address: string) => (Array.isArray(list) ? (list as unknown[]) : []).map((r) => ({ entry: r, address: text(r, address) }));
  switch (type) {
    case 'Bounce': {
      const bounce = field(notification, 'bounce');
      const permanent = text(bounce, 'bounceType') === 'Permanent';
      const occurredAt = isoTime(text(bounce, 'timestamp'));
      return recipients(field(bounce, 'bouncedRecipients'), 'emailAddress').map(({ entry, address }) => ({
        ...common,
        eventId: `${text(bounce, 'feedbackId') ?? sns.MessageId}:${address ?? ''}`,
        event: permanent ? 'bounced' : 'deferred',
        ...(address ? { recipient: address } : {}),
        code: text(entry, 'status') ?? `${text(bounce, 'bounceType') ?? ''}/${text(bounce, 'bounceSubType') ?? ''}`,
        description: text(entry, 'diagnosticCode') ?? `${text(bounce, 'bounceType') ?? 'Undetermined'} bounce (${text(bounce, 'bounceSubType') ?? 'General'})`,
        ...(occurredAt ? { occurredAt } : {}),
        ...(permanent ? { suppress: 'bounced' as const } : {}),
      }));
    }
    case 'Complaint': {
      const complaint = field(notification, 'complaint');
      const occurredAt = isoTime(text(complaint, 'timestamp'));
      const kind = text(complaint, 'complaintFeedbackType');
      return recipients(field(complaint, 'complainedRecipients'), 'emailAddress').map(({ address }) => ({
        ...common,
        eventId: `${text(complaint, 'feedbackId') ?? sns.MessageId}:${address ?? ''}`,
        event: 'complained',
        ...(address ? { recipient: address } : {}),
        ...(kind ? { code: kind } : {}),
        description: `the recipient reported the message${kind ? ` (${kind})` : ''}`,
        ...(occurredAt ? { occurredAt } : {}),
        suppress: 'complained' as const,
      }));
    }
    case 'Delivery': {
      const delivery = field(notification, 'delivery');
      const occurredAt = isoTime(text(delivery, 'timestamp'));
      const list = field(delivery, 'recipients');
      return (Array.isArray(list) ? (list as unknown[]) : []).filter((r): r is string => typeof r === 'string').map((address) => ({
        ...common,
        eventId: `${sesId ?? sns.MessageId}:delivery:${address}`,
        event: 'delivered',
        recipient: address,
        ...(text(delivery, 'smtpResponse') ? { description: text(delivery, 'smtpResponse') as string } : {}),
        ...(occurredAt ? { occurredAt } : {}),
      }));
    }
    case 'Send':
    case 'Reject':
    case 'DeliveryDelay':
    case 'Open':
    case 'Click': {
      // Event publishing's other events: one per message, history only (Reject: SES refused to send).
      const event = ({ Send: 'sent', Reject: 'rejected', DeliveryDelay: 'deferred', Open: 'opened', Click: 'clicked' } as const)[type];
      const detail = field(notification, type === 'DeliveryDelay' ? 'deliveryDelay' : type.toLowerCase());
      const occurredAt = isoTime(text(detail, 'timestamp') ?? text(mail, 'timestamp'));
      const reason = text(detail, 'reason') ?? text(detail, 'delayType') ?? text(detail, 'link');
      return [{ ...common, eventId: `${sesId ?? sns.MessageId}:${type}:${text(detail, 'timestamp') ?? sns.MessageId}`, event, ...(reason ? { description: reason } : {}), ...(occurredAt ? { occurredAt } : {}) }];
    }
    default:
      // Verified, and of a kind Vox does not record: answered 200 so that SNS does not retry it.
      return type === undefined ? undefined : [];
  }
}
