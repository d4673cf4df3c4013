/** Data access to the ActivityPub tables: followers and following, sent activities (the outbox), in-app inbox items, key pairs. */
import { compile } from 'html-to-text';
import type { Kysely, Selectable } from 'kysely';
import type { ActivityDatabase, InboxTable } from './schema.ts';

/** An activity in a local actor's in-app inbox. */
export interface InboxItem {
  readonly id: number;
  /** The activity's IRI. */
  readonly activityId: string;
  /** ActivityStreams type, for example `Create`. */
  readonly type: string;
  /** IRI of whoever did it, when the activity names an actor. */
  readonly actor: string | null;
  /** IRI of what it is about. */
  readonly object: string | null;
  /**
   * The summary as HTML. From another server (`remote`) it is untrusted: show `summaryText`, or
   * sanitise it before putting it in a page.
   */
  readonly summary: string;
  /** The summary as plain text. */
  readonly summaryText: string;
  /** True when it came from another server. */
  readonly remote: boolean;
  readonly read: boolean;
  /** When it arrived (ISO 8601). */
  readonly createdAt: string;
  /** The whole activity as JSON-LD. */
  readonly activity: Readonly<Record<string, unknown>>;
}

/** A remote actor following a local one. */
export interface FollowerRecord {
  readonly actor: string;
  readonly follower: string;
  readonly inbox: string;
  readonly sharedInbox: string | null;
  readonly followId: string | null;
  readonly createdAt: string;
}

/** A remote actor a local one follows (`accepted`) or asked to follow (`pending`). */
export interface FollowingRecord {
  readonly actor: string;
  readonly target: string;
  readonly inbox: string;
  readonly followId: string;
  readonly status: 'pending' | 'accepted';
  readonly createdAt: string;
}

/** A new inbox item. */
export interface NewInboxItem {
  readonly actor: string;
  readonly activityId: string;
  readonly type: string;
  readonly sender: string | null;
  readonly objectId: string | null;
  readonly summary: string;
  readonly activity: Readonly<Record<string, unknown>>;
  readonly remote: boolean;
}

/** An activity a local actor sent. */
export interface SentActivity {
  readonly actor: string;
  readonly activityId: string;
  /** The id of its embedded object, when that answers too. */
  readonly objectId: string | null;
  /** The notification's activity that this post shares; null for follows and answers to them, which the outbox does not list. */
  readonly sourceId: string | null;
  /** `public`, `followers` (the actor's), or the IRI of the one actor it was sent to. */
  readonly audience: string;
  /** JSON-LD, without `@context`. */
  readonly activity: Readonly<Record<string, unknown>>;
}

/** Who reads an outbox: the IRI of the actor who signed the request (or null), and whether it follows. */
export interface OutboxViewer {
  readonly id: string | null;
  readonly follower: boolean;
}

/** The audiences a viewer belongs to. */
function readableBy(viewer: OutboxViewer): string[] {
  return ['public', ...(viewer.follower ? ['followers'] : []), ...(viewer.id ? [viewer.id] : [])];
}

const toText = compile({ wordwrap: false, selectors: [{ selector: 'a', options: { ignoreHref: true } }] });
const now = () => new Date().toISOString();

/** The ActivityPub tables: keys, follows, inboxes and outboxes of local actors. */
export class ActivityStore {
  readonly db: Kysely<ActivityDatabase>;

  constructor(db: Kysely<ActivityDatabase>) {
    this.db = db;
  }

  async keys(actor: string): Promise<{ algorithm: string; privateKey: string; publicKey: string }[]> {
    const rows = await this.db.selectFrom('vox_activity_keys').select(['algorithm', 'private_key', 'public_key']).where('actor', '=', actor).orderBy('created_at').execute();
    return rows.map((r) => ({ algorithm: r.algorithm, privateKey: r.private_key, publicKey: r.public_key }));
  }

  /** Stores keys unless the actor has keys of that algorithm already (another process was first). */
  async addKeys(actor: string, keys: readonly { algorithm: string; privateKey: string; publicKey: string }[]): Promise<void> {
    const createdAt = now();
    await this.db
      .insertInto('vox_activity_keys')
      .values(keys.map((k) => ({ actor, algorithm: k.algorithm, private_key: k.privateKey, public_key: k.publicKey, created_at: createdAt })))
      .onConflict((oc) => oc.columns(['actor', 'algorithm']).doNothing())
      .execute();
  }

  async addFollower(follower: Omit<FollowerRecord, 'createdAt'>): Promise<void> {
    const values = { inbox: follower.inbox, shared_inbox: follower.sharedInbox, follow_id: follower.followId };
    await this.db
      .insertInto('vox_activity_followers')
      .values({ actor: follower.actor, follower: follower.follower, ...values, created_at: now() })
      .onConflict((oc) => oc.columns(['actor', 'follower']).doUpdateSet(values))
      .execute();
  }

  /** Removes a follower; returns whether there was one. */
  async removeFollower(actor: string, follower: string): Promise<boolean> {
    const result = await this.db.deleteFrom('vox_activity_followers').where('actor', '=', actor).where('follower', '=', follower).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Removes the follow with this Follow activity id, if `follower` made it. */
  async removeFollowById(followId: string, follower: string): Promise<boolean> {
    const result = await this.db.deleteFrom('vox_activity_followers').where('follow_id', '=', followId).where('follower', '=', follower).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async followers(actor: string, page?: { offset: number; limit: number }): Promise<FollowerRecord[]> {
    let query = this.db.selectFrom('vox_activity_followers').selectAll().where('actor', '=', actor).orderBy('id');
    if (page) query = query.offset(page.offset).limit(page.limit);
    return (await query.execute()).map((r) => ({ actor: r.actor, follower: r.follower, inbox: r.inbox, sharedInbox: r.shared_inbox, followId: r.follow_id, createdAt: r.created_at }));
  }

  async countFollowers(actor: string): Promise<number> {
    const row = await this.db.selectFrom('vox_activity_followers').select((eb) => eb.fn.countAll<number>().as('count')).where('actor', '=', actor).executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** Local actors that `follower` follows. */
  async followedBy(follower: string): Promise<string[]> {
    return (await this.db.selectFrom('vox_activity_followers').select('actor').where('follower', '=', follower).execute()).map((r) => r.actor);
  }

  async isFollower(actor: string, follower: string): Promise<boolean> {
    return (await this.db.selectFrom('vox_activity_followers').select('id').where('actor', '=', actor).where('follower', '=', follower).executeTakeFirst()) !== undefined;
  }

  /** Records a Follow a local actor sent; a new Follow of the same target replaces the old one. */
  async addFollowing(following: Omit<FollowingRecord, 'createdAt' | 'status'>): Promise<void> {
    const timestamp = now();
    const values = { inbox: following.inbox, follow_id: following.followId, status: 'pending', updated_at: timestamp };
    await this.db
      .insertInto('vox_activity_following')
      .values({ actor: following.actor, target: following.target, ...values, created_at: timestamp })
      .onConflict((oc) => oc.columns(['actor', 'target']).doUpdateSet(values))
      .execute();
  }

  /** The target accepted (or rejected) the Follow with this id; returns whether it was ours. */
  async answerFollowing(followId: string, target: string, accepted: boolean): Promise<boolean> {
    if (!accepted) {
      const result = await this.db.deleteFrom('vox_activity_following').where('follow_id', '=', followId).where('target', '=', target).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    }
    const result = await this.db
      .updateTable('vox_activity_following')
      .set({ status: 'accepted', updated_at: now() })
      .where('follow_id', '=', followId)
      .where('target', '=', target)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async removeFollowing(actor: string, target: string): Promise<FollowingRecord | undefined> {
    const [row] = await this.db.deleteFrom('vox_activity_following').where('actor', '=', actor).where('target', '=', target).returningAll().execute();
    return row && toFollowing(row);
  }

  async following(actor: string, page?: { offset: number; limit: number }): Promise<FollowingRecord[]> {
    let query = this.db.selectFrom('vox_activity_following').selectAll().where('actor', '=', actor).orderBy('id');
    if (page) query = query.offset(page.offset).limit(page.limit);
    return (await query.execute()).map(toFollowing);
  }

  async countFollowing(actor: string): Promise<number> {
    const row = await this.db.selectFrom('vox_activity_following').select((eb) => eb.fn.countAll<number>().as('count')).where('actor', '=', actor).where('status', '=', 'accepted').executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** Local actors whose Follow of `target` was accepted. */
  async followersOfRemote(target: string): Promise<string[]> {
    const rows = await this.db.selectFrom('vox_activity_following').select('actor').where('target', '=', target).where('status', '=', 'accepted').execute();
    return rows.map((r) => r.actor);
  }

  /** Adds an item to an inbox; false when the inbox has this activity already. */
  async addItem(item: NewInboxItem): Promise<boolean> {
    const result = await this.db
      .insertInto('vox_activity_inbox')
      .values({
        actor: item.actor,
        activity_id: item.activityId,
        type: item.type,
        sender: item.sender,
        object_id: item.objectId,
        summary: item.summary,
        activity: JSON.stringify(item.activity),
        remote: item.remote ? 1 : 0,
        read: 0,
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['actor', 'activity_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Newest first; `before` is an item id, for the next page. */
  async items(actor: string, options: { limit: number; before?: number | undefined; unreadOnly?: boolean | undefined }): Promise<InboxItem[]> {
    let query = this.db.selectFrom('vox_activity_inbox').selectAll().where('actor', '=', actor).orderBy('id', 'desc').limit(options.limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.unreadOnly) query = query.where('read', '=', 0);
    return (await query.execute()).map(toItem);
  }

  async unreadCount(actor: string): Promise<number> {
    const row = await this.db.selectFrom('vox_activity_inbox').select((eb) => eb.fn.countAll<number>().as('count')).where('actor', '=', actor).where('read', '=', 0).executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** Marks items of one inbox read, by item id or all of them; returns how many changed. */
  async markRead(actor: string, ids: readonly number[] | 'all'): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    let query = this.db.updateTable('vox_activity_inbox').set({ read: 1 }).where('actor', '=', actor).where('read', '=', 0);
    if (ids !== 'all') query = query.where('id', 'in', [...ids]);
    return Number((await query.executeTakeFirst()).numUpdatedRows);
  }

  /** Marks the activity read in these inboxes; returns how many items changed. */
  async markActivityRead(actors: readonly string[], activityId: string): Promise<number> {
    if (actors.length === 0) return 0;
    const result = await this.db.updateTable('vox_activity_inbox').set({ read: 1 }).where('actor', 'in', [...actors]).where('activity_id', '=', activityId).where('read', '=', 0).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Removes an activity its sender undid, from every inbox. */
  async removeActivity(activityId: string, sender: string): Promise<number> {
    const result = await this.db.deleteFrom('vox_activity_inbox').where('activity_id', '=', activityId).where('sender', '=', sender).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Records an activity a local actor sent; sending it again changes nothing. */
  async addSent(sent: SentActivity): Promise<void> {
    await this.db
      .insertInto('vox_activity_outbox')
      .values({
        actor: sent.actor,
        activity_id: sent.activityId,
        object_id: sent.objectId,
        source_id: sent.sourceId,
        audience: sent.audience,
        activity: JSON.stringify(sent.activity),
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['actor', 'activity_id']).doNothing())
      .execute();
  }

  /** The actor's posts that `viewer` may read, newest first (follows and answers to follows are not listed). */
  async outbox(actor: string, viewer: OutboxViewer, page: { offset: number; limit: number }): Promise<Record<string, unknown>[]> {
    const rows = await this.db
      .selectFrom('vox_activity_outbox')
      .select('activity')
      .where('actor', '=', actor)
      .where('source_id', 'is not', null)
      .where((eb) => eb('audience', 'in', readableBy(viewer)))
      .orderBy('id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute();
    return rows.map((r) => JSON.parse(r.activity) as Record<string, unknown>);
  }

  async countOutbox(actor: string, viewer: OutboxViewer): Promise<number> {
    const row = await this.db
      .selectFrom('vox_activity_outbox')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('actor', '=', actor)
      .where('source_id', 'is not', null)
      .where((eb) => eb('audience', 'in', readableBy(viewer)))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** The sent activities whose id, or whose embedded object's id, is `iri`. */
  async sentAt(iri: string): Promise<SentActivity[]> {
    const rows = await this.db
      .selectFrom('vox_activity_outbox')
      .select(['actor', 'activity_id', 'object_id', 'source_id', 'audience', 'activity'])
      .where((eb) => eb.or([eb('activity_id', '=', iri), eb('object_id', '=', iri)]))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      actor: r.actor,
      activityId: r.activity_id,
      objectId: r.object_id,
      sourceId: r.source_id,
      audience: r.audience,
      activity: JSON.parse(r.activity) as Record<string, unknown>,
    }));
  }
}

function toFollowing(row: Selectable<ActivityDatabase['vox_activity_following']>): FollowingRecord {
  return { actor: row.actor, target: row.target, inbox: row.inbox, followId: row.follow_id, status: row.status === 'accepted' ? 'accepted' : 'pending', createdAt: row.created_at };
}

function toItem(row: Selectable<InboxTable>): InboxItem {
  return {
    id: row.id,
    activityId: row.activity_id,
    type: row.type,
    actor: row.sender,
    object: row.object_id,
    summary: row.summary,
    summaryText: toText(row.summary).trim(),
    remote: row.remote === 1,
    read: row.read === 1,
    createdAt: row.created_at,
    activity: JSON.parse(row.activity) as Record<string, unknown>,
  };
}
