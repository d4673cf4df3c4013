/** What apps declare: models, notifications, channels, contacts, attachments, actors, and what notify() takes and returns. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Contact } from './contact.ts';
import type { FeedbackStatus } from './feedback.ts';
import type { DigestSpec, ThrottleSpec } from './digest.ts';

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** Something that yields items one by one, synchronously or not. */
export type ManyOf<T> = Iterable<T> | AsyncIterable<T>;

/** The notification a contacts function is asked about. */
export interface NotificationRef {
  /** `<model>.<codename>`, for example `blog.article.created`. */
  readonly id: string;
  readonly model: string;
  readonly codename: string;
  readonly description: string;
}

/**
 * What a contacts function may return: nothing, one contact, one address string (a single
 * contact, never iterated character by character), or many of either.
 */
export type ContactsResult = Awaitable<Contact | string | null | undefined | ManyOf<Contact | string>>;

/** Returns the contacts of `object` for one protocol, optionally filtered per notification. */
export type ContactsFunction<T> = (object: T, notification: NotificationRef) => ContactsResult;

/** What a model handle carries for other declarations to refer to it. `~object` exists only in types. */
export interface ModelReference<T = unknown> {
  readonly name: string;
  readonly '~object'?: T;
}

/** A reference to another model: its handle, or its name when it is registered later. */
export type ModelRef = ModelReference | string;

/** The long form of a notification declaration. */
export interface NotificationSpec {
  /** Shown to template authors in the admin. */
  readonly description: string;
  /** Model of whoever caused the notification; makes the `actor` option of notify() required. */
  readonly actor?: ModelRef;
  /** Model of whatever the action affects; makes the `target` option of notify() required. */
  readonly target?: ModelRef;
  /**
   * A notification nobody can opt out of (security, receipts, confirmations: transactional mail).
   * Two things follow: recipients' preferences never stop it (its preferences are shown locked and
   * writing one throws `VOX_PREFERENCE_LOCKED`), and the issue's settled() rejects with
   * {@link NothingSentError} if no message could be sent. The suppression list still applies to it
   * for bounced, complained-of and admin-blocked addresses (see docs/preferences.md). @default false
   */
  readonly required?: boolean;
  /**
   * The group recipients see and set preferences for, such as `newsletter`, `comments` or
   * `security`: a key (its label is the key, capitalised), or a key with a label. Notifications
   * of one category must give it one label. @default no category
   */
  readonly category?: string | CategorySpec;
  /**
   * Whether a recipient who set no preference gets this notification, per protocol; a protocol
   * not named is opted in. For example `{ email: true, sms: false }`. @default opted in everywhere
   */
  readonly defaults?: Readonly<Record<string, boolean>>;
  /**
   * The ActivityStreams type of this notification's activities (the `activity` backend). By
   * default it follows the codename (`created` → `Create`, `like` → `Like`, …), else `Create`.
   */
  readonly activityType?: ActivityType;
  /**
   * Who may read the post a local actor makes of this notification for its followers (the
   * `activity` backend): `followers` only, or anyone, listed in public timelines (`public`) or
   * not (`unlisted`), as Mastodon's visibilities. @default 'followers'
   */
  readonly activityVisibility?: ActivityVisibility;
  /**
   * Gathers this notification's events for one recipient into one message per window (see
   * docs/digests.md): forty comments in an hour make one email. Checked at `vox.model()`.
   */
  readonly digest?: DigestSpec;
  /**
   * At most `limit` messages per recipient in `window` milliseconds; the rest skipped (logged as
   * `skipped`, `VOX_THROTTLED`) or, with `over: 'digest'`, gathered into one digest (docs/digests.md).
   */
  readonly throttle?: ThrottleSpec;
}

/** A preference category with its label, for {@link NotificationSpec.category}. */
export interface CategorySpec {
  /** Letters, digits, `_` and `-`: stored in preferences and unsubscribe links. */
  readonly key: string;
  /** Shown to recipients in the preference center and to staff in the admin. */
  readonly label: string;
}

/** Who may read an actor's post of a notification; see {@link NotificationSpec.activityVisibility}. */
export type ActivityVisibility = 'public' | 'unlisted' | 'followers';

/** ActivityStreams 2.0 activity types, for {@link NotificationSpec.activityType}. */
export type ActivityType =
  | 'Accept' | 'Add' | 'Announce' | 'Arrive' | 'Block' | 'Create' | 'Delete' | 'Dislike' | 'Flag' | 'Follow'
  | 'Ignore' | 'Invite' | 'Join' | 'Leave' | 'Like' | 'Listen' | 'Move' | 'Offer' | 'Question' | 'Read'
  | 'Reject' | 'Remove' | 'TentativeAccept' | 'TentativeReject' | 'Travel' | 'Undo' | 'Update' | 'View';

/** An ActivityStreams object as JSON-LD, for example `{ type: 'Note', id, content }`. */
export type ActivityObject = Readonly<Record<string, unknown>>;

/**
 * Makes a model's objects ActivityPub actors (the seed's `actors[User].set_regex(...)`): each
 * gets an actor document, a WebFinger handle, an inbox, an outbox and followers and following
 * collections, served by the `activity()` handler of `vox/activity`.
 */
export interface ActorSpec<T> {
  /**
   * URI template of the actor's IRI on the site's origin, with `{identifier}`, for example
   * `/users/{identifier}`. Every actor model of an app uses the same template (Fedify serves all
   * actors under one), so identifiers must be unique across actor models.
   */
  readonly path: string;
  /** The identifier in the IRI; URL-safe and stable (a user id, say): the fediverse knows the actor by its IRI. */
  readonly identifier: (object: T) => string;
  /** Finds the object with this identifier, or nothing. */
  readonly find: (identifier: string) => Awaitable<T | null | undefined>;
  /**
   * The handle people type and Mastodon shows, `alice` in `@alice@blog.example.com` (the actor's
   * `preferredUsername`, found through WebFinger). Lowercase letters, digits and `_`, with `.` or
   * `-` only between them, at most 64 characters (see `validateHandle` of `vox/activity`); unique
   * among all actors. It may change: the IRI stays. Needs {@link ActorSpec.findByHandle}.
   * @default the identifier, which must then be a valid handle
   */
  readonly handle?: (object: T) => string;
  /** Finds the object with this handle (always given in lowercase), or nothing; required with {@link ActorSpec.handle}. */
  readonly findByHandle?: (handle: string) => Awaitable<T | null | undefined>;
  /** Display name. @default the handle */
  readonly name?: (object: T) => string;
  /** A short bio, as HTML. */
  readonly summary?: (object: T) => string;
  /**
   * The actor's picture, absolute or relative to `site.baseUrl`, or nothing. Mastodon shows PNG,
   * JPEG, GIF and WebP images (not SVG).
   */
  readonly icon?: (object: T) => string | null | undefined;
  /** @default 'Person' */
  readonly type?: 'Person' | 'Application' | 'Service' | 'Group' | 'Organization';
}

/** Notifications of a model: codename → description, or the long form. */
export type NotificationsSpec = Readonly<Record<string, string | NotificationSpec>>;

/**
 * A channel whose recipients are objects of another model: who, related to an object, can
 * receive its notifications.
 */
export interface ChannelSpec<T, R = unknown> {
  /** Shown in the admin, for example `Subscribers`. @default the key, capitalised */
  readonly label?: string;
  /**
   * Model of the recipients the resolver returns: its handle, whose object type the resolver must
   * then return, or its name (for a model registered later; then the type system cannot check).
   */
  readonly recipients: ModelReference<R> | string;
  /** Returns the recipients: an array, an iterable or an async iterable; null and undefined are skipped. */
  readonly resolve: (object: T) => Awaitable<ManyOf<NoInfer<R> | null | undefined>>;
}

/** A channel whose recipients are objects of the model itself, for example an article's related articles. */
export interface OwnChannelSpec<T> {
  /** Shown in the admin. @default the key, capitalised */
  readonly label?: string;
  readonly recipients?: undefined;
  /** Returns the recipients, objects of the model itself; null and undefined are skipped. */
  readonly resolve: (object: T) => Awaitable<ManyOf<T | null | undefined>>;
}

/** The object itself as a recipient: `true`, or with a label. */
export type SelfChannelSpec = true | { readonly label: string };

/**
 * One channel of a model with objects `T`: `self` is the object itself; a key whose recipients
 * are of type `R` (inferred from the `recipients` handle) resolves to those.
 */
export type ChannelEntry<T, K, R> = K extends 'self' ? SelfChannelSpec : string extends K ? ChannelSpec<T> | OwnChannelSpec<T> | SelfChannelSpec : ChannelSpec<T, R> | OwnChannelSpec<T>;

/**
 * Channels of a model: `self` makes the object itself a recipient; any other key is a resolver.
 * `M` maps each key to its recipients' object type, inferred by {@link Vox.model} so that a
 * resolver returning objects of the wrong model does not compile.
 */
export type ChannelsSpec<T, M = Readonly<Record<string, unknown>>> = { readonly [K in keyof M]: ChannelEntry<T, K, M[K]> };

/** A file that templates may attach, computed from an object. */
export interface AttachmentSpec<T> {
  /** Shown in the admin's attachment picker. @default the key, capitalised */
  readonly label?: string;
  /** MIME type, fixed or per object. */
  readonly mime: string | ((object: T) => string);
  /** File name; defaults to the key with an extension derived from the MIME type. */
  readonly filename?: string | ((object: T) => string);
  /** The file's content. */
  readonly data: (object: T) => Awaitable<string | Uint8Array>;
}

/** A related object of another model, reachable from attachments keys like `object.author.vcard`. */
export interface RelationSpec<T> {
  readonly model: ModelRef;
  readonly label?: string;
  /** Returns the related object. @default the property of the same name */
  readonly get?: (object: T) => Awaitable<unknown>;
}

/** Options of {@link Vox.model}; `M` is inferred from `channels` (see {@link ChannelsSpec}). */
export interface ModelOptions<T, N extends NotificationsSpec, M = Readonly<Record<string, unknown>>> {
  /** Human name of the model, shown in the admin. @default the name's last segment, capitalised */
  readonly label?: string;
  /** The object's identity, stored in issues and used to re-load it. */
  readonly id: (object: T) => string | number;
  /** Re-loads objects by id (batch); lets workers and the admin get fresh objects. */
  readonly load?: (ids: readonly string[]) => Awaitable<Iterable<T>>;
  /**
   * What templates may read of an object (Standard Schema, e.g. zod). Only the schema's output
   * is visible to templates; without a schema, the object's own JSON data is.
   */
  readonly schema?: StandardSchemaV1<unknown, unknown>;
  /**
   * The object's page, absolute or relative to `site.baseUrl` (the seed's `get_absolute_url`). Of
   * an actor model, the profile page that the actor document links to (its `url`).
   */
  readonly url?: (object: T) => string;
  /**
   * The ActivityStreams object that activities about this object carry (the seed's
   * `__activity__`); by default an `Object` with the id from {@link ModelOptions.url} and a name.
   */
  readonly toActivity?: (object: T, notification: NotificationRef) => ActivityObject;
  /** Makes the objects ActivityPub actors; see {@link ActorSpec}. */
  readonly actor?: ActorSpec<T>;
  /**
   * The recipient's time zone (an IANA name such as `Europe/Berlin`), for quiet hours
   * (`createVox({ quietHours })`); an unknown or missing zone counts as the quiet hours' own.
   */
  readonly timezone?: (object: T) => string | null | undefined;
  readonly notifications?: N;
  readonly channels?: ChannelsSpec<T, M>;
  /** Contacts per protocol. */
  readonly contacts?: Readonly<Record<string, ContactsFunction<T>>>;
  readonly attachments?: Readonly<Record<string, AttachmentSpec<T>>>;
  /** Related objects of other models, for attachments such as `object.author.vcard`. */
  readonly relations?: Readonly<Record<string, RelationSpec<T> | ModelRef>>;
  /**
   * Finds objects for the admin, which lets staff pick real objects: to preview a template with, to
   * issue a notification about, or to send a one-time message to. An empty query asks for a first
   * page (the most recent objects, say). The admin shows at most 50.
   *
   * @example
   * search: (query) => db.articles.where('title', 'like', `%${query}%`).limit(50)
   */
  readonly search?: (query: string) => Awaitable<Iterable<T>>;
  /** How the admin names one object, for example its title. @default the model's label and the object's id */
  readonly display?: (object: T) => string;
}

type ObjectOf<R> = R extends ModelReference<infer U> ? U : unknown;

type ActorOption<S> = S extends { readonly actor: infer A } ? { readonly actor: ObjectOf<A> } : { readonly actor?: undefined };
type TargetOption<S> = S extends { readonly target: infer A } ? { readonly target: ObjectOf<A> } : { readonly target?: undefined };

/** The options notify() takes for one notification: actor and target exactly when declared. */
export type NotifyOptions<S> = ActorOption<S> & TargetOption<S> & {
  /**
   * Your Kysely transaction on the database Vox uses: the issue is recorded in it, so it is sent
   * exactly when the transaction commits (transactional outbox).
   */
  readonly trx?: TransactionLike;
  /**
   * Milliseconds to wait before the fan-out (a whole number, 0 or more). The issue is recorded at
   * once (in `trx` when given); workers fan it out when it is due. Not with `at`.
   */
  readonly delay?: number;
  /**
   * When to fan the issue out; a time up to a minute in the past means now, one further back is
   * refused (`VOX_INVALID_SCHEDULE`). Not with `delay`.
   */
  readonly at?: Date;
  /**
   * Your name for this issue while it waits (`reminder:order:42`), to cancel it by with
   * `vox.issues.cancel(key)`. One waiting issue per key: another notify() with the key of an issue
   * that has not yet been fanned out is refused with `VOX_KEY_TAKEN`.
   */
  readonly key?: string;
};

/**
 * A Kysely transaction (`Transaction<DB>`, or a `ControlledTransaction<DB>`), whatever its
 * database type: Vox writes only its own tables through it. The Kysely instance itself is refused
 * by the type system, since its `isTransaction` is a `boolean` where a transaction's is `true`.
 *
 * Structural on purpose: Kysely's classes have `#private` members, which TypeScript compares
 * by declaration, so naming Kysely's `Transaction` here would refuse the transactions of an app
 * whose Kysely is another copy (another version) than the one Vox was built with.
 */
export interface TransactionLike {
  readonly isTransaction: true;
  /** Kysely's query executor; present on every Kysely instance and transaction. */
  getExecutor(): unknown;
}

/** What notify() returns once the issue is recorded; delivery goes on in the background. */
export interface IssueTicket {
  readonly issueId: number;
  /** `<model>.<codename>`. */
  readonly notification: string;
  /**
   * Waits until every message is sent or failed for good and sums them up. Rejects with
   * {@link NothingSentError} when a `required` notification reached nobody. Needs a running worker.
   */
  settled(): Promise<IssueResult>;
}

/** notify()'s options argument: required when the notification declares an actor or a target. */
export type NotifyArgs<S> = S extends { readonly actor: unknown } | { readonly target: unknown }
  ? [options: NotifyOptions<S>]
  : [options?: NotifyOptions<S>];

/** The outcome of one message of an issue, as recorded in the message log. */
export interface MessageOutcome {
  readonly id: number;
  readonly backend: string;
  readonly templateId: number | null;
  readonly to: readonly string[];
  readonly status: MessageStatus;
  readonly error: string | null;
}

/**
 * Status of a message in the log. `skipped`: not sent by decision (the recipient opted out, the
 * address is suppressed, a throttle); its `error` and `errorCode` say why. Like `sent` and `failed`, it
 * is final. After `sent`, a provider's report (delivery feedback) may move it on to `delivered`,
 * `bounced`, `complained` or `failed`, never back.
 */
export type MessageStatus = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'skipped'
  | FeedbackStatus;

/**
 * What a resend says of one message: how its attempt went, or `not_resent` when it was not
 * attempted (it has not failed, or it is not in the log); `error` then says why.
 */
export interface ResendOutcome extends Omit<MessageOutcome, 'status'> {
  readonly status: MessageStatus | 'not_resent';
}

/** The outcome of an issue, once settled. */
export interface IssueResult {
  readonly issueId: number;
  readonly notification: string;
  readonly messages: readonly MessageOutcome[];
  /** Messages the provider accepted, including those it reported delivered, bounced or complained of since. */
  readonly sent: number;
  readonly failed: number;
  /** Messages not sent by decision (opted out, suppressed): not failures. */
  readonly skipped: number;
  /** Of `sent`, those the provider reported delivered (delivery feedback). */
  readonly delivered: number;
  /** Of `sent`, those the provider reported bounced. */
  readonly bounced: number;
  /** Of `sent`, those whose recipient reported them as spam. */
  readonly complained: number;
}

/** A registered model. Returned by {@link Vox.model}. */
export interface ModelHandle<T, N extends NotificationsSpec> extends ModelReference<T> {
  /** The registered name, for example `blog.article`. */
  readonly name: string;
  readonly label: string;
  /**
   * Issues notification `codename` about `object`. The codename and the presence of actor and
   * target are checked by the type system, and again at run time.
   *
   * @example
   * await Article.notify(article, 'created', { actor: author });
   */
  notify<C extends keyof N & string>(object: T, codename: C, ...options: NotifyArgs<N[C]>): Promise<IssueTicket>;
}
