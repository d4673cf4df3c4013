/** Templates: validated against their backend and notification, saved, deleted. */
import type { Backend } from '../vocabulary/backend.ts';
import { ErrorCode, TemplateValidationError, VoxError, isRenderFailure, type TemplateProblem } from '../vocabulary/errors.ts';
import type { Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import { sampleOf } from '../render/sample-data.ts';
import { jsonSchemaOf, type JsonSchema } from '../render/schema-paths.ts';
import { ANYTHING, CONTACT_SCHEMA, LINK_SCHEMA, NOTIFICATION_SCHEMA, RECIPIENT_LINKS, SITE_SCHEMA, digestSchema, variableProblem } from '../render/variable-check.ts';
import { flag, now } from '../store/rows.ts';
import { type Store } from '../store/store.ts';
import { effectiveDigest, type TemplateDigest } from '../vocabulary/digest.ts';
import { type NotificationRecord, type TemplateRecord } from '../vocabulary/records.ts';
import { MAX_LENGTH, checkEntries, checkLength } from './field-lengths.ts';

/** A template to create (no `id`) or replace (with `id`, or with the `key` of a stored one). */
export interface TemplateInput {
  readonly id?: number;
  /**
   * A stable name of your choosing for a template your app ships in code, for example
   * `order-placed-email`: saving with a key replaces the template that has it, and
   * {@link Templates.ensure} creates it only once. Unique; up to 200 characters. `null` removes
   * the key; left out, a replaced template keeps its own.
   */
  readonly key?: string | null;
  /** `<model>.<codename>` of the notification. */
  readonly notification: string;
  /** Backend id, for example `email-html`. */
  readonly backend: string;
  /** Channel keys: `si`, `c`, `c:<key>`, `se:<key>`, `re:<key>`. */
  readonly recipients: readonly string[];
  readonly subject?: string;
  readonly content: string;
  /** May use variables. @default the backend's default */
  readonly fromAddress?: string;
  /** Attachment keys, for example `object.author.vcard`. */
  readonly attachments?: readonly string[];
  /** One message to all recipients instead of one per recipient. @default false */
  readonly bulk?: boolean;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * This template's own digest: `false` sends its messages at once, settings replace the
   * notification's digest (docs/digests.md). @default null, the notification's
   */
  readonly digest?: TemplateDigest | null;
}

/** The outcome of checking a template: errors block saving, warnings do not. */
export interface TemplateCheck {
  readonly errors: readonly TemplateProblem[];
  readonly warnings: readonly TemplateProblem[];
}

/** A template key, refused when it is blank or too long. */
function checkedKey(key: string): string {
  if (typeof key !== 'string' || key.trim() === '' || key.length > 200) {
    throw new TemplateValidationError([{ field: 'key', message: 'a template key is text of 1 to 200 characters, for example "order-placed-email"' }]);
  }
  return key;
}

/** How a warning starts when the template can send nothing. */
export const MESSAGES_WILL_FAIL = 'messages will fail';

/** Templates: data written by authors, validated on save. */
export class Templates {
  readonly #registry: Registry;
  readonly #store: Store;
  readonly #renderer: Renderer;
  readonly #backends: ReadonlyMap<string, Backend>;
  readonly #schemas = new Map<string, JsonSchema>();

  constructor(registry: Registry, store: Store, renderer: Renderer, backends: ReadonlyMap<string, Backend>) {
    this.#registry = registry;
    this.#store = store;
    this.#renderer = renderer;
    this.#backends = backends;
  }

  /**
   * Validates and saves a template: replaces the one with `id`, else the one with `key`, else
   * creates one. Throws {@link TemplateValidationError} on errors; returns warnings.
   */
  async save(input: TemplateInput): Promise<{ readonly template: TemplateRecord; readonly warnings: readonly TemplateProblem[] }> {
    const { template, warnings } = await this.#write(input, 'replace');
    return { template, warnings };
  }

  /**
   * Creates the template with `key` unless one exists, for templates an app ships in code and
   * seeds at every start. An existing template is left as it is (staff may have edited it since)
   * and returned with `created: false`; two processes starting at once create it once.
   *
   * @example
   * await vox.templates.ensure({ key: 'order-placed-email', notification: 'shop.order.placed', backend: 'email-html', recipients: ['c:customer'], subject: 'Thanks', content: '<p>…</p>' });
   */
  async ensure(input: TemplateInput & { readonly key: string }): Promise<{ readonly template: TemplateRecord; readonly created: boolean; readonly warnings: readonly TemplateProblem[] }> {
    if (input.id !== undefined) throw new VoxError(ErrorCode.invalidInput, 'templates.ensure finds its template by key: leave id out');
    const existing = await this.#store.templates.idByKey(checkedKey(input.key));
    if (existing !== undefined) return { template: await this.#read(existing), created: false, warnings: [] };
    return this.#write(input, 'keep');
  }

  /** Validates and writes a template; `keep` leaves a template that already has the key alone. */
  async #write(input: TemplateInput, onKey: 'replace' | 'keep'): Promise<{ template: TemplateRecord; created: boolean; warnings: readonly TemplateProblem[] }> {
    checkLengths(input);
    if (typeof input.key === 'string') checkedKey(input.key);
    const notification = await this.#store.notifications.require(input.notification);
    const check = this.#check(input, notification);
    if (check.errors.length > 0) throw new TemplateValidationError(check.errors);
    const warnings = [...check.warnings, ...(await this.#sampleRenderProblems(input, notification))];
    const timestamp = now();
    const values = {
      notification_id: notification.id,
      backend: input.backend,
      recipients: JSON.stringify([...new Set(input.recipients)]),
      subject: input.subject ?? '',
      content: input.content,
      from_address: input.fromAddress ?? '',
      bulk: flag(input.bulk ?? false),
      enabled: flag(input.enabled ?? true),
      digest: input.digest === undefined || input.digest === null ? null : JSON.stringify(input.digest),
      updated_at: timestamp,
      // A template saved without a key (the admin's edits) keeps the one it has.
      ...(input.key === undefined ? {} : { key: input.key }),
    };
    const { id, created } = await this.#store.db.transaction().execute(async (trx) => {
      let templateId: number | undefined = input.id;
      let inserted = false;
      if (templateId === undefined) {
        // A null key never conflicts; a taken key leaves the row to the branches below.
        const row = await trx.insertInto('vox_templates').values({ ...values, created_at: timestamp }).onConflict((oc) => oc.column('key').doNothing()).returning('id').executeTakeFirst();
        templateId = row?.id ?? (typeof input.key === 'string' ? await this.#store.templates.idByKey(input.key, trx) : undefined);
        inserted = row !== undefined;
        if (templateId === undefined) throw new VoxError(ErrorCode.notFound, `template ${input.key ?? ''} vanished while saving`);
        if (!inserted && onKey === 'keep') return { id: templateId, created: false };
      }
      if (!inserted) {
        if (typeof input.key === 'string') {
          const holder = await this.#store.templates.idByKey(input.key, trx);
          if (holder !== undefined && holder !== templateId) throw new TemplateValidationError([{ field: 'key', message: `key ${JSON.stringify(input.key)} belongs to template ${holder}` }]);
        }
        const updated = await trx.updateTable('vox_templates').set(values).where('id', '=', templateId).executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw new VoxError(ErrorCode.notFound, `template ${templateId} does not exist`);
        await trx.deleteFrom('vox_template_attachments').where('template_id', '=', templateId).execute();
      }
      for (const key of new Set(input.attachments ?? [])) {
        await trx.insertInto('vox_template_attachments').values({ template_id: templateId, attachment_key: key }).execute();
      }
      return { id: templateId, created: inserted };
    });
    return { template: await this.#read(id), created, warnings: created || onKey === 'replace' ? warnings : [] };
  }

  async #read(id: number): Promise<TemplateRecord> {
    const template = await this.#store.templates.get(id);
    if (!template) throw new VoxError(ErrorCode.notFound, `template ${id} vanished while saving`);
    return template;
  }

  /** Checks a template without saving it: syntax errors with line and column, unknown variables as warnings. */
  async validate(input: TemplateInput): Promise<TemplateCheck> {
    checkLengths(input);
    return this.#check(input, await this.#store.notifications.require(input.notification));
  }

  async get(id: number): Promise<TemplateRecord | undefined> {
    return this.#store.templates.get(id);
  }

  /** Templates, all or of one notification (`<model>.<codename>`). */
  async list(notification?: string): Promise<TemplateRecord[]> {
    if (notification === undefined) return this.#store.templates.list();
    return this.#store.templates.list({ notificationId: (await this.#store.notifications.require(notification)).id });
  }

  async delete(id: number): Promise<void> {
    const result = await this.#store.db.deleteFrom('vox_templates').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new VoxError(ErrorCode.notFound, `template ${id} does not exist`);
  }

  #check(input: TemplateInput, notification: NotificationRecord): TemplateCheck {
    const errors: TemplateProblem[] = [];
    const warnings: TemplateProblem[] = [];
    const backend = this.#backends.get(input.backend);
    if (!backend) {
      errors.push({ field: 'backend', message: `backend ${JSON.stringify(input.backend)} is not configured; configured: ${[...this.#backends.keys()].join(', ') || 'none'}` });
    }
    const choices = this.#registry.has(notification.model) ? this.#registry.channelChoices(notification) : [];
    const valid = new Set(choices.map((c) => c.key));
    for (const key of input.recipients) {
      if (!valid.has(key)) errors.push({ field: 'recipients', message: `unknown recipients ${JSON.stringify(key)}; choose from ${[...valid].join(', ')}` });
    }
    if (input.digest !== undefined && input.digest !== null && input.digest !== false) {
      try {
        if (notification.required) throw new VoxError(ErrorCode.invalidDigest, 'a required notification is sent at once, never gathered into a digest');
        effectiveDigest({ digest: input.digest, bulk: false }, null, notification.key);
      } catch (error) {
        if (!(error instanceof VoxError)) throw error;
        errors.push({ field: 'digest', message: error.message });
      }
      if (input.bulk) warnings.push({ field: 'digest', message: 'bulk templates send one message to all recipients together: the digest is not used' });
    }
    if (input.recipients.length === 0) warnings.push({ field: 'recipients', message: 'no recipients are selected, so this template is never used' });
    const attachments = input.attachments ?? [];
    if (attachments.length > 0) {
      if (backend && !backend.capabilities.attachments) errors.push({ field: 'attachments', message: `backend ${backend.id} cannot send attachments` });
      const available = new Set(this.#registry.attachmentChoices(notification).map((a) => a.key));
      for (const key of attachments) if (!available.has(key)) errors.push({ field: 'attachments', message: `unknown attachment ${JSON.stringify(key)}` });
    }
    if (typeof input.content !== 'string') errors.push({ field: 'content', message: 'content must be text' });
    else for (const message of backend?.contentProblems?.(input.content) ?? []) errors.push({ field: 'content', message });
    const fields: [string, string, Parameters<Renderer['syntaxProblems']>[2]][] = [
      ['subject', input.subject ?? '', 'text'],
      ['content', typeof input.content === 'string' ? input.content : '', backend?.format ?? 'text'],
      ['fromAddress', input.fromAddress ?? '', 'text'],
    ];
    if (backend && !backend.capabilities.subject && (input.subject ?? '') !== '') warnings.push({ field: 'subject', message: `backend ${backend.id} has no subject; it is ignored` });
    if (backend && !backend.capabilities.fromAddress && (input.fromAddress ?? '') !== '') warnings.push({ field: 'fromAddress', message: `backend ${backend.id} has no from address; it is ignored` });
    const roots = this.#roots(notification, input);
    for (const [field, source, format] of fields) {
      const problems = this.#renderer.syntaxProblems(field, source, format);
      errors.push(...problems);
      if (problems.length > 0 || source === '') continue;
      const hintOf = (root: string) =>
        input.bulk && ['recipient', 'contact', ...RECIPIENT_LINKS].includes(root)
          ? ' (bulk templates have no recipient, contact or links of one recipient)'
          : root === 'unsubscribe_url' && notification.required
            ? ' (nobody can unsubscribe from a required notification, so its messages have no unsubscribe link)'
            : '';
      for (const variable of this.#renderer.variables(source)) {
        const problem = variableProblem(field, variable, roots, hintOf(String(variable.segments[0])));
        if (problem) warnings.push(problem);
      }
    }
    return { errors, warnings };
  }

  /**
   * Renders the template with sample data from the schemas: a template that fails here (a loop
   * stopped by the memory limit, say) fails for every message, which the author must hear at save.
   */
  async #sampleRenderProblems(input: TemplateInput, notification: NotificationRecord): Promise<TemplateProblem[]> {
    const backend = this.#backends.get(input.backend);
    if (!backend) return [];
    const variables = Object.fromEntries([...this.#roots(notification, input)].map(([root, schemas]) => [root, sampleOf(schemas[0] ?? ANYTHING, root)]));
    const fields: [string, () => Promise<unknown>][] = [
      ['subject', () => this.#renderer.renderSubject(input.subject ?? '', variables)],
      ['content', () => this.#renderer.renderContent(input.content, backend.format, variables)],
      ['fromAddress', () => this.#renderer.renderText(input.fromAddress ?? '', variables)],
    ];
    const problems: TemplateProblem[] = [];
    for (const [field, render] of fields) {
      try {
        await render();
      } catch (error) {
        if (!isRenderFailure(error)) throw error;
        problems.push({ field, message: `${MESSAGES_WILL_FAIL}: it cannot render with sample data (${error.message.replace(/^template failed to render: /, '')})` });
      }
    }
    return problems;
  }

  /** The digest a template being saved will use, if any; an invalid one counts as none (its error is reported apart). */
  #digestOf(input: TemplateInput, notification: NotificationRecord): boolean {
    try {
      const own = effectiveDigest({ digest: input.digest ?? null, bulk: input.bulk ?? false }, this.#registry.digestOf(notification), notification.key);
      return own !== null || (!input.bulk && this.#registry.throttleOf(notification)?.over === 'digest');
    } catch {
      return false;
    }
  }

  /** Root variables a template may read, each with the schemas that may describe it. */
  #roots(notification: NotificationRecord, input: TemplateInput): Map<string, JsonSchema[]> {
    const roots = new Map<string, JsonSchema[]>();
    const objectSchema = this.#schemaOf(notification.model);
    roots.set('object', [objectSchema]);
    roots.set('content', [objectSchema]);
    roots.set('notification', [NOTIFICATION_SCHEMA]);
    roots.set('site', [SITE_SCHEMA]);
    if (notification.actorModel) roots.set('actor', [this.#schemaOf(notification.actorModel)]);
    if (notification.targetModel) roots.set('target', [this.#schemaOf(notification.targetModel)]);
    if (this.#digestOf(input, notification)) {
      const schema = (model: string | null) => (model ? this.#schemaOf(model) : undefined);
      roots.set('digest', [digestSchema(objectSchema, schema(notification.actorModel), schema(notification.targetModel))]);
    }
    if (!input.bulk) {
      const choices = this.#registry.has(notification.model) ? this.#registry.channelChoices(notification) : [];
      const recipientSchemas = choices
        .filter((c) => input.recipients.includes(c.key))
        .map((c) => (c.recipientModel === null ? CONTACT_SCHEMA : this.#schemaOf(c.recipientModel)));
      roots.set('recipient', recipientSchemas.length > 0 ? recipientSchemas : [ANYTHING]);
      roots.set('contact', [CONTACT_SCHEMA]);
      // Nobody can unsubscribe from a required notification, so its messages have no such link.
      for (const link of RECIPIENT_LINKS) if (!(link === 'unsubscribe_url' && notification.required)) roots.set(link, [LINK_SCHEMA]);
    }
    return roots;
  }

  #schemaOf(model: string): JsonSchema {
    let schema = this.#schemas.get(model);
    if (!schema) {
      schema = (this.#registry.has(model) ? jsonSchemaOf(this.#registry.get(model).options.schema) : undefined) ?? ANYTHING;
      this.#schemas.set(model, schema);
    }
    return schema;
  }
}

/** Refuses, before any parsing, a field longer than its maximum (VOX_FIELD_TOO_LONG). */
function checkLengths(input: TemplateInput): void {
  checkLength('notification', input.notification, MAX_LENGTH.notificationKey);
  checkLength('backend', input.backend, MAX_LENGTH.key);
  checkEntries('recipients', input.recipients, MAX_LENGTH.key);
  checkLength('subject', input.subject, MAX_LENGTH.subject);
  checkLength('content', input.content, MAX_LENGTH.content);
  checkLength('fromAddress', input.fromAddress, MAX_LENGTH.subject);
  checkEntries('attachments', input.attachments, MAX_LENGTH.key);
}
