/** The store: Vox's tables, one repository per concern. Data access only; no business rules live here. */
import type { Kysely } from 'kysely';
import { MessageClaims } from './claims.ts';
import { IssueRows, timeOrderedIds } from './issues.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import { MessageRows } from './messages.ts';
import { NotificationRows } from './notifications.ts';
import type { VoxDatabase } from './schema.ts';
import { PreferenceRows } from './preferences.ts';
import { SiteContactRows } from './site-contacts.ts';
import { SuppressionRows } from './suppressions.ts';
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
  readonly preferences: PreferenceRows;
  /** The PostgreSQL schema of Vox's tables, when configured (`db` already names it). */
  readonly #schema: string | undefined;

  constructor(db: Kysely<VoxDatabase>, dialect: SqlDialectName, schema?: string) {
    this.db = db;
    this.#schema = schema;
    this.notifications = new NotificationRows(db);
    this.issues = new IssueRows(db, dialect === 'sqlite' ? timeOrderedIds() : undefined);
    this.templates = new TemplateRows(db);
    this.siteContacts = new SiteContactRows(db);
    this.messages = new MessageRows(db);
    this.claims = new MessageClaims(db);
    this.suppressions = new SuppressionRows(db);
    this.preferences = new PreferenceRows(db);
  }

  /** A caller's transaction, pointed at Vox's schema when one is configured. */
  ours(trx: Kysely<VoxDatabase>): Kysely<VoxDatabase> {
    return this.#schema === undefined ? trx : trx.withSchema(this.#schema);
  }
}
