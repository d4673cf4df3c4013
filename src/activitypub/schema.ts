/** The tables of the ActivityPub part: keys, followers, following, outbox, in-app inbox items. */
import type { Generated } from 'kysely';
import type { Flag } from '../store/schema.ts';

/** Fedify's key–value store (caches, idempotence, circuit breakers). */
export interface KvTable {
  /** The key's segments, each URI-encoded, joined with `/`. */
  key: string;
  /** JSON. */
  value: string;
  expires_at: string | null;
}

/** Fedify's message queue: outgoing deliveries, their retries and incoming activities. */
export interface QueueTable {
  id: Generated<number>;
  /** JSON of Fedify's message. */
  message: string;
  ready_at: string;
  /** While a listener processes the message; past it, the message is taken to be lost in a crash. */
  locked_until: string | null;
  attempts: number;
  created_at: string;
}

/** Actors' key pairs, generated on first use and never regenerated. */
export interface KeyTable {
  /** The local actor's identifier. */
  actor: string;
  /** `RSASSA-PKCS1-v1_5` (HTTP Signatures) or `Ed25519` (Object Integrity Proofs). */
  algorithm: string;
  /** JWK JSON. */
  private_key: string;
  public_key: string;
  created_at: string;
}

/** Remote actors following a local actor. */
export interface FollowerTable {
  id: Generated<number>;
  actor: string;
  /** The follower's IRI. */
  follower: string;
  inbox: string;
  shared_inbox: string | null;
  /** Id of the Follow activity, which an Undo may name. */
  follow_id: string | null;
  created_at: string;
}

/** Remote actors a local actor follows, or asked to follow. */
export interface FollowingTable {
  id: Generated<number>;
  actor: string;
  /** The followed actor's IRI. */
  target: string;
  inbox: string;
  follow_id: string;
  /** `pending` until the target's Accept arrives, then `accepted`. */
  status: string;
  created_at: string;
  updated_at: string;
}

/** The in-app inboxes: activities delivered to local actors. */
export interface InboxTable {
  id: Generated<number>;
  actor: string;
  activity_id: string;
  type: string;
  /** IRI of the activity's actor, when it names one. */
  sender: string | null;
  object_id: string | null;
  /** The activity's summary (HTML), or its object's. */
  summary: string;
  /** JSON-LD of the activity. */
  activity: string;
  /** 1 when it came from another server. */
  remote: Flag;
  read: Flag;
  created_at: string;
}

/** Activities local actors sent: their outbox collections, and what answers at the ids they sent. */
export interface OutboxTable {
  id: Generated<number>;
  actor: string;
  activity_id: string;
  /** JSON-LD of the activity, without `@context`. */
  activity: string;
  /** Who may read it: `public`, the actor's `followers`, or one actor's IRI. */
  audience: Generated<string>;
  /** Id of the object embedded in the activity that answers at its own id too (a post's Note). */
  object_id: string | null;
  /** Id of the notification's activity that it shares with followers, for their Reads. */
  source_id: string | null;
  created_at: string;
}

/** The tables of migrations `0003_activity` and `0005_activity_audience`. */
export interface ActivityDatabase {
  vox_kv: KvTable;
  vox_activity_queue: QueueTable;
  vox_activity_keys: KeyTable;
  vox_activity_followers: FollowerTable;
  vox_activity_following: FollowingTable;
  vox_activity_inbox: InboxTable;
  vox_activity_outbox: OutboxTable;
}
