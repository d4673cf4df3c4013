/** Notifications created in the admin (stored only in the database): create, update, delete. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Registry } from '../registry/registry.ts';
import { flag, now } from '../store/rows.ts';
import { type Store } from '../store/store.ts';
import { type NotificationRecord } from '../vocabulary/records.ts';
import { MAX_LENGTH, checkLength } from './field-lengths.ts';

/** A notification created by staff (in the admin) rather than declared in code. */
export interface NotificationInput {
  /** A registered model, for example `blog.article`. */
  readonly model: string;
  /** A word (letters, digits, `_`), unique within the model. */
  readonly codename: string;
  readonly description: string;
  /** A registered model, when the notification has an actor. */
  readonly actorModel?: string | null;
  /** A registered model, when the notification has a target. */
  readonly targetModel?: string | null;
}

/**
 * Notifications staff create in the admin. Code stays the source of truth for its own: those are
 * changed only by `sync`, and these are never touched by it.
 */
export class StoredNotifications {
  readonly #registry: Registry;
  readonly #store: Store;

  constructor(registry: Registry, store: Store) {
    this.#registry = registry;
    this.#store = store;
  }

  async create(input: NotificationInput): Promise<NotificationRecord> {
    checkLength('model', input.model, MAX_LENGTH.key);
    checkLength('codename', input.codename, MAX_LENGTH.key);
    checkLengths(input);
    const problems = this.#problems(input);
    if (!/^[a-z0-9_]+$/i.test(input.codename ?? '')) problems.push('codename must be a word (letters, digits, _)');
    if (problems.length > 0) throw new VoxError(ErrorCode.invalidInput, `notification: ${problems.join('; ')}`);
    const key = `${input.model}.${input.codename}`;
    if (this.#registry.findNotification(input.model, input.codename)) {
      throw new VoxError(ErrorCode.invalidInput, `notification ${key} is declared in code; run sync instead of creating it`);
    }
    if (await this.#store.notifications.find(input.model, input.codename)) throw new VoxError(ErrorCode.invalidInput, `notification ${key} already exists`);
    const timestamp = now();
    await this.#store.db
      .insertInto('vox_notifications')
      .values({ model: input.model, codename: input.codename, ...this.#fields(input), required: flag(false), from_code: 0, created_at: timestamp, updated_at: timestamp })
      .execute();
    return this.#store.notifications.require(key);
  }

  /** Changes the description, actor and target of a notification created in the admin. */
  async update(key: string, input: Omit<NotificationInput, 'model' | 'codename'>): Promise<NotificationRecord> {
    checkLengths(input);
    const notification = await this.#editable(key, 'changed');
    const problems = this.#problems({ ...input, model: notification.model, codename: notification.codename });
    if (problems.length > 0) throw new VoxError(ErrorCode.invalidInput, `notification: ${problems.join('; ')}`);
    await this.#store.db.updateTable('vox_notifications').set({ ...this.#fields(input), updated_at: now() }).where('id', '=', notification.id).execute();
    return this.#store.notifications.require(key);
  }

  /** Deletes a notification created in the admin, with its templates. The message log keeps its rows. */
  async delete(key: string): Promise<void> {
    const notification = await this.#editable(key, 'deleted');
    await this.#store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('vox_templates').where('notification_id', '=', notification.id).execute();
      await trx.deleteFrom('vox_notifications').where('id', '=', notification.id).execute();
    });
  }

  async #editable(key: string, verb: string): Promise<NotificationRecord> {
    const notification = await this.#store.notifications.require(key);
    if (notification.fromCode) throw new VoxError(ErrorCode.invalidInput, `notification ${key} is declared in code, so it cannot be ${verb} here; change the code and run sync`);
    return notification;
  }

  #problems(input: NotificationInput): string[] {
    const problems: string[] = [];
    if (!this.#registry.has(input.model)) problems.push(`model ${JSON.stringify(input.model)} is not registered`);
    if (!input.description?.trim()) problems.push('description is empty');
    for (const [field, model] of [['actor', input.actorModel], ['target', input.targetModel]] as const) {
      if (model && !this.#registry.has(model)) problems.push(`${field} model ${JSON.stringify(model)} is not registered`);
    }
    return problems;
  }

  #fields(input: Omit<NotificationInput, 'model' | 'codename'>) {
    return { description: input.description.trim(), actor_model: input.actorModel || null, target_model: input.targetModel || null };
  }
}

/** The fields staff may change: a description, and the names of the actor and target models. */
function checkLengths(input: Omit<NotificationInput, 'model' | 'codename'>): void {
  checkLength('description', input.description, MAX_LENGTH.description);
  checkLength('actorModel', input.actorModel, MAX_LENGTH.key);
  checkLength('targetModel', input.targetModel, MAX_LENGTH.key);
}
