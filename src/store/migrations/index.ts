/** Migrations of Vox's tables, for SQLite and PostgreSQL. */
import { sql, type DatabaseIntrospector, type Kysely } from 'kysely';
import type { Migrator as KyselyMigrator, MigrationResultSet } from 'kysely/migration';
import { ErrorCode, VoxError } from '../../vocabulary/errors.ts';
import type { SqlDialectName } from '../../vocabulary/database.ts';
import type { VoxDatabase } from '../schema.ts';
import { suppressions } from './0008-suppressions.ts';
import { preferences } from './0009-preferences.ts';
import { messageEvents } from './0010-message-events.ts';
import { inbox } from './0011-inbox.ts';
import { schedule } from './0012-schedule.ts';
import { digests } from './0013-digests.ts';
import { throttles } from './0014-throttles.ts';
import { digestRecipients } from './0015-digest-recipients.ts';
import { messageCounts } from './0016-message-counts.ts';
import { bodyCompression } from './0017-body-compression.ts';
import { idTable, type AnyDb, type Migration } from './kit.ts';

/**
 * Vox's own migrations, in order. Applied with `vox migrate` or `vox.migrate()`. From 0008 on, each
 * migration is a file of this folder, registered here with one line.
 */
export function migrations(dialect: SqlDialectName, schema?: string): Record<string, Migration> {
  // SQLite and PostgreSQL spell auto-increment keys differently; everything else is shared.
  const idColumn = (db: AnyDb, table: string) => idTable(dialect, db, table);

  return {
    '0001_core': {
      async up(db: AnyDb) {
        await idColumn(db, 'vox_notifications')
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('codename', 'text', (c) => c.notNull())
          .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('actor_model', 'text')
          .addColumn('target_model', 'text')
          .addColumn('required', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('from_code', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_notifications_model_codename', ['model', 'codename'])
          .execute();

        await idColumn(db, 'vox_templates')
          .addColumn('notification_id', 'integer', (c) => c.notNull().references('vox_notifications.id').onDelete('restrict'))
          .addColumn('backend', 'text', (c) => c.notNull())
          .addColumn('recipients', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('content', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('from_address', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('bulk', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vox_templates_notification').on('vox_templates').column('notification_id').execute();

        await idColumn(db, 'vox_template_attachments')
          .addColumn('template_id', 'integer', (c) => c.notNull().references('vox_templates.id').onDelete('cascade'))
          .addColumn('attachment_key', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_template_attachments_unique', ['template_id', 'attachment_key'])
          .execute();

        await idColumn(db, 'vox_site_contacts')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('protocol', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('enable_filter', 'text', (c) => c.notNull().defaultTo('blacklist'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();

        await idColumn(db, 'vox_site_contact_settings')
          .addColumn('site_contact_id', 'integer', (c) => c.notNull().references('vox_site_contacts.id').onDelete('cascade'))
          .addColumn('notification_id', 'integer', (c) => c.notNull().references('vox_notifications.id').onDelete('cascade'))
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addUniqueConstraint('vox_site_contact_settings_unique', ['site_contact_id', 'notification_id'])
          .execute();

        await idColumn(db, 'vox_issues')
          .addColumn('notification_id', 'integer', (c) => c.references('vox_notifications.id').onDelete('set null'))
          .addColumn('notification', 'text', (c) => c.notNull())
          .addColumn('object_model', 'text', (c) => c.notNull())
          .addColumn('object_id', 'text', (c) => c.notNull())
          .addColumn('object_snapshot', 'text', (c) => c.notNull())
          .addColumn('actor_model', 'text')
          .addColumn('actor_id', 'text')
          .addColumn('actor_snapshot', 'text')
          .addColumn('target_model', 'text')
          .addColumn('target_id', 'text')
          .addColumn('target_snapshot', 'text')
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_until', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vox_issues_status').on('vox_issues').columns(['status', 'locked_until']).execute();

        await idColumn(db, 'vox_messages')
          .addColumn('issue_id', 'integer', (c) => c.references('vox_issues.id').onDelete('set null'))
          .addColumn('notification_id', 'integer', (c) => c.references('vox_notifications.id').onDelete('set null'))
          .addColumn('template_id', 'integer', (c) => c.references('vox_templates.id').onDelete('set null'))
          .addColumn('backend', 'text', (c) => c.notNull())
          .addColumn('protocol', 'text', (c) => c.notNull())
          .addColumn('from_address', 'text')
          .addColumn('recipients', 'text', (c) => c.notNull())
          .addColumn('subject', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('error', 'text')
          .addColumn('error_code', 'text')
          .addColumn('permanent', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('provider_message_id', 'text')
          .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
          .addColumn('next_attempt_at', 'text')
          .addColumn('locked_until', 'text')
          .addColumn('sent_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('vox_message_bodies')
          .addColumn('message_id', 'integer', (c) => c.primaryKey().references('vox_messages.id').onDelete('cascade'))
          .addColumn('payload', 'text')
          .addColumn('render_context', 'text')
          .execute();
        await db.schema.createIndex('vox_messages_status').on('vox_messages').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('vox_messages_lease').on('vox_messages').columns(['status', 'locked_until']).execute();
        await db.schema.createIndex('vox_messages_issue').on('vox_messages').column('issue_id').execute();
        await db.schema.createIndex('vox_messages_created').on('vox_messages').column('created_at').execute();
      },
    },
    // One partial index says which messages a worker should look at and when, instead of two
    // indexes on status that every claim and every sent record rewrote (on PostgreSQL, an update
    // writes an entry in every index). `due_at` is the next attempt of a queued or retrying
    // message, the lease of a sending one, and null once it is sent or failed.
    '0002_message_due': {
      async up(db: AnyDb) {
        await db.schema.alterTable('vox_messages').addColumn('due_at', 'text').execute();
        // Built, not raw SQL, so that a configured schema (database.schema) qualifies the table.
        await db
          .updateTable('vox_messages')
          .set({ due_at: sql`case when status in ('queued', 'retrying') then next_attempt_at when status = 'sending' then locked_until else null end` })
          .execute();
        await db.schema.dropIndex('vox_messages_status').execute();
        await db.schema.dropIndex('vox_messages_lease').execute();
        await db.schema.createIndex('vox_messages_due').on('vox_messages').column('due_at').where(sql.ref('due_at'), 'is not', null).execute();
      },
    },
    // ActivityPub (vox/activity): Fedify's key–value store and queue, actors' keys, follows, and
    // the in-app inboxes. Created for every app so that enabling the backend needs no migration.
    '0003_activity': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('vox_kv')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .execute();
        await db.schema.createIndex('vox_kv_expires').on('vox_kv').column('expires_at').execute();

        await idColumn(db, 'vox_activity_queue')
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('ready_at', 'text', (c) => c.notNull())
          .addColumn('locked_until', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vox_activity_queue_ready').on('vox_activity_queue').columns(['ready_at', 'locked_until']).execute();

        await db.schema
          .createTable('vox_activity_keys')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('private_key', 'text', (c) => c.notNull())
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('vox_activity_keys_pk', ['actor', 'algorithm'])
          .execute();

        await idColumn(db, 'vox_activity_followers')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('follower', 'text', (c) => c.notNull())
          .addColumn('inbox', 'text', (c) => c.notNull())
          .addColumn('shared_inbox', 'text')
          .addColumn('follow_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_activity_followers_unique', ['actor', 'follower'])
          .execute();
        await db.schema.createIndex('vox_activity_followers_follower').on('vox_activity_followers').column('follower').execute();

        await idColumn(db, 'vox_activity_following')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('inbox', 'text', (c) => c.notNull())
          .addColumn('follow_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_activity_following_unique', ['actor', 'target'])
          .execute();
        await db.schema.createIndex('vox_activity_following_target').on('vox_activity_following').column('target').execute();

        await idColumn(db, 'vox_activity_inbox')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('activity_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('sender', 'text')
          .addColumn('object_id', 'text')
          .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('activity', 'text', (c) => c.notNull())
          .addColumn('remote', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('read', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_activity_inbox_unique', ['actor', 'activity_id'])
          .execute();
        await db.schema.createIndex('vox_activity_inbox_unread').on('vox_activity_inbox').columns(['actor', 'read']).execute();

        await idColumn(db, 'vox_activity_outbox')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('activity_id', 'text', (c) => c.notNull())
          .addColumn('activity', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('vox_activity_outbox_unique', ['actor', 'activity_id'])
          .execute();
      },
    },
    // Rate limits shared by every worker on the database: when each backend may start its next send.
    '0004_rate_limits': {
      async up(db: AnyDb) {
        await db.schema
          .createTable('vox_rate_limits')
          .addColumn('backend', 'text', (c) => c.primaryKey())
          .addColumn('next_start_ms', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Every activity an actor sent answers at its id, to its audience: who may read it, the id of
    // the object it carries that answers too, and the notification it shares (for Read).
    '0005_activity_audience': {
      async up(db: AnyDb) {
        await db.schema.alterTable('vox_activity_outbox').addColumn('audience', 'text', (c) => c.notNull().defaultTo('followers')).execute();
        await db.schema.alterTable('vox_activity_outbox').addColumn('object_id', 'text').execute();
        await db.schema.alterTable('vox_activity_outbox').addColumn('source_id', 'text').execute();
        await db.schema.createIndex('vox_activity_outbox_activity').on('vox_activity_outbox').column('activity_id').execute();
        await db.schema.createIndex('vox_activity_outbox_object').on('vox_activity_outbox').column('object_id').execute();
        await db.schema.createIndex('vox_activity_outbox_listing').on('vox_activity_outbox').columns(['actor', 'audience']).execute();
        // Earlier versions sent a notification to followers as it was, or in an Announce with the id
        // `<activity id>/announces/<actor>` that embeds it: that embedded activity answers at its id.
        let after = 0;
        for (;;) {
          const rows: { id: number; activity_id: string }[] = await db
            .selectFrom('vox_activity_outbox')
            .select(['id', 'activity_id'])
            .where('id', '>', after)
            .orderBy('id')
            .limit(500)
            .execute();
          if (rows.length === 0) break;
          for (const row of rows) {
            const announced = row.activity_id.lastIndexOf('/announces/');
            const sourceId = announced > 0 ? row.activity_id.slice(0, announced) : row.activity_id;
            await db
              .updateTable('vox_activity_outbox')
              .set({ source_id: sourceId, object_id: announced > 0 ? sourceId : null })
              .where('id', '=', row.id)
              .execute();
          }
          after = rows.at(-1)?.id ?? after;
        }
      },
    },
    // A stable key for templates that apps ship in code (templates.ensure), so that seeding them at
    // every start finds the template instead of adding another. Templates written in the admin have
    // none; a unique index allows any number of nulls on SQLite and PostgreSQL alike.
    '0006_template_key': {
      async up(db: AnyDb) {
        await db.schema.alterTable('vox_templates').addColumn('key', 'text').execute();
        await db.schema.createIndex('vox_templates_key').unique().on('vox_templates').column('key').execute();
      },
    },
    // Messages carry their notification's key, as issues do: the log says `shop.order.placed`
    // without a look-up, and still does after the notification is deleted (its id is then null).
    '0007_message_notification': {
      async up(db: AnyDb) {
        await db.schema.alterTable('vox_messages').addColumn('notification', 'text').execute();
        await db
          .updateTable('vox_messages')
          .set((eb) => ({
            notification: eb
              .selectFrom('vox_notifications as n')
              .select(sql<string>`n.model || '.' || n.codename`.as('key'))
              .whereRef('n.id', '=', 'vox_messages.notification_id'),
          }))
          .where('notification_id', 'is not', null)
          .execute();
      },
    },
    '0008_suppressions': suppressions(dialect),
    '0009_preferences': preferences(dialect),
    '0010_message_events': messageEvents(dialect),
    '0011_inbox': inbox(dialect),
    '0012_schedule': schedule(),
    '0013_digests': digests(dialect),
    '0014_throttles': throttles(),
    '0015_digest_recipients': digestRecipients(),
    '0016_message_counts': messageCounts(),
    '0017_body_compression': bodyCompression(dialect, schema),
  };
}

/**
 * Applies Vox's pending migrations; returns the names applied. `configured` is the PostgreSQL
 * schema of `database.schema`, created when missing; `db` already qualifies tables with it.
 */
export async function migrateToLatest(db: Kysely<VoxDatabase>, dialect: SqlDialectName, configured?: string): Promise<string[]> {
  if (configured !== undefined) await db.schema.createSchema(configured).ifNotExists().execute();
  // Kysely looks for its bookkeeping tables in every schema unless told which one; on PostgreSQL
  // pin it to ours (the configured one, else the current one) so that another schema's Vox tables
  // are never mistaken for ours.
  const schema = configured ?? (dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined);
  const Migrator = await loadMigrator();
  const migrator = new Migrator({
    db: schema && dialect === 'postgres' ? introspectingOnly(db, schema) : db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => migrations(dialect, schema) },
    migrationTableName: 'vox_migrations',
    migrationLockTableName: 'vox_migrations_lock',
    // Features land side by side with numbers given in advance, so a database may have applied a
    // later number (0012) before an earlier one (0010) exists: apply the earlier one then.
    allowUnorderedMigrations: true,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    throw new VoxError(ErrorCode.configuration, `migration failed: ${String(result.error)}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * `db` whose introspection lists the tables of `schema` only. Kysely's Migrator looks for its
 * bookkeeping tables by listing every table of every schema, with a query that fails when another
 * schema's table changes under it (a host app's migration, a parallel test suite dropping its
 * schema): Vox's migrations must not depend on what the rest of the database is doing.
 */
function introspectingOnly(db: Kysely<VoxDatabase>, schema: string): Kysely<VoxDatabase> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    async getTables() {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm', 'f')`.execute(db);
      return rows.map((r) => ({ name: r.name, schema, isView: r.kind === 'v' || r.kind === 'm', isForeign: r.kind === 'f', columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      // Kysely keeps its state in private fields, which only the instance itself can read.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Kysely's Migrator, from where the installed kysely keeps it: `kysely/migration` since 0.29, the
 * main module before (0.29 keeps only a type error there). Vox takes kysely as a peer, so either.
 */
async function loadMigrator(): Promise<typeof KyselyMigrator> {
  try {
    return (await import('kysely/migration')).Migrator;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    const main = (await import('kysely')) as unknown as { Migrator?: typeof KyselyMigrator };
    if (!main.Migrator) throw new VoxError(ErrorCode.configuration, 'the installed kysely has no Migrator: install kysely 0.28 or later', { cause: error });
    return main.Migrator;
  }
}
