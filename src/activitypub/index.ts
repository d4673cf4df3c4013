/** `vox/activity`: the activity backend and the ActivityPub handler, wired to Vox's database and models. */
import { randomUUID } from 'node:crypto';
import type { Federation, KvStore, MessageQueue } from '@fedify/fedify';
import type { Kysely } from 'kysely';
import type { Backend, BackendCapabilities, BackendHost, ComposeContext } from '../vocabulary/backend.ts';
import type { MessagePayload, OutboundMessage, RenderedTemplate, SendResult } from '../vocabulary/payload.ts';
import { htmlToText } from '../backends/email/core.ts';
import { DeliveryError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { maxBodyBytesOption, withBodyLimit } from '../http/body-limit.ts';
import { contact, type Contact } from '../vocabulary/contact.ts';
import type { ActivityVisibility, ActorSpec, Awaitable, ModelRef } from '../vocabulary/model.ts';
import type { ActivityJson } from './federated-types.ts';
import { Federated } from './federation.ts';
import { feedResponse, inboxOf, type ActivityInbox } from './feed.ts';
import { SqlKvStore } from './kv.ts';
import { VISIBILITIES } from './posts.ts';
import { SqlMessageQueue } from './queue.ts';
import type { ActivityDatabase } from './schema.ts';
import { ActivityStore, type FollowerRecord, type FollowingRecord } from './store.ts';
import { ACTIVITY_STREAMS, Iris, activityObjectOf, activityTypeOf, notificationSpecOf } from './vocabulary.ts';

export type { ActivityInbox } from './feed.ts';
export type { FollowerRecord, FollowingRecord, InboxItem } from './store.ts';
export type { SqlMessageQueueOptions } from './queue.ts';
export { ACTIVITY_TYPES, activityTypeOf } from './vocabulary.ts';
export { validateHandle } from './handles.ts';

/** Options of {@link activity}. */
export interface ActivityOptions {
  /** The backend id templates use. @default 'activity' */
  readonly id?: string;
  /** The backend's name in the admin. @default 'Activity stream' */
  readonly label?: string;
  /**
   * Who is signed in, for the feed API: the identifier of their actor (see `actor.identifier` of
   * your user model), or nothing. Without it the feed API answers 404.
   *
   * @example
   * authorize: async (request) => (await sessionUser(request))?.username
   */
  readonly authorize?: (request: Request) => Awaitable<string | null | undefined>;
  /** Where the feed API lives. @default '/activity/feed' */
  readonly feedPath?: string;
  /** The shared inbox every actor names. @default '/inbox' */
  readonly sharedInboxPath?: string;
  /**
   * Fedify's key–value store (caches, idempotence). The default keeps it in Vox's database
   * (table `vox_kv`); Fedify's `MemoryKvStore` is the in-memory one, for tests.
   */
  readonly kv?: KvStore;
  /**
   * Fedify's message queue for deliveries, their retries and incoming activities. The default
   * keeps them in Vox's database (table `vox_activity_queue`), so none is lost on restart;
   * Fedify's `InProcessMessageQueue` is the in-memory one, and `@fedify/redis` or
   * `@fedify/postgres` offer others.
   */
  readonly queue?: MessageQueue;
  /**
   * Lets Fedify fetch actors and keys from private and loopback addresses (127.0.0.1,
   * 192.168.x.x, …), which it refuses by default against server-side request forgery. For tests
   * and local development only. @default false
   */
  readonly allowPrivateAddress?: boolean;
  /**
   * Decides whether a remote actor may follow a local one; refused follows get a Reject. A
   * follower receives the actor's notifications, so restrict this where they are private.
   * @default every follow is accepted
   */
  readonly acceptFollow?: (follow: { readonly actor: string; readonly follower: string }) => Awaitable<boolean>;
  /**
   * The largest request body accepted, in bytes: an inbox POST (or a feed API call) whose
   * Content-Length says more is answered 413 `VOX_BODY_TOO_LARGE` before a byte is read, and one
   * sent without a Content-Length is cut off and answered 413 once it passes the limit. Requests
   * passed on to `next` keep their body untouched. @default 1048576 (1 MiB, about Mastodon's)
   */
  readonly maxBodyBytes?: number;
  /** Told about failures in the background: deliveries that failed for good, incoming activities that could not be handled. @default silent */
  readonly onError?: (error: unknown, where: string) => void;
}

/** ActivityPub for a Vox app: the `activity` backend, the federation endpoints and the in-app inboxes. */
export interface ActivityPub {
  /** The backend (protocol `activity`) to list in `createVox({ backends })`. */
  readonly backend: Backend;
  /**
   * Answers ActivityPub requests (actor documents, WebFinger by handle, inboxes, outboxes,
   * followers and following collections, and the ids of the posts and other activities actors
   * sent) and the feed API. Requests it does not serve go to `next`, when given (a browser asking
   * for an actor's IRI too); otherwise they get a 404.
   *
   * @example
   * app.use((c, next) => ap.fetch(c.req.raw, async () => { await next(); return c.res; }));   // Hono
   */
  fetch(request: Request, next?: () => Awaitable<Response>): Promise<Response>;
  /** Loads Fedify and starts its queue now, to resume deliveries at boot instead of at the first request. */
  start(): Promise<void>;
  /** The actor IRI of an object of an actor model. */
  actorIri<T>(model: ModelRef & { readonly '~object'?: T }, object: T): string;
  /** The object's contact for protocol `activity`: its actor IRI (the seed's `get_object_address()`). */
  contact<T>(model: ModelRef & { readonly '~object'?: T }, object: T): Contact;
  /** The in-app inbox of the local actor with this identifier. */
  inbox(identifier: string): ActivityInbox;
  /** Makes a local actor follow a remote one (an actor IRI, or a `@user@host` handle on HTTPS). */
  follow(identifier: string, target: string): Promise<FollowingRecord>;
  /** Undoes a local actor's follow; false when it did not follow `target`. */
  unfollow(identifier: string, target: string): Promise<boolean>;
  followers(identifier: string): Promise<FollowerRecord[]>;
  following(identifier: string): Promise<FollowingRecord[]>;
  /** The Fedify federation, for what Vox does not wrap (custom activities, NodeInfo, …). */
  federation(): Promise<Federation<void>>;
}

const CAPABILITIES: BackendCapabilities = { subject: true, fromAddress: false, attachments: false, manualSending: false };

/**
 * ActivityPub on Fedify: an actor for each object of models declared with `actor`, the
 * `activity` backend that puts notifications in local actors' inboxes and makes them the actors'
 * posts, sent signed to their remote followers, and the in-app feed API.
 *
 * @example
 * const ap = activity({ authorize: async (request) => String((await sessionUser(request))?.id) });
 * const vox = createVox({ database, backends: [ap.backend], site: { baseUrl: 'https://blog.example.com' } });
 * vox.model('auth.user', { ..., url: (u) => `/people/${u.username}`,
 *   actor: { path: '/users/{identifier}', identifier: (u) => String(u.id), find: byId, handle: (u) => u.username, findByHandle: byUsername },
 *   contacts: { activity: (u) => ap.contact('auth.user', u) } });
 */
export function activity(options: ActivityOptions = {}): ActivityPub {
  const backendId = options.id ?? 'activity';
  const feedPath = (options.feedPath ?? '/activity/feed').replace(/\/+$/, '');
  const sharedInboxPath = options.sharedInboxPath ?? '/inbox';
  const onError = options.onError ?? (() => {});
  const maxBodyBytes = maxBodyBytesOption(options.maxBodyBytes, 'activity()');
  let host: BackendHost | undefined;
  let iris: Iris | undefined;
  let store: ActivityStore | undefined;
  let federated: Promise<Federated> | undefined;
  let closed = false;

  const attached = (): { host: BackendHost; iris: Iris; store: ActivityStore } => {
    if (!host || !iris || !store) throw new VoxError(ErrorCode.configuration, 'the activity backend is not part of a Vox yet: createVox({ backends: [ap.backend] })');
    return { host, iris, store };
  };
  const ready = (): Promise<Federated> => {
    if (closed) return Promise.reject(new VoxError(ErrorCode.configuration, 'this Vox is closed'));
    if (!federated) {
      const { host, iris, store } = attached();
      const db = host.db as Kysely<ActivityDatabase>;
      federated = Federated.create({
        iris,
        store,
        actorModels: host.models().filter((m) => m.options.actor !== undefined),
        kv: options.kv ?? new SqlKvStore(db),
        queue: options.queue ?? new SqlMessageQueue(db, host.dialect),
        sharedInboxPath,
        allowPrivateAddress: options.allowPrivateAddress ?? false,
        ...(options.acceptFollow ? { acceptFollow: options.acceptFollow } : {}),
        onError,
      });
      federated.catch(() => (federated = undefined));
    }
    return federated;
  };
  const actorSpecOf = (model: ModelRef) => {
    const name = typeof model === 'string' ? model : model.name;
    const hostModel = attached().host.model(name);
    const spec = hostModel?.options.actor as ActorSpec<unknown> | undefined;
    if (!hostModel || !spec) throw new VoxError(ErrorCode.configuration, `model ${name} is not an actor model: give it an actor option`);
    return { hostModel, spec };
  };

  const backend: Backend = {
    id: backendId,
    protocol: 'activity',
    label: options.label ?? 'Activity stream',
    format: 'html',
    capabilities: CAPABILITIES,
    attach(given) {
      const baseUrl = given.site.baseUrl;
      if (!baseUrl || !/^https?:\/\//.test(baseUrl)) {
        throw new VoxError(ErrorCode.configuration, `the activity backend builds absolute IRIs from site.baseUrl, which must be an http(s) URL: createVox({ site: { baseUrl: 'https://example.org' } }), not ${JSON.stringify(baseUrl)}`);
      }
      host = given;
      iris = new Iris(baseUrl);
      store = new ActivityStore(given.db as Kysely<ActivityDatabase>);
    },
    compose: (rendered, context) => composeActivity(rendered, context, host && iris ? { host, iris } : undefined),
    // Only this site's actors can be sent to; a remote account's inbox gets activities by following one.
    validateAddress(address) {
      let url: URL;
      try {
        url = new URL(address);
      } catch {
        return 'an activity address is the IRI of one of this site\'s actors, such as https://example.org/users/alice';
      }
      if (iris && url.origin !== iris.origin) {
        return `${address} is not an actor of this site (${iris.origin}): remote accounts cannot be sent to, they get activities by following one of this site's actors`;
      }
      return undefined;
    },
    async send(message) {
      const { activity: activityJson, visibility } = activityOf(message, backendId);
      const fed = await ready();
      const rejected: { address: string; error: Error }[] = [];
      for (const to of message.to) {
        const local = await fed.localActor(to.address);
        if (!local) {
          rejected.push({ address: to.address, error: new DeliveryError(`${to.address} is not an actor of this site; remote accounts get activities by following one`, { backend: backendId, permanent: true, providerCode: 'ENOTLOCAL' }) });
          continue;
        }
        try {
          await fed.deliverTo(local.identifier, activityJson, visibility);
        } catch (cause) {
          throw new DeliveryError(`delivering to ${to.address} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { backend: backendId, permanent: false, cause });
        }
      }
      if (rejected.length === message.to.length) throw new DeliveryError(rejected.map((r) => r.error.message).join('; '), { backend: backendId, permanent: true, providerCode: 'ENOTLOCAL' });
      return { providerMessageId: String(activityJson.id), ...(rejected.length > 0 ? { rejected } : {}) } satisfies SendResult;
    },
    async close() {
      closed = true;
      const current = federated;
      federated = undefined;
      await (await current?.catch(() => undefined))?.close();
    },
  };

  const answer = async (request: Request, next: (() => Awaitable<Response>) | undefined): Promise<Response> => {
    const { iris } = attached();
    const feed = await feedResponse(request, {
      path: feedPath,
      origin: iris.origin,
      authorize: options.authorize,
      inbox: async (identifier) => ((await (await ready()).findActor(identifier)) ? inboxOf(attached().store, identifier) : undefined),
    });
    if (feed) return feed;
    const fed = await ready();
    const fallback = async () => (next ? next() : new Response('Not Found', { status: 404, headers: { 'Content-Type': 'text/plain' } }));
    return fed.federation.fetch(request, { contextData: undefined, onNotFound: fallback, onNotAcceptable: fallback });
  };

  return {
    backend,
    // Bodies are bounded at the entry, before Fedify (which reads an inbox POST whole before checking its signature) or the feed API reads them.
    fetch: (request, next) => withBodyLimit(request, maxBodyBytes, (limited) => answer(limited, next)),
    start: async () => void (await ready()),
    actorIri(model, object) {
      const { hostModel } = actorSpecOf(model);
      return attached().iris.actor(hostModel, object) as string;
    },
    contact(model, object) {
      const { hostModel, spec } = actorSpecOf(model);
      return contact(spec.name?.(object) ?? spec.handle?.(object) ?? spec.identifier(object), 'activity', attached().iris.actor(hostModel, object) as string);
    },
    inbox: (identifier) => inboxOf(attached().store, identifier),
    follow: async (identifier, target) => (await ready()).follow(identifier, target),
    unfollow: async (identifier, target) => (await ready()).unfollow(identifier, target),
    followers: async (identifier) => attached().store.followers(identifier),
    following: async (identifier) => attached().store.following(identifier),
    federation: async () => (await ready()).federation,
  };
}

/**
 * The activity of a message: its type from the notification, its object from the model, the
 * rendered template as its summary (and the subject as its name), addressed to the recipients.
 */
export function composeActivity(rendered: RenderedTemplate, context: ComposeContext | undefined, site: { host: BackendHost; iris: Iris } | undefined): MessagePayload {
  const summary = rendered.parts.html ?? '';
  const name = rendered.subject.trim();
  const shown = { ...(name ? { subject: name } : {}), html: summary, text: htmlToText(summary) };
  // Previews and one-time messages have no issue: what they show is the summary.
  if (!context || !site) return { ...shown, data: { activity: { '@context': ACTIVITY_STREAMS, type: 'Create', ...(name ? { name } : {}), summary } } };
  const { host, iris } = site;
  const { notification } = context;
  const ref = (modelName: string | null, value: unknown) => {
    const model = modelName === null || value === undefined || value === null ? undefined : host.model(modelName);
    return model ? activityObjectOf(model, value, iris, notification) : undefined;
  };
  const actor = ref(context.actorModel, context.actor);
  const object = ref(notification.model, context.object);
  const target = ref(context.targetModel, context.target);
  const declared = notificationSpecOf(host.model(notification.model), notification.codename);
  const activityJson: ActivityJson = {
    '@context': ACTIVITY_STREAMS,
    id: iris.resolve(`/activities/${randomUUID()}`),
    type: activityTypeOf(notification.codename, declared?.activityType),
    ...(actor === undefined ? {} : { actor }),
    ...(object === undefined ? {} : { object }),
    ...(target === undefined ? {} : { target }),
    ...(name ? { name } : {}),
    summary,
    to: context.to.map((c) => c.address),
    published: new Date().toISOString(),
  };
  return { ...shown, data: { activity: activityJson, visibility: declared?.activityVisibility ?? 'followers' } };
}

/** The activity of a message and who may read the posts made of it (messages logged before visibilities were followers-only). */
function activityOf(message: OutboundMessage, backend: string): { activity: ActivityJson; visibility: ActivityVisibility } {
  const value = message.payload.data?.activity;
  const json = typeof value === 'object' && value !== null ? (value as ActivityJson) : undefined;
  if (!json || typeof json.id !== 'string' || typeof json.type !== 'string') {
    throw new DeliveryError('this message has no activity to send (activities are composed from a notification; previews and one-time messages have none)', { backend, permanent: true, providerCode: 'ENOACTIVITY' });
  }
  const visibility = VISIBILITIES.find((v) => v === message.payload.data?.visibility) ?? 'followers';
  return { activity: json, visibility };
}
