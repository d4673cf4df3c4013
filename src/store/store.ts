/** The store: Vox's tables, one repository per concern. Data access only; no business rules live here. */
import type { Kysely } from 'kysely';
import { MessageClaims } from './claims.ts';
import { IssueRows, timeOrderedIds } from './issues.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import { MessageRows } from './messages.ts';
import { NotificationRows } from './notifications.ts';
import type { VoxDatabase } from './schema.ts';
import { SiteContactRows } from './site-contacts.ts';
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

  constructor(db: Kysely<VoxDatabase>, dialect: SqlDialectName) {
    this.db = db;
    this.notifications = new NotificationRows(db);
    this.issues = new IssueRows(db, dialect === 'sqlite' ? timeOrderedIds() : undefined);
    this.templates = new TemplateRows(db);
    this.siteContacts = new SiteContactRows(db);
    this.messages = new MessageRows(db);
    this.claims = new MessageClaims(db);
  }
}
