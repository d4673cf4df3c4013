/** The store: Vox's tables, one repository per concern. Data access only; no business rules live here. */
import { sql, type Kysely } from 'kysely';
import { MessageClaims } from './claims.ts';
import { InboxRows } from './inbox.ts';
import { IssueRows, timeOrderedIds } from './issues.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import { MessageEventRows } from './message-events.ts';
import { MessageRows } from './messages.ts';
import { NotificationRows } from './notifications.ts';
import type { VoxDatabase } from './schema.ts';
import { PreferenceRows } from './preferences.ts';
import { SiteContactRows } from './site-contacts.ts';
import { SuppressionRows } from './suppressions.ts';
import { DigestRows } from './digests.ts';
import { ThrottleRows } from './throttles.ts';
import { TemplateRows } from './templates.ts';

/** Data access to Vox's tables, by concern. */
export class Store {
  readonly db: Kysely<VoxDatabase>;
  readonly notifications: NotificationRows;
  readonly issues: IssueRows;
  readonly templates: TemplateRows;
  readonly siteContacts: SiteContactRows;
  readonly messages: MessageRows;
  readonly claims: MessageClaims;
  readonly suppressions: SuppressionRows;
  readonly messageEvents: MessageEventRows;
  readonly digests: DigestRows;
  readonly throttles: ThrottleRows;
  readonly preferences: PreferenceRows;
  readonly inbox: InboxRows;
  /** The PostgreSQL schema of Vox's tables, when configured (`db` already names it). */
  readonly #schema: string | undefined;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<VoxDatabase>, dialect: SqlDialectName, schema?: string) {
    this.db = db;
    this.#schema = schema;
    this.#dialect = dialect;
    this.notifications = new NotificationRows(db);
    this.issues = new IssueRows(db, dialect === 'sqlite' ? timeOrderedIds() : undefined);
    this.templates = new TemplateRows(db);
    this.siteContacts = new SiteContactRows(db);
    this.messages = new MessageRows(db);
    this.claims = new MessageClaims(db);
    this.suppressions = new SuppressionRows(db);
    this.messageEvents = new MessageEventRows(db);
    this.digests = new DigestRows(db, dialect);
    this.throttles = new ThrottleRows(db);
    this.preferences = new PreferenceRows(db);
    this.inbox = new InboxRows(db);
  }

  /**
   * Runs `work` in a transaction that is the only one of its `name` at a time, across processes:
   * it takes its lock before it reads anything, so that two of them never both read, then both
   * write (app servers that start together and sync their notifications, for one).
   */
  async serialized<T>(name: string, work: (trx: Kysely<VoxDatabase>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      if (this.#dialect === 'postgres') {
        // Held until the transaction ends; schemas share it, which only makes them take turns.
        await sql`select pg_advisory_xact_lock(hashtext(${`vox:${name}`}))`.execute(trx);
      } else {
        // SQLite has one writer at a time: a first statement that writes takes that lock at once,
        // waiting (busy_timeout) for another writer, where a read followed by a write would fail
        // with "database is locked" once another process has written in between.
        await trx.updateTable('vox_notifications').set({ id: sql`id` }).where(sql<boolean>`0`).execute();
      }
      return work(trx);
    });
  }

  /** A caller's transaction, pointed at Vox's schema when one is configured. */
  ours(trx: Kysely<VoxDatabase>): Kysely<VoxDatabase> {
    return this.#schema === undefined ? trx : trx.withSchema(this.#schema);
  }
}
