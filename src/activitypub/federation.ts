/** Vox's ActivityPub server on Fedify: actors, their posts and what else they sent, following, and sending notifications. */
import type * as FedifyModule from '@fedify/fedify';
import type { Context, Federation } from '@fedify/fedify';
import type * as VocabModule from '@fedify/vocab';
import type { Activity as VocabActivity, Recipient } from '@fedify/vocab';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { ActorSpec, ActivityVisibility } from '../vocabulary/model.ts';
import { serveActors } from './actors.ts';
import type { ActivityJson, FederationSettings, LocalActor } from './federated-types.ts';
import { Handles } from './handles.ts';
import { listenToInboxes } from './inbox.ts';
import { ActorKeys } from './keys.ts';
import { audienceOf, postKey, postOf } from './posts.ts';
import { newActivityIri, sendTo, serveSent } from './sent.ts';
import type { ActivityStore, FollowingRecord } from './store.ts';
import { ACTIVITY_STREAMS, idOf } from './vocabulary.ts';

/** How long closing waits for the queue listener to finish the message in hand. */
const CLOSE_WAIT_MS = 5000;

/** Loads Fedify, an optional peer dependency, when the activity backend is first used. */
async function loadFedify(): Promise<{ fedify: typeof FedifyModule; vocab: typeof VocabModule }> {
  try {
    const [fedify, vocab] = await Promise.all([import('@fedify/fedify'), import('@fedify/vocab')]);
    return { fedify, vocab };
  } catch (cause) {
    throw new VoxError(ErrorCode.configuration, 'the activity backend needs Fedify: npm install @fedify/fedify@2.3.6 @fedify/vocab@2.3.6', { cause });
  }
}

/**
 * Vox's ActivityPub server on Fedify: actors (documents, WebFinger, key pairs), their inboxes,
 * what they sent (posts, outboxes), followers and following, and delivery of notifications.
 */
export class Federated {
  readonly federation: Federation<void>;
  readonly #vocab: typeof VocabModule;
  readonly #settings: FederationSettings;
  readonly #store: ActivityStore;
  readonly #stopQueue = new AbortController();
  readonly #queueStopped: Promise<void>;

  private constructor(fedify: typeof FedifyModule, vocab: typeof VocabModule, settings: FederationSettings, actorPath: `${string}{identifier}${string}`) {
    this.#vocab = vocab;
    this.#settings = settings;
    this.#store = settings.store;
    this.federation = fedify.createFederation<void>({
      kv: settings.kv,
      queue: settings.queue,
      manuallyStartQueue: true,
      origin: settings.iris.origin,
      allowPrivateAddress: settings.allowPrivateAddress,
      onOutboxError: (error) => settings.onError(error, 'outbox'),
    });
    const findActor = (identifier: string) => this.findActor(identifier);
    const { store } = settings;
    serveActors(this.federation, vocab, { store, settings, handles: new Handles(settings.actorModels), keys: new ActorKeys(fedify, store), findActor }, actorPath);
    serveSent(this.federation, vocab, { store, iris: settings.iris }, actorPath);
    listenToInboxes(this.federation, vocab, { store, settings, findActor }, `${actorPath}/inbox` as `${string}{identifier}${string}`);
    // An inbox that answers 404 or 410 is gone for good: its actors stop following.
    this.federation.setOutboxPermanentFailureHandler(async (ctx, { reason, activity, actorIds }) => {
      const sender = reason === 'http' ? ctx.parseUri(activity.actorId) : null;
      if (sender?.type !== 'actor') return;
      for (const id of actorIds) await store.removeFollower(sender.identifier, id.href);
    });
    this.#queueStopped = this.federation.startQueue(undefined, { signal: this.#stopQueue.signal }).catch((error: unknown) => {
      if (!this.#stopQueue.signal.aborted) settings.onError(error, 'queue');
    });
  }

  static async create(settings: FederationSettings): Promise<Federated> {
    const paths = [...new Set(settings.actorModels.map((m) => m.options.actor?.path))];
    const [actorPath] = paths;
    if (paths.length !== 1 || actorPath === undefined) {
      throw new VoxError(
        ErrorCode.configuration,
        paths.length === 0
          ? 'the activity backend needs an actor model: vox.model(name, { actor: { path: "/users/{identifier}", identifier, find } })'
          : `actor models must share one path (Fedify serves all actors under one URI template), not ${paths.join(', ')}`,
      );
    }
    if (!/^\/[^{}]*\{identifier\}[^{}]*$/.test(actorPath)) {
      throw new VoxError(ErrorCode.configuration, `actor path ${JSON.stringify(actorPath)} must start with / and contain {identifier} once, like /users/{identifier}`);
    }
    Handles.check(settings.actorModels);
    const { fedify, vocab } = await loadFedify();
    return new Federated(fedify, vocab, settings, actorPath.replace(/\/+$/, '') as `${string}{identifier}${string}`);
  }

  /** A context for work outside of a request: sending, following. */
  context(): Context<void> {
    return this.federation.createContext(new URL(`${this.#settings.iris.origin}/`), undefined);
  }

  /** The object of an actor model with this identifier. */
  async findActor(identifier: string): Promise<LocalActor | undefined> {
    for (const model of this.#settings.actorModels) {
      const spec = model.options.actor as ActorSpec<unknown>;
      const object = await spec.find(identifier);
      if (object !== null && object !== undefined) return { identifier, model, spec, object };
    }
    return undefined;
  }

  /** The local actor an IRI names, if it is one of ours. */
  async localActor(iri: string): Promise<LocalActor | undefined> {
    let url: URL;
    try {
      url = new URL(iri);
    } catch {
      return undefined;
    }
    const parsed = this.context().parseUri(url);
    return parsed?.type === 'actor' ? this.findActor(parsed.identifier) : undefined;
  }

  /**
   * Puts a notification's activity in a local actor's inbox, and makes it the actor's post: a
   * Note by the actor, in a Create, readable by `visibility` at their ids and sent, signed, to the
   * actor's followers. Fedify's queue retries failed deliveries; sending it again makes no new post.
   */
  async deliverTo(identifier: string, activity: ActivityJson, visibility: ActivityVisibility): Promise<void> {
    await this.#store.addItem({
      actor: identifier,
      activityId: String(activity.id),
      type: String(activity.type),
      sender: idOf(activity.actor),
      objectId: idOf(activity.object),
      summary: typeof activity.summary === 'string' ? activity.summary : '',
      activity,
      remote: false,
    });
    const ctx = this.context();
    const key = postKey(String(activity.id));
    const iris = {
      actor: ctx.getActorUri(identifier).href,
      followers: ctx.getFollowersUri(identifier).href,
      note: ctx.getObjectUri(this.#vocab.Note, { identifier, id: key }).href,
      create: ctx.getObjectUri(this.#vocab.Activity, { identifier, id: key }).href,
    };
    const post = postOf(activity, iris, visibility);
    await this.#store.addSent({ actor: identifier, activityId: iris.create, objectId: iris.note, sourceId: String(activity.id), audience: audienceOf(visibility), activity: post });
    if ((await this.#store.countFollowers(identifier)) === 0) return;
    await ctx.sendActivity({ identifier }, 'followers', await this.#parse(ctx, post), { preferSharedInbox: true });
  }

  /** Sends a Follow of `target` (an actor IRI or `@user@host` handle) from a local actor. */
  async follow(identifier: string, target: string): Promise<FollowingRecord> {
    const ctx = this.context();
    await this.#requireActor(identifier);
    const remote = await this.#lookupActor(ctx, identifier, target);
    const actor = ctx.getActorUri(identifier);
    const followId = newActivityIri(ctx, this.#vocab, identifier);
    const record = { actor: identifier, target: remote.id.href, inbox: remote.inboxId.href, followId: followId.href };
    await this.#store.addFollowing(record);
    await sendTo(ctx, this.#store, identifier, remote, new this.#vocab.Follow({ id: followId, actor, object: remote.id }));
    return { ...record, status: 'pending', createdAt: new Date().toISOString() };
  }

  /** Sends an Undo of a local actor's Follow of `target`; false when it did not follow it. */
  async unfollow(identifier: string, target: string): Promise<boolean> {
    const ctx = this.context();
    const targetIri = /^https?:\/\//.test(target) ? target : (await this.#lookupActor(ctx, identifier, target)).id.href;
    const record = await this.#store.removeFollowing(identifier, targetIri);
    if (!record) return false;
    const actor = ctx.getActorUri(identifier);
    const { Follow, Undo } = this.#vocab;
    const recipient = { id: new URL(record.target), inboxId: new URL(record.inbox) };
    const follow = new Follow({ id: new URL(record.followId), actor, object: new URL(record.target) });
    await sendTo(ctx, this.#store, identifier, recipient, new Undo({ id: newActivityIri(ctx, this.#vocab, identifier), actor, object: follow }));
    return true;
  }

  /** Stops the queue listener, letting the message in hand finish (for a few seconds at most). */
  async close(): Promise<void> {
    this.#stopQueue.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#queueStopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async #requireActor(identifier: string): Promise<LocalActor> {
    const local = await this.findActor(identifier);
    if (!local) throw new VoxError(ErrorCode.notFound, `no actor has the identifier ${JSON.stringify(identifier)}`);
    return local;
  }

  async #lookupActor(ctx: Context<void>, identifier: string, target: string): Promise<{ id: URL; inboxId: URL } & Recipient> {
    const documentLoader = await ctx.getDocumentLoader({ identifier });
    const remote = await ctx.lookupObject(target, { documentLoader });
    if (!remote || !this.#vocab.isActor(remote) || !remote.id || !remote.inboxId) {
      throw new VoxError(ErrorCode.notFound, `${target} is not an ActivityPub actor that can be followed`);
    }
    return remote as typeof remote & { id: URL; inboxId: URL };
  }

  #parse(ctx: Context<void>, json: ActivityJson): Promise<VocabActivity> {
    return this.#vocab.Activity.fromJsonLd({ '@context': ACTIVITY_STREAMS, ...json }, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  }
}
