import { createHash, randomUUID } from 'node:crypto';
import type { Backend, MessagePayload } from '../backends/backend.ts';
import { DeliveryError, ErrorCode, NothingSentError, VoxError, errorText } from '../errors.ts';
import type { Contact } from '../registry/contact.ts';
import type { IssueResult, MessageOutcome } from '../registry/model.ts';
import { ROLES, modelForRole, type ModelDef, type Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import type { IssueParty, NotificationRecord, Store, TemplateRecord } from '../store/store.ts';
import { mapLimit } from '../util/concurrency.ts';
import { contactsOf, notificationRef, resolveAttachments, viewOf, type IssueObjects, type View } from './context.ts';

/** Settings the delivery engine needs from createVox. */
export interface DeliverySettings {
  readonly site: Readonly<Record<string, unknown>>;
  readonly attachmentBytes: number;
  /** Messages of one template sent at once. */
  readonly concurrency: number;
}

/** The template variables shared by every message of an issue. */
interface IssueVariables {
  readonly object: View;
  readonly content: View;
  readonly actor?: View;
  readonly target?: View;
  readonly notification: ReturnType<typeof notificationRef>;
  readonly site: Readonly<Record<string, unknown>>;
}

/** One recipient of a template, with the contacts it is reached at. */
interface Recipient {
  readonly view: () => Promise<View>;
  readonly contacts: readonly Contact[];
}

/** What one issue is about. */
interface IssueState {
  readonly issueId: number;
  readonly notification: NotificationRecord;
  readonly objects: IssueObjects;
  readonly variables: IssueVariables;
}

/** What the engine writes before it sends: a message to `to`, or a failure that happened first. */
type Planned =
  | { readonly kind: 'send'; readonly to: readonly Contact[]; readonly variables: Record<string, unknown> }
  | { readonly kind: 'failure'; readonly to: readonly Contact[]; readonly error: unknown };

/** Issue → templates → channels → recipients → contacts → render → backend, with every outcome logged. */
export class Delivery {
  readonly #registry: Registry;
  readonly #store: Store;
  readonly #renderer: Renderer;
  readonly #backends: ReadonlyMap<string, Backend>;
  readonly #settings: DeliverySettings;

  constructor(registry: Registry, store: Store, renderer: Renderer, backends: ReadonlyMap<string, Backend>, settings: DeliverySettings) {
    this.#registry = registry;
    this.#store = store;
    this.#renderer = renderer;
    this.#backends = backends;
    this.#settings = settings;
  }

  /** Checks the call, records the issue, and delivers it through every enabled template. */
  async issue(model: ModelDef, object: unknown, codename: string, options: { actor?: unknown; target?: unknown } = {}): Promise<IssueResult> {
    const declared = model.notifications.get(codename);
    if (!declared) {
      const known = [...model.notifications.keys()];
      throw new VoxError(ErrorCode.unknownNotification, `${model.name} has no notification ${JSON.stringify(codename)}${known.length ? `; it has ${known.join(', ')}` : ''}`);
    }
    checkParty(declared.id, 'actor', declared.actorModel, options.actor);
    checkParty(declared.id, 'target', declared.targetModel, options.target);
    const notification = await this.#store.findNotification(model.name, codename);
    if (!notification) {
      throw new VoxError(ErrorCode.notificationNotSynced, `notification ${declared.id} is not in the database yet: run \`vox sync\` (or vox.sync()) after changing notifications in code`);
    }
    const objects: IssueObjects = { object, actor: options.actor, target: options.target };
    const variables = await this.#variables(notification, objects);
    const issueId = await this.#recordIssue(notification, objects, variables);
    const state: IssueState = { issueId, notification, objects, variables };
    const templates = await this.#store.listTemplates({ notificationId: notification.id, enabledOnly: true });
    const messages: MessageOutcome[] = [];
    for (const template of templates) messages.push(...(await this.#deliverTemplate(state, template)));
    const result = summarise(issueId, notification.key, messages);
    if (notification.required && result.sent === 0) {
      throw new NothingSentError(notification.key, issueId, messages.filter((m) => m.error).map((m) => m.error as string));
    }
    return result;
  }

  /** Sends failed messages again: stored payloads as they were, render failures with the current template. */
  async resend(ids: readonly number[]): Promise<MessageOutcome[]> {
    const outcomes: MessageOutcome[] = [];
    for (const id of ids) {
      const message = await this.#store.getMessage(id);
      if (!message) {
        outcomes.push({ id, backend: '', templateId: null, to: [], status: 'failed', error: `message ${id} does not exist` });
        continue;
      }
      if (message.status !== 'failed') {
        outcomes.push(outcomeOf(message, message.status, `not resent: message ${id} is ${message.status}; only failed messages are resent`));
        continue;
      }
      const backend = this.#backends.get(message.backend);
      const outcome = (error: unknown): MessageOutcome => outcomeOf(message, 'failed', errorText(error));
      if (!backend) {
        const error = unknownBackend(message.backend);
        await this.#store.updateMessage(id, { status: 'failed', ...failureOf(error), permanent: true });
        outcomes.push(outcome(error));
        continue;
      }
      let payload = message.payload;
      let from = message.from ?? undefined;
      if (payload === null) {
        const template = message.templateId === null ? undefined : await this.#store.getTemplate(message.templateId);
        if (!template || message.renderContext === null) {
          const error = new VoxError(ErrorCode.invalidInput, `message ${id} failed before it could be rendered (${message.error ?? 'no error recorded'}); fix the cause and issue the notification again`);
          outcomes.push(outcome(error));
          continue;
        }
        try {
          ({ payload, from } = await this.#render(template, backend, message.renderContext as Record<string, unknown>, await this.#attachmentsFromIssue(message.issueId, template)));
          await this.#store.updateMessage(id, { status: 'failed', payload, subject: payload.subject ?? null, from: from ?? null, renderContext: null });
        } catch (error) {
          await this.#store.updateMessage(id, { status: 'failed', ...failureOf(error), permanent: true });
          outcomes.push(outcome(error));
          continue;
        }
      }
      outcomes.push(...(await this.#send(backend, { id, idempotencyKey: message.idempotencyKey, from, to: message.to, payload }, message.attempts, message.templateId)));
    }
    return outcomes;
  }

  async #variables(notification: NotificationRecord, objects: IssueObjects): Promise<IssueVariables> {
    const object = await viewOf(this.#registry.get(notification.model), objects.object);
    const variables: { -readonly [K in keyof IssueVariables]: IssueVariables[K] } = {
      object,
      content: object,
      notification: notificationRef(notification),
      site: this.#settings.site,
    };
    if (notification.actorModel && objects.actor !== undefined) variables.actor = await viewOf(this.#registry.get(notification.actorModel), objects.actor);
    if (notification.targetModel && objects.target !== undefined) variables.target = await viewOf(this.#registry.get(notification.targetModel), objects.target);
    return variables;
  }

  async #recordIssue(notification: NotificationRecord, objects: IssueObjects, variables: IssueVariables): Promise<number> {
    const party = (model: string | null, object: unknown, snapshot: View | undefined) =>
      model && object !== undefined ? { model, id: this.#registry.get(model).idOf(object), snapshot } : null;
    return this.#store.insertIssue({
      notificationId: notification.id,
      notification: notification.key,
      object: { model: notification.model, id: this.#registry.get(notification.model).idOf(objects.object), snapshot: variables.object },
      actor: party(notification.actorModel, objects.actor, variables.actor),
      target: party(notification.targetModel, objects.target, variables.target),
    });
  }

  /** Delivers one template of an issue. Nothing thrown here escapes: failures become log rows. */
  async #deliverTemplate(state: IssueState, template: TemplateRecord): Promise<MessageOutcome[]> {
    const backend = this.#backends.get(template.backend);
    if (!backend) return [await this.#recordFailure(state, template, template.backend, 'unknown', [], unknownBackend(template.backend))];
    const planned: Planned[] = [];
    let attachments: MessagePayload['attachments'];
    try {
      attachments = backend.capabilities.attachments && template.attachments.length > 0
        ? await resolveAttachments(this.#registry, state.notification, state.objects, template.attachments, this.#settings.attachmentBytes)
        : undefined;
    } catch (error) {
      return [await this.#recordFailure(state, template, backend.id, backend.protocol, [], error)];
    }
    const recipients = await this.#recipients(state, template, backend.protocol, planned);
    if (template.bulk) {
      const all = uniqueContacts(recipients.flatMap((r) => r.contacts));
      const chunk = backend.capabilities.maxRecipients ?? all.length;
      for (let i = 0; i < all.length; i += Math.max(chunk, 1)) {
        planned.push({ kind: 'send', to: all.slice(i, i + chunk), variables: { ...state.variables } });
      }
    } else {
      const seen = new Set<string>();
      for (const recipient of recipients) {
        for (const contact of recipient.contacts) {
          if (seen.has(contact.address)) continue;
          seen.add(contact.address);
          try {
            const recipientView = await recipient.view();
            planned.push({ kind: 'send', to: [contact], variables: { ...state.variables, recipient: recipientView, contact: { ...contact } } });
          } catch (error) {
            planned.push({ kind: 'failure', to: [contact], error });
          }
        }
      }
    }
    const outcomes = await mapLimit(planned, this.#settings.concurrency, async (plan) => {
      if (plan.kind === 'failure') return [await this.#recordFailure(state, template, backend.id, backend.protocol, plan.to, plan.error)];
      return this.#renderAndSend(state, template, backend, plan.to, plan.variables, attachments);
    });
    return outcomes.flat();
  }

  /** Resolves the template's channels into de-duplicated recipients; failures are added to `planned`. */
  async #recipients(state: IssueState, template: TemplateRecord, protocol: string, planned: Planned[]): Promise<Recipient[]> {
    const recipients: Recipient[] = [];
    const seen = new Set<string>();
    const ref = notificationRef(state.notification);
    for (const key of template.recipients) {
      try {
        if (key === 'si') {
          for (const site of await this.#store.listSiteContacts({ protocol })) {
            const setting = site.settings[state.notification.key];
            const enabled = site.enableFilter === 'whitelist' ? setting === true : setting !== false;
            if (!enabled || seen.has(`si:${site.id}`)) continue;
            seen.add(`si:${site.id}`);
            const view = { name: site.name, protocol: site.protocol, address: site.address };
            recipients.push({ view: async () => view, contacts: [{ name: site.name, protocol, address: site.address }] });
          }
          continue;
        }
        const [prefix, channelKey = ''] = key.split(':') as [string, string?];
        const role = ROLES.find((r) => r.channelPrefix === prefix)?.role;
        if (!role) throw new VoxError(ErrorCode.channel, `unknown recipients key ${JSON.stringify(key)}`);
        const modelName = modelForRole(state.notification, role);
        const source = state.objects[role];
        if (!modelName || source === undefined) throw new VoxError(ErrorCode.channel, `recipients ${key}: this notification has no ${role}`);
        const channel = this.#registry.get(modelName).channels.get(channelKey);
        if (!channel) throw new VoxError(ErrorCode.channel, `recipients ${key}: ${modelName} has no channel ${JSON.stringify(channelKey || 'self')}`);
        const recipientModel = this.#registry.get(channel.recipientModel);
        const contactsFn = recipientModel.contacts.get(protocol);
        for await (const object of await channel.resolve(source)) {
          if (object === null || object === undefined) continue;
          const identity = `${recipientModel.name}:${recipientModel.idOf(object)}`;
          if (seen.has(identity)) continue;
          seen.add(identity);
          if (!contactsFn) continue;
          try {
            const contacts = await contactsOf(contactsFn(object, ref), protocol, '');
            let view: Promise<View> | undefined;
            recipients.push({ view: () => (view ??= viewOf(recipientModel, object)), contacts });
          } catch (error) {
            planned.push({ kind: 'failure', to: [], error: new VoxError(ErrorCode.contacts, `contacts of ${identity} failed: ${errorText(error)}`, { cause: error }) });
          }
        }
      } catch (error) {
        const failure = error instanceof VoxError ? error : new VoxError(ErrorCode.channel, `recipients ${key} failed: ${errorText(error)}`, { cause: error });
        planned.push({ kind: 'failure', to: [], error: failure });
      }
    }
    return recipients;
  }

  async #renderAndSend(
    state: IssueState,
    template: TemplateRecord,
    backend: Backend,
    to: readonly Contact[],
    variables: Record<string, unknown>,
    attachments: MessagePayload['attachments'],
  ): Promise<MessageOutcome[]> {
    const idempotencyKey = messageKey(state.issueId, template.id, to);
    let rendered: { payload: MessagePayload; from: string | undefined };
    try {
      rendered = await this.#render(template, backend, variables, attachments);
    } catch (error) {
      return [await this.#recordFailure(state, template, backend.id, backend.protocol, to, error, idempotencyKey, variables)];
    }
    const id = await this.#store.insertMessage({
      ...this.#origin(state, template, backend.id, backend.protocol),
      from: rendered.from ?? null,
      to,
      payload: rendered.payload,
      status: 'sending',
      idempotencyKey,
    });
    return this.#send(backend, { id, idempotencyKey, from: rendered.from, to, payload: rendered.payload }, 0, template.id);
  }

  async #render(template: TemplateRecord, backend: Backend, variables: Record<string, unknown>, attachments: MessagePayload['attachments']) {
    const subject = backend.capabilities.subject ? await this.#renderer.renderSubject(template.subject, variables) : '';
    const parts = await this.#renderer.renderContent(template.content, backend.format, variables);
    const from = backend.capabilities.fromAddress && template.fromAddress.trim() !== '' ? await this.#renderer.renderText(template.fromAddress, variables) : undefined;
    const composed = backend.compose({ subject, parts });
    const payload: MessagePayload = attachments && attachments.length > 0 ? { ...composed, attachments } : composed;
    return { payload, from: from === '' ? undefined : from };
  }

  /** Attachments of a re-rendered message, computed from the issue's objects re-loaded through `load`. */
  async #attachmentsFromIssue(issueId: number | null, template: TemplateRecord): Promise<MessagePayload['attachments']> {
    if (template.attachments.length === 0 || issueId === null) return undefined;
    const issue = await this.#store.getIssue(issueId);
    const notification = issue?.notificationId == null ? undefined : await this.#store.getNotification(issue.notificationId);
    if (!issue || !notification) throw new VoxError(ErrorCode.notFound, `issue ${issueId} or its notification no longer exists`);
    const objects: IssueObjects = {
      object: await this.#reload(issue.object),
      actor: issue.actor ? await this.#reload(issue.actor) : undefined,
      target: issue.target ? await this.#reload(issue.target) : undefined,
    };
    return resolveAttachments(this.#registry, notification, objects, template.attachments, this.#settings.attachmentBytes);
  }

  async #reload({ model: modelName, id }: IssueParty): Promise<unknown> {
    const model = this.#registry.get(modelName);
    if (!model.options.load) throw new VoxError(ErrorCode.configuration, `${modelName} has no load function, so its attachments cannot be computed again`);
    for (const object of await model.options.load([id])) if (model.idOf(object) === id) return object;
    throw new VoxError(ErrorCode.notFound, `${modelName} ${JSON.stringify(id)} no longer exists`);
  }

  /** One attempt at a message whose row exists; addresses the provider refused come back as their own outcomes. */
  async #send(
    backend: Backend,
    message: { id: number; idempotencyKey: string; from: string | undefined; to: readonly Contact[]; payload: MessagePayload },
    previousAttempts: number,
    templateId: number | null,
  ): Promise<MessageOutcome[]> {
    const attempts = previousAttempts + 1;
    await this.#store.updateMessage(message.id, { status: 'sending', attempts });
    try {
      const result = await backend.send(message);
      const rejected = result.rejected ?? [];
      await this.#store.updateMessage(message.id, { status: 'sent', error: null, errorCode: null, permanent: false, providerMessageId: result.providerMessageId ?? null, sentAt: new Date().toISOString() });
      const delivered = message.to.filter((c) => !rejected.some((r) => r.address === c.address));
      const sent: MessageOutcome = { id: message.id, backend: backend.id, templateId, to: delivered.map((c) => c.address), status: 'sent', error: null };
      return rejected.length > 0 ? [sent, ...(await this.#splitRejected(message, backend, rejected, templateId))] : [sent];
    } catch (error) {
      await this.#store.updateMessage(message.id, { status: 'failed', ...failureOf(error) });
      return [{ id: message.id, backend: backend.id, templateId, to: message.to.map((c) => c.address), status: 'failed', error: errorText(error) }];
    }
  }

  /** Addresses a provider refused inside an accepted message get their own failed row, so resend reaches them. */
  async #splitRejected(
    message: { id: number; idempotencyKey: string; from: string | undefined; to: readonly Contact[]; payload: MessagePayload },
    backend: Backend,
    rejected: NonNullable<Awaited<ReturnType<Backend['send']>>['rejected']>,
    templateId: number | null,
  ): Promise<MessageOutcome[]> {
    const original = await this.#store.getMessage(message.id);
    const outcomes: MessageOutcome[] = [];
    for (const { address, error } of rejected) {
      const id = await this.#store.insertMessage({
        issueId: original?.issueId ?? null,
        notificationId: original?.notificationId ?? null,
        templateId,
        backend: backend.id,
        protocol: backend.protocol,
        from: message.from ?? null,
        to: message.to.filter((c) => c.address === address),
        payload: message.payload,
        status: 'failed',
        ...failureOf(error),
        idempotencyKey: `${message.idempotencyKey}:rejected:${address}`,
      });
      outcomes.push({ id, backend: backend.id, templateId, to: [address], status: 'failed', error: errorText(error) });
    }
    return outcomes;
  }

  /** Where a message comes from: its issue, notification, template and backend. */
  #origin(state: IssueState, template: TemplateRecord, backend: string, protocol: string) {
    return { issueId: state.issueId, notificationId: state.notification.id, templateId: template.id, backend, protocol };
  }

  async #recordFailure(
    state: IssueState,
    template: TemplateRecord,
    backendId: string,
    protocol: string,
    to: readonly Contact[],
    error: unknown,
    key?: string,
    renderContext?: Record<string, unknown>,
  ): Promise<MessageOutcome> {
    const idempotencyKey = key ?? `i${state.issueId}:t${template.id}:failure:${randomUUID()}`;
    const id = await this.#store.insertMessage({
      ...this.#origin(state, template, backendId, protocol),
      to,
      renderContext,
      status: 'failed',
      ...failureOf(error),
      permanent: true,
      idempotencyKey,
    });
    return { id, backend: backendId, templateId: template.id, to: to.map((c) => c.address), status: 'failed', error: errorText(error) };
  }
}

function checkParty(notification: string, role: 'actor' | 'target', model: string | null, value: unknown): void {
  if (model && value === undefined) {
    throw new VoxError(role === 'actor' ? ErrorCode.missingActor : ErrorCode.missingTarget, `${notification} needs ${role === 'actor' ? 'an actor' : 'a target'} (model ${model}): notify(object, codename, { ${role} })`);
  }
  if (!model && value !== undefined) {
    throw new VoxError(role === 'actor' ? ErrorCode.unexpectedActor : ErrorCode.unexpectedTarget, `${notification} declares no ${role}; declare one on the notification or leave ${role} out`);
  }
}

function unknownBackend(id: string): VoxError {
  return new VoxError(ErrorCode.unknownBackend, `backend ${JSON.stringify(id)} is not configured (createVox({ backends }))`);
}

function uniqueContacts(contacts: readonly Contact[]): Contact[] {
  const byAddress = new Map<string, Contact>();
  for (const c of contacts) if (!byAddress.has(c.address)) byAddress.set(c.address, c);
  return [...byAddress.values()];
}

/** A message's idempotency key: the same issue, template and addresses always give the same key. */
function messageKey(issueId: number, templateId: number, to: readonly Contact[]): string {
  const addresses = to.map((c) => c.address).sort().join('\n');
  return `i${issueId}:t${templateId}:${createHash('sha256').update(addresses).digest('base64url').slice(0, 22)}`;
}

/** The message log's error fields for a failure. */
function failureOf(error: unknown): { error: string; errorCode: string | null; permanent: boolean } {
  return { error: errorText(error), errorCode: codeOf(error), permanent: error instanceof DeliveryError ? error.permanent : false };
}

function codeOf(error: unknown): string | null {
  if (error instanceof DeliveryError) return error.providerCode ?? (error.statusCode === undefined ? error.code : String(error.statusCode));
  if (error instanceof VoxError) return error.code;
  return null;
}

function outcomeOf(message: { id: number; backend: string; templateId: number | null; to: readonly Contact[] }, status: MessageOutcome['status'], error: string | null): MessageOutcome {
  return { id: message.id, backend: message.backend, templateId: message.templateId, to: message.to.map((c) => c.address), status, error };
}

function summarise(issueId: number, notification: string, messages: MessageOutcome[]): IssueResult {
  return {
    issueId,
    notification,
    messages,
    sent: messages.filter((m) => m.status === 'sent').length,
    failed: messages.filter((m) => m.status === 'failed').length,
  };
}
