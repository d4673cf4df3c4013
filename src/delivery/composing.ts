/** Turning an issue and a template into a message's payload: the variables, rendering, compose, re-loaded objects. */
import { senderOf, type Backend, type ComposeContext } from '../vocabulary/backend.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import type { MessagePayload, UnsubscribeLinks } from '../vocabulary/payload.ts';
import type { IssueParty, IssueRecord, NotificationInfo, NotificationRecord, TemplateRecord } from '../vocabulary/records.ts';
import { notificationRef, resolveAttachments, viewOf, type IssueObjects, type View } from './context.ts';
import type { Engine } from './engine.ts';

/** The template variables shared by every message of an issue. */
export interface IssueVariables {
  readonly object: View;
  readonly content: View;
  readonly actor?: View;
  readonly target?: View;
  readonly notification: ReturnType<typeof notificationRef>;
  readonly site: Readonly<Record<string, unknown>>;
}

/** A rendered message: what to send, and its from address (the template's, else the backend's default), if any. */
export interface Composed {
  readonly payload: MessagePayload;
  readonly from: string | undefined;
}

/** The variables that differ from one recipient of an issue to the next. */
const PER_RECIPIENT = ['recipient', 'contact', 'unsubscribe_url', 'preferences_url'] as const;

/** One recipient's own variables (`recipient`, `contact`, its links) with what its backend is told. */
export interface RecipientEntry {
  readonly variables: Readonly<Record<string, unknown>>;
  readonly context?: ComposeContext;
  /** The unsubscribe links an email's headers carry. */
  readonly unsubscribe?: UnsubscribeLinks | undefined;
}

/** A template ready for the recipients of one issue; see {@link Composer.prepare}. */
export interface PreparedMessage {
  /** One message per entry, or why it could not be rendered, in the same order. */
  composeMany(entries: readonly RecipientEntry[], attachments: MessagePayload['attachments']): Promise<(Composed | Error)[]>;
}

export function composeContext(notification: NotificationRecord, objects: IssueObjects, to: readonly Contact[]): ComposeContext {
  return { notification: notificationRef(notification), actorModel: notification.actorModel, targetModel: notification.targetModel, ...objects, to };
}

/** Renders templates into payloads, with the variables and objects of their issue. */
export class Composer {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** The variables every message of an issue shares. */
  async variables(notification: NotificationInfo, objects: IssueObjects): Promise<IssueVariables> {
    const { registry, settings } = this.#engine;
    const limit = settings.snapshotBytes;
    const object = await viewOf(registry.get(notification.model), objects.object, limit);
    const variables: { -readonly [K in keyof IssueVariables]: IssueVariables[K] } = {
      object,
      content: object,
      notification: notificationRef(notification),
      site: settings.site,
    };
    if (notification.actorModel && objects.actor !== undefined) variables.actor = await viewOf(registry.get(notification.actorModel), objects.actor, limit);
    if (notification.targetModel && objects.target !== undefined) variables.target = await viewOf(registry.get(notification.targetModel), objects.target, limit);
    return variables;
  }

  /** Renders one message of `template` for `backend` (a resend, a message outside any fan-out). */
  async render(template: TemplateRecord, backend: Backend, variables: Record<string, unknown>, attachments: MessagePayload['attachments'], context?: ComposeContext): Promise<Composed> {
    const unsubscribe = this.#engine.settings.links?.fromVariables(variables);
    const [composed] = await this.prepare(template, backend, variables, { once: true }).composeMany([{ variables: {}, context, unsubscribe }], attachments);
    if (!composed || composed instanceof Error) throw composed ?? new VoxError(ErrorCode.render, 'nothing was rendered');
    return composed;
  }

  /**
   * Prepares `template` for the recipients of one issue: what reads only the issue's variables is
   * rendered once, and each message renders only what reads `recipient` or `contact`, with the
   * same result as {@link Composer.render}. Rendering runs on the render thread; backends get the
   * holes of each part, so that work they do per part (a text part from HTML) can be done once
   * per template too.
   */
  prepare(template: TemplateRecord, backend: Backend, shared: Readonly<Record<string, unknown>>, options: { readonly once?: boolean } = {}): PreparedMessage {
    const fields = {
      subject: backend.capabilities.subject ? template.subject : undefined,
      content: template.content,
      format: backend.format,
      fromAddress: backend.capabilities.fromAddress && template.fromAddress.trim() !== '' ? template.fromAddress : undefined,
    };
    const prepared = this.#engine.renderer.prepare(fields, shared, PER_RECIPIENT, options);
    return {
      async composeMany(entries, attachments) {
        const rendered = await prepared.renderMany(entries.map((e) => e.variables));
        return rendered.map((message, i) => {
          if (message instanceof VoxError) return message;
          try {
            const composed = backend.compose({ subject: message.subject, parts: message.parts, holes: message.holes }, entries[i]?.context);
            const unsubscribe = backend.protocol === 'email' ? entries[i]?.unsubscribe : undefined;
            const payload: MessagePayload = {
              ...composed,
              ...(attachments && attachments.length > 0 ? { attachments } : {}),
              ...(unsubscribe ? { unsubscribe } : {}),
            };
            return { payload, from: senderOf(backend, message.fromAddress) };
          } catch (error) {
            return error instanceof Error ? error : new VoxError(ErrorCode.render, errorText(error), { cause: error });
          }
        });
      },
    };
  }

  /** An issue with its notification; undefined when either is gone. */
  async issueOf(issueId: number | null): Promise<{ issue: IssueRecord; notification: NotificationRecord } | undefined> {
    const { store } = this.#engine;
    const issue = issueId === null ? undefined : await store.issues.get(issueId);
    const notification = issue?.notificationId == null ? undefined : await store.notifications.get(issue.notificationId);
    return issue && notification ? { issue, notification } : undefined;
  }

  /** The objects of an issue, re-loaded; see {@link Composer.reload}. */
  async objectsOf(issue: IssueRecord, snapshotFallback: boolean): Promise<IssueObjects> {
    return {
      object: await this.reload(issue.object, snapshotFallback),
      actor: issue.actor ? await this.reload(issue.actor, snapshotFallback) : undefined,
      target: issue.target ? await this.reload(issue.target, snapshotFallback) : undefined,
    };
  }

  /** Attachments of a re-rendered message, computed from the issue's objects re-loaded through `load`. */
  async attachmentsFromIssue(issueId: number | null, template: TemplateRecord): Promise<MessagePayload['attachments']> {
    if (template.attachments.length === 0 || issueId === null) return undefined;
    const found = await this.issueOf(issueId);
    if (!found) throw new VoxError(ErrorCode.notFound, `issue ${issueId} or its notification no longer exists`);
    const objects = await this.objectsOf(found.issue, false);
    return resolveAttachments(this.#engine.registry, found.notification, objects, template.attachments, this.#engine.settings.attachmentBytes);
  }

  /** What a message re-rendered for a resend is about: its issue's objects, re-loaded (or their snapshots). */
  async composeContextFromIssue(issueId: number | null, to: readonly Contact[]): Promise<ComposeContext | undefined> {
    const found = await this.issueOf(issueId);
    if (!found) return undefined;
    return composeContext(found.notification, await this.objectsOf(found.issue, true), to);
  }

  /**
   * An issue's object, re-loaded through its model's `load`. When it no longer exists (or the model
   * has no `load`), the snapshot taken at issue time stands in for it if `snapshotFallback` is on.
   */
  async reload(party: IssueParty, snapshotFallback: boolean): Promise<unknown> {
    const model = this.#engine.registry.get(party.model);
    if (model.options.load) {
      for (const object of await model.options.load([party.id])) if (model.idOf(object) === party.id) return object;
    }
    if (snapshotFallback) return party.snapshot;
    throw new VoxError(ErrorCode.notFound, model.options.load ? `${party.model} ${JSON.stringify(party.id)} no longer exists` : `${party.model} has no load function, so its objects cannot be re-loaded`);
  }
}
