/** `vox sync`: makes the notifications table match the notifications declared in code. */
import type { Registry } from '../registry/registry.ts';
import { flag, now } from '../store/rows.ts';
import { type Store } from '../store/store.ts';

/** One line of a sync report. */
export interface SyncChange {
  /**
   * add / change / remove: what sync did (or would do, in a dry run);
   * keep-orphan: no longer in code but still has templates, so it stays;
   * conflict: an admin-created notification has the same id as one in code.
   */
  readonly action: 'add' | 'change' | 'remove' | 'keep-orphan' | 'conflict';
  /** `<model>.<codename>`. */
  readonly notification: string;
  readonly detail?: string;
}

/** What {@link syncNotifications} found. */
export interface SyncReport {
  readonly dryRun: boolean;
  readonly changes: readonly SyncChange[];
}

/**
 * The seed's `make_notifications`: makes the notifications table match the code. Adds missing
 * notifications, updates changed ones, removes orphans without templates and keeps (and reports)
 * orphans that still have templates. Notifications created in the admin are never touched.
 */
export async function syncNotifications(registry: Registry, store: Store, dryRun: boolean): Promise<SyncReport> {
  return store.serialized('sync', async (trx) => {
    const existing = new Map((await store.notifications.list(trx)).map((n) => [n.key, n]));
    const counts = await store.templates.countsByNotification(trx);
    const changes: SyncChange[] = [];
    const timestamp = now();
    const declared = registry.notifications();
    for (const def of declared) {
      const row = existing.get(def.id);
      const fields = {
        description: def.description,
        actor_model: def.actorModel,
        target_model: def.targetModel,
        required: flag(def.required),
        category: def.category?.key ?? null,
        category_label: def.category?.label ?? null,
        defaults: JSON.stringify(def.defaults),
      };
      if (!row) {
        changes.push({ action: 'add', notification: def.id });
        if (!dryRun) {
          await trx.insertInto('vox_notifications').values({ model: def.model, codename: def.codename, ...fields, from_code: 1, created_at: timestamp, updated_at: timestamp }).execute();
        }
      } else if (!row.fromCode) {
        changes.push({ action: 'conflict', notification: def.id, detail: 'a notification created in the admin has this id; rename one of them' });
      } else {
        const differences = [
          row.description !== def.description && 'description',
          row.actorModel !== def.actorModel && 'actor',
          row.targetModel !== def.targetModel && 'target',
          row.required !== def.required && 'required',
          (row.category?.key ?? null) !== (def.category?.key ?? null) && 'category',
          (row.category?.label ?? null) !== (def.category?.label ?? null) && 'category label',
          !sameDefaults(row.defaults, def.defaults) && 'defaults',
        ].filter((d): d is string => typeof d === 'string');
        if (differences.length > 0) {
          changes.push({ action: 'change', notification: def.id, detail: differences.join(',') });
          if (!dryRun) await trx.updateTable('vox_notifications').set({ ...fields, updated_at: timestamp }).where('id', '=', row.id).execute();
        }
      }
    }
    const declaredIds = new Set(declared.map((d) => d.id));
    for (const row of existing.values()) {
      if (!row.fromCode || declaredIds.has(row.key)) continue;
      const templates = counts.get(row.id) ?? 0;
      if (templates > 0) {
        changes.push({ action: 'keep-orphan', notification: row.key, detail: `templates=${templates}` });
      } else {
        changes.push({ action: 'remove', notification: row.key });
        if (!dryRun) await trx.deleteFrom('vox_notifications').where('id', '=', row.id).execute();
      }
    }
    return { dryRun, changes };
  });
}

function sameDefaults(a: Readonly<Record<string, boolean>>, b: Readonly<Record<string, boolean>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}
