/** What the admin renders and shows: previews, sample and real objects, the variable picker, one-time messages. */
import { editorOf, senderOf, type Backend } from '../vocabulary/backend.ts';
import { type MessagePayload } from '../vocabulary/payload.ts';
import { contactsOf, notificationRef, resolveAttachments, viewOf, type IssueObjects, type View } from '../delivery/context.ts';
import { ErrorCode, VoxError, errorText, type TemplateProblem } from '../vocabulary/errors.ts';
import { contact as makeContact, type Contact } from '../vocabulary/contact.ts';
import type { NotificationRef } from '../vocabulary/model.ts';
import { ROLES, modelForRole, type ModelDef, type Role } from '../registry/registry.ts';
import { SAMPLE_PEOPLE, sampleDigest, sampleOf } from '../render/sample-data.ts';
import { jsonSchemaOf, schemaFields, type JsonSchema } from '../render/schema-paths.ts';
import { ANYTHING, CONTACT_SCHEMA, LINK_SCHEMA, NOTIFICATION_SCHEMA, RECIPIENT_LINKS, SITE_SCHEMA, digestSchema, variableProblem } from '../render/variable-check.ts';
import { effectiveDigest } from '../vocabulary/digest.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';
import type { BackendInfo, ModelInfo, ObjectChoice, OneTimeForm, PreviewSource, RenderedMessage, TemplateForm, VariableGroup } from './api.ts';
import type { AdminDeps } from './context.ts';

/** How deep the variable picker follows nested objects (`object.article.author.name`). */
const PICKER_DEPTH = 3;
/** Most objects a search shows. */
export const SEARCH_LIMIT = 50;

/** What a one-time message's contacts functions are told: there is no notification (the seed's OneTimeNotification). */
export const ONE_TIME: NotificationRef = { id: 'one-time', model: '', codename: 'one-time', description: 'One-time message from the admin' };

/** Previews, test sends and one-time messages: rendering outside of an issue. */
export class Composer {
  readonly #deps: AdminDeps;
  readonly #schemas = new Map<string, JsonSchema | undefined>();

  constructor(deps: AdminDeps) {
    this.#deps = deps;
  }

  backendInfo(backend: Backend): BackendInfo {
    return { id: backend.id, label: backend.label, protocol: backend.protocol, format: backend.format, editor: editorOf(backend), capabilities: backend.capabilities };
  }

  modelInfo(model: ModelDef): ModelInfo {
    return { name: model.name, label: model.label, searchable: Boolean(model.options.search && model.options.load), protocols: [...model.contacts.keys()] };
  }

  /** The model's JSON Schema, when its Standard Schema can describe itself. */
  schemaOf(modelName: string): JsonSchema | undefined {
    if (!this.#schemas.has(modelName)) {
      this.#schemas.set(modelName, this.#deps.registry.has(modelName) ? jsonSchemaOf(this.#deps.registry.get(modelName).options.schema) : undefined);
    }
    return this.#schemas.get(modelName);
  }

  /** The variable picker's groups for a notification: object, actor, target, recipients per channel, contact, notification, site. */
  variables(notification: NotificationRecord): VariableGroup[] {
    const { registry } = this.#deps;
    const groups: VariableGroup[] = [];
    for (const { role } of ROLES) {
      const modelName = modelForRole(notification, role);
      if (!modelName) continue;
      const label = registry.has(modelName) ? registry.get(modelName).label : modelName;
      groups.push({ root: role, label: `${role === 'object' ? 'Object' : role === 'actor' ? 'Actor' : 'Target'} (${label})`, inBulk: true, fields: this.#fields(modelName) });
    }
    const choices = registry.has(notification.model) ? registry.channelChoices(notification) : [];
    for (const choice of choices) {
      const fields = choice.recipientModel === null ? schemaFields(CONTACT_SCHEMA, 1) : this.#fields(choice.recipientModel);
      groups.push({ root: 'recipient', label: `Recipient: ${choice.label}`, channel: choice.key, inBulk: false, fields });
    }
    if (registry.digestOf(notification)) groups.push({ root: 'digest', label: 'Digest (the events gathered)', inBulk: false, fields: schemaFields(this.#digestSchema(notification), 3) });
    groups.push(
      { root: 'contact', label: 'Contact', inBulk: false, fields: schemaFields(CONTACT_SCHEMA, 1) },
      { root: 'unsubscribe_url', label: 'Unsubscribe link (not in required notifications)', inBulk: false, fields: [] },
      { root: 'preferences_url', label: 'Preference center link', inBulk: false, fields: [] },
      { root: 'notification', label: 'Notification', inBulk: true, fields: schemaFields(NOTIFICATION_SCHEMA, 1) },
      { root: 'site', label: 'Site', inBulk: true, fields: schemaFields(SITE_SCHEMA, 1) },
    );
    return groups;
  }

  /** Variables of a one-time message to objects of a model: the object is also the recipient. */
  oneTimeVariables(modelName: string): VariableGroup[] {
    const model = this.#deps.registry.get(modelName);
    const fields = this.#fields(modelName);
    return [
      { root: 'object', label: `Object (${model.label})`, inBulk: true, fields },
      { root: 'recipient', label: `Recipient (${model.label})`, inBulk: false, fields },
      { root: 'contact', label: 'Contact', inBulk: false, fields: schemaFields(CONTACT_SCHEMA, 1) },
      { root: 'site', label: 'Site', inBulk: true, fields: schemaFields(SITE_SCHEMA, 1) },
    ];
  }

  /** Whether the template in the editor gathers digests (its own setting, else its notification's). */
  #digestOf(form: TemplateForm, notification: NotificationRecord): boolean {
    try {
      return effectiveDigest(form, this.#deps.registry.digestOf(notification), notification.key) !== null;
    } catch {
      return false;
    }
  }

  #digestSchema(notification: NotificationRecord): JsonSchema {
    const schema = (model: string | null) => (model ? this.schemaOf(model) : undefined);
    return digestSchema(this.schemaOf(notification.model) ?? ANYTHING, schema(notification.actorModel), schema(notification.targetModel));
  }

  #fields(modelName: string) {
    const schema = this.schemaOf(modelName);
    return schema ? schemaFields(schema, PICKER_DEPTH) : [];
  }

  /** Objects of a model matching a query, through the model's `search`. */
  async search(modelName: string, query: string): Promise<ObjectChoice[]> {
    const model = this.#deps.registry.get(modelName);
    const search = model.options.search;
    if (!search) throw new VoxError(ErrorCode.invalidInput, `${model.label} objects cannot be searched: give the model a search function (vox.model('${model.name}', { search }))`);
    const choices: ObjectChoice[] = [];
    for (const object of await search(query.trim())) {
      choices.push({ id: model.idOf(object), label: this.display(model, object) });
      if (choices.length >= SEARCH_LIMIT) break;
    }
    return choices;
  }

  display(model: ModelDef, object: unknown): string {
    try {
      if (model.options.display) return model.options.display(object);
    } catch {
      // A display function that fails on an odd object still leaves the id to show.
    }
    return `${model.label} ${model.idOf(object)}`;
  }

  /** Objects by id through the model's `load`, in the order asked; a clear error for any that is missing. */
  async load(modelName: string, ids: readonly string[]): Promise<unknown[]> {
    const model = this.#deps.registry.get(modelName);
    if (!model.options.load) throw new VoxError(ErrorCode.invalidInput, `${model.label} objects cannot be loaded: give the model a load function`);
    const found = new Map<string, unknown>();
    for (const object of await model.options.load(ids)) found.set(model.idOf(object), object);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw new VoxError(ErrorCode.notFound, `${model.label} ${missing.map((id) => JSON.stringify(id)).join(', ')} not found`);
    return ids.map((id) => found.get(id));
  }

  /** Renders a template as it stands in the editor, with real objects or sample data. */
  async renderTemplate(notification: NotificationRecord, form: TemplateForm, source: PreviewSource, to?: Contact): Promise<Rendering> {
    const backend = this.#backend(form.backend);
    const notes: string[] = [];
    const objects: Record<Role, unknown> = { object: undefined, actor: undefined, target: undefined };
    const views: Partial<Record<Role, View>> = {};
    const real = new Set<Role>();
    for (const { role } of ROLES) {
      const modelName = modelForRole(notification, role);
      if (!modelName) continue;
      const id = source.mode === 'object' ? source[role] : undefined;
      if (id) {
        const [object] = await this.load(modelName, [id]);
        objects[role] = object;
        views[role] = await viewOf(this.#deps.registry.get(modelName), object);
        real.add(role);
      } else {
        views[role] = this.#sample(modelName, notes, role);
      }
    }
    const variables: Record<string, unknown> = {
      object: views.object,
      content: views.object,
      notification: notificationRef(notification),
      site: this.#deps.site,
      ...(views.actor ? { actor: views.actor } : {}),
      ...(views.target ? { target: views.target } : {}),
    };
    let recipientLabel: string | undefined;
    let recipients: Contact[] = [];
    if (this.#digestOf(form, notification)) {
      const schema = (model: string | null) => (model ? this.schemaOf(model) : undefined);
      variables.digest = sampleDigest(views.object, schema(notification.actorModel), schema(notification.targetModel));
      notes.push('A digest: the preview gathers three sample events.');
    }
    if (!form.bulk) {
      const recipient = await this.#recipient(notification, form, backend, objects, real, notes);
      variables.recipient = recipient.view;
      variables.contact = { ...(to ?? recipient.contact) };
      for (const link of RECIPIENT_LINKS) variables[link] = sampleOf(LINK_SCHEMA, link);
      recipientLabel = recipient.label;
      recipients = [recipient.contact];
    }
    let attachments: MessagePayload['attachments'];
    if (backend.capabilities.attachments && form.attachments.length > 0) {
      const needed = new Set(form.attachments.map((key) => key.split('.')[0] as Role));
      if ([...needed].every((role) => real.has(role))) {
        attachments = await resolveAttachments(this.#deps.registry, notification, objects as IssueObjects, form.attachments, this.#deps.attachmentBytes);
      } else {
        notes.push(`Attachments are computed from real objects: choose ${[...needed].filter((r) => !real.has(r)).join(' and ')} to see them.`);
      }
    }
    const rendered = await this.#render(backend, form, variables, attachments);
    return { ...rendered, backend, to: to ? [to] : recipients, recipientLabel, notes };
  }

  /** The backends that can send one-time messages to objects of a model; the seed's errors when none can. */
  oneTimeBackends(modelName: string): Backend[] {
    const model = this.#deps.registry.get(modelName);
    if (model.contacts.size === 0) {
      throw new VoxError(ErrorCode.invalidInput, `${model.label} objects have no contacts, so they cannot be sent messages: give the model a contacts function (contacts: { email: … })`);
    }
    const usable = [...this.#deps.backends.values()].filter((b) => b.capabilities.manualSending && model.contacts.has(b.protocol));
    if (usable.length === 0) {
      throw new VoxError(
        ErrorCode.invalidInput,
        `no backend can send one-time messages to ${model.label} objects: their contacts are ${[...model.contacts.keys()].join(', ')}, and no configured backend for that protocol allows manual sending`,
      );
    }
    return usable;
  }

  /** Syntax errors and unknown variables of a one-time message. */
  checkOneTime(form: OneTimeForm): { errors: TemplateProblem[]; warnings: TemplateProblem[] } {
    const backend = this.#backend(form.backend);
    const { renderer } = this.#deps;
    const errors: TemplateProblem[] = [];
    const warnings: TemplateProblem[] = [];
    const schema = this.schemaOf(form.model) ?? ANYTHING;
    const roots = new Map<string, JsonSchema[]>([
      ['object', [schema]],
      ['content', [schema]],
      ['recipient', [schema]],
      ['contact', [CONTACT_SCHEMA]],
      ['site', [SITE_SCHEMA]],
      ['notification', [NOTIFICATION_SCHEMA]],
    ]);
    const fields: [string, string, Backend['format'] | 'text'][] = [
      ['content', form.content, backend.format],
      ...(backend.capabilities.subject ? [['subject', form.subject, 'text'] as [string, string, 'text']] : []),
      ...(backend.capabilities.fromAddress ? [['fromAddress', form.fromAddress, 'text'] as [string, string, 'text']] : []),
    ];
    for (const [field, source, format] of fields) {
      const syntax = renderer.syntaxProblems(field, source, format);
      errors.push(...syntax);
      if (syntax.length > 0) continue;
      for (const variable of renderer.variables(source)) {
        const problem = variableProblem(field, variable, roots);
        if (problem) warnings.push(problem);
      }
    }
    if (form.content.trim() === '') errors.push({ field: 'content', message: 'the message is empty' });
    return { errors, warnings };
  }

  /** One rendered message per contact of each object; objects without a contact for the protocol are skipped. */
  async renderOneTime(form: OneTimeForm, objects: readonly unknown[]): Promise<{ messages: Rendering[]; skipped: string[] }> {
    const model = this.#deps.registry.get(form.model);
    const backend = this.#backend(form.backend);
    const contactsFn = model.contacts.get(backend.protocol);
    const messages: Rendering[] = [];
    const skipped: string[] = [];
    for (const object of objects) {
      const contacts = contactsFn ? await contactsOf(contactsFn(object, { ...ONE_TIME, model: model.name }), backend.protocol, '') : [];
      if (contacts.length === 0) {
        skipped.push(this.display(model, object));
        continue;
      }
      const view = await viewOf(model, object);
      for (const contact of contacts) {
        const variables = { object: view, content: view, recipient: view, contact: { ...contact }, site: this.#deps.site, notification: { ...ONE_TIME, model: model.name } };
        const rendered = await this.#render(backend, { subject: form.subject, content: form.content, fromAddress: form.fromAddress }, variables, undefined);
        messages.push({ ...rendered, backend, to: [contact], recipientLabel: this.display(model, object), notes: [] });
      }
    }
    return { messages, skipped };
  }

  /** Where "Send test" goes: the staff user's own contact for the backend's protocol. */
  staffContact(user: { name: string; email?: string; contacts?: readonly Contact[] }, protocol: string): Contact {
    const own = user.contacts?.find((c) => c.protocol === protocol && c.address.trim() !== '');
    if (own) return makeContact(own.name || user.name, protocol, own.address);
    if (protocol === 'email' && user.email) return makeContact(user.name, 'email', user.email);
    throw new VoxError(ErrorCode.invalidInput, `you have no ${protocol} address to send a test to (authorize() returns the staff user's email or contacts)`);
  }

  #backend(id: string): Backend {
    const backend = this.#deps.backends.get(id);
    if (!backend) throw new VoxError(ErrorCode.unknownBackend, `backend ${JSON.stringify(id)} is not configured`);
    return backend;
  }

  #sample(modelName: string, notes: string[], role: string): View {
    const schema = this.schemaOf(modelName);
    if (!schema) {
      notes.push(`The ${role} is empty: its model has no schema that describes itself, so there is no sample data.`);
      return {};
    }
    const value = sampleOf(schema, '', schema, 0, SAMPLE_PEOPLE[role]);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as View) : {};
  }

  /** The preview's recipient: the first one the selected channels reach with real objects, else a sample. */
  async #recipient(notification: NotificationRecord, form: TemplateForm, backend: Backend, objects: Record<Role, unknown>, real: ReadonlySet<Role>, notes: string[]) {
    const { registry, store } = this.#deps;
    const choices = registry.has(notification.model) ? registry.channelChoices(notification) : [];
    const selected = choices.filter((c) => form.recipients.includes(c.key));
    for (const choice of selected) {
      try {
        if (choice.key === 'si') {
          for (const site of await store.siteContacts.list({ protocol: backend.protocol })) {
            const setting = site.settings[notification.key];
            if (site.enableFilter === 'whitelist' ? setting !== true : setting === false) continue;
            const contact = makeContact(site.name, backend.protocol, site.address);
            return { view: { name: site.name, protocol: site.protocol, address: site.address }, contact, label: `${choice.label}: ${site.name}` };
          }
          continue;
        }
        const [prefix, channelKey = ''] = choice.key.split(':') as [string, string?];
        const role = ROLES.find((r) => r.channelPrefix === prefix)?.role;
        const modelName = role && modelForRole(notification, role);
        if (!role || !modelName || !real.has(role)) continue;
        const channel = registry.get(modelName).channels.get(channelKey);
        const recipientModel = channel && registry.get(channel.recipientModel);
        const contactsFn = recipientModel?.contacts.get(backend.protocol);
        if (!channel || !recipientModel || !contactsFn) continue;
        for await (const recipient of await channel.resolve(objects[role])) {
          if (recipient === null || recipient === undefined) continue;
          const [contact] = await contactsOf(contactsFn(recipient, notificationRef(notification)), backend.protocol, '');
          if (!contact) continue;
          return { view: await viewOf(recipientModel, recipient), contact, label: `${choice.label}: ${this.display(recipientModel, recipient)}` };
        }
      } catch (error) {
        notes.push(`Recipients ${choice.label} failed: ${errorText(error)}`);
      }
    }
    const first = selected[0];
    const view =
      first === undefined
        ? {}
        : first.recipientModel === null
          ? { name: 'Site contact', protocol: backend.protocol, address: sampleAddress(backend.protocol) }
          : this.#sample(first.recipientModel, notes, 'recipient');
    notes.push(first === undefined ? 'No recipients are selected, so the recipient is empty.' : `The recipient is sample data: no ${first.label} recipient was found${real.size === 0 ? ' without real objects' : ''}.`);
    const name = typeof view.name === 'string' ? view.name : 'Pat Reader';
    const address = typeof view[backend.protocol] === 'string' ? (view[backend.protocol] as string) : typeof view.email === 'string' && backend.protocol === 'email' ? view.email : sampleAddress(backend.protocol);
    return { view, contact: makeContact(name, backend.protocol, address), label: first ? `${first.label}: ${name} (sample)` : undefined };
  }

  async #render(backend: Backend, form: Pick<TemplateForm, 'subject' | 'content' | 'fromAddress'>, variables: Record<string, unknown>, attachments: MessagePayload['attachments']) {
    const { renderer } = this.#deps;
    const subject = backend.capabilities.subject ? await renderer.renderSubject(form.subject, variables) : '';
    const parts = await renderer.renderContent(form.content, backend.format, variables);
    const from = backend.capabilities.fromAddress && form.fromAddress.trim() !== '' ? await renderer.renderText(form.fromAddress, variables) : '';
    const composed = backend.compose({ subject, parts });
    const payload: MessagePayload = attachments && attachments.length > 0 ? { ...composed, attachments } : composed;
    return { payload, from: senderOf(backend, from) };
  }
}

/** A message rendered outside of an issue. */
export interface Rendering {
  readonly backend: Backend;
  readonly payload: MessagePayload;
  readonly from: string | undefined;
  readonly to: readonly Contact[];
  readonly recipientLabel: string | undefined;
  readonly notes: readonly string[];
}

/** What the browser shows of a rendering. */
export function shown(rendering: Rendering): RenderedMessage {
  const { payload } = rendering;
  return {
    ...(payload.subject === undefined || !rendering.backend.capabilities.subject ? {} : { subject: payload.subject }),
    ...(rendering.from === undefined ? {} : { from: rendering.from }),
    to: rendering.to,
    ...(rendering.recipientLabel === undefined ? {} : { recipient: rendering.recipientLabel }),
    ...(payload.html === undefined ? {} : { html: payload.html }),
    ...(payload.text === undefined ? {} : { text: payload.text }),
    ...(payload.data === undefined ? {} : { data: payload.data }),
    attachments: (payload.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, size: Math.floor((a.contentBase64.length * 3) / 4) })),
  };
}

function sampleAddress(protocol: string): string {
  if (protocol === 'email') return 'pat.reader@example.org';
  if (protocol === 'sms') return '+15550100';
  return `sample-${protocol}-address`;
}
