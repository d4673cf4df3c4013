/** Vox's ActivityPub server on Fedify: actors, their keys and collections, outboxes, and sending activities. */
import { randomUUID } from 'node:crypto';
import type * as FedifyModule from '@fedify/fedify';
import type { Context, Federation } from '@fedify/fedify';
import type * as VocabModule from '@fedify/vocab';
import type { Activity as VocabActivity, Recipient } from '@fedify/vocab';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { ActorSpec } from '../vocabulary/model.ts';
import { listenToInboxes } from './inbox.ts';
import type { ActivityJson, FederationSettings, LocalActor } from './federated-types.ts';
import type { ActivityStore, FollowingRecord } from './store.ts';
import { ACTIVITY_STREAMS, idOf } from './vocabulary.ts';


/** RSA keys sign HTTP Signatures (what Mastodon checks); Ed25519 keys sign Object Integrity Proofs. */
const KEY_ALGORITHMS = ['RSASSA-PKCS1-v1_5', 'Ed25519'] as const;
/** How long closing waits for the queue listener to finish the message in hand. */
const CLOSE_WAIT_MS = 5000;
/** Activities per page of an outbox. */
const OUTBOX_PAGE = 20;

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
 * outboxes and followers and following collections, and delivery of notification activities.
 */
export class Federated {
  readonly federation: Federation<void>;
  readonly #vocab: typeof VocabModule;
  readonly #fedify: typeof FedifyModule;
  readonly #settings: FederationSettings;
  readonly #store: ActivityStore;
  readonly #keys = new Map<string, Promise<CryptoKeyPair[]>>();
  readonly #stopQueue = new AbortController();
  readonly #queueStopped: Promise<void>;

  private constructor(fedify: typeof FedifyModule, vocab: typeof VocabModule, settings: FederationSettings, actorPath: string) {
    this.#fedify = fedify;
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
    this.#routes(actorPath as `${string}{identifier}${string}`);
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
    const { fedify, vocab } = await loadFedify();
    return new Federated(fedify, vocab, settings, actorPath.replace(/\/+$/, ''));
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
   * Puts an activity in a local actor's inbox and sends it to the actor's remote followers,
   * signed by the actor; Fedify's queue retries failed deliveries.
   */
  async deliverTo(identifier: string, activity: ActivityJson): Promise<void> {
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
    if ((await this.#store.countFollowers(identifier)) === 0) return;
    const ctx = this.context();
    const actorIri = ctx.getActorUri(identifier).href;
    const followers = ctx.getFollowersUri(identifier).href;
    // Followers trust an activity only from the actor who signs it: the actor's own activities go
    // as they are; anyone else's are shared by the actor in an Announce.
    const copy: ActivityJson =
      idOf(activity.actor) === actorIri
        ? { ...activity, to: [followers] }
        : {
            '@context': ACTIVITY_STREAMS,
            id: `${String(activity.id)}/announces/${encodeURIComponent(identifier)}`,
            type: 'Announce',
            actor: actorIri,
            object: withoutContext(activity),
            to: [followers],
            ...(typeof activity.summary === 'string' ? { summary: activity.summary } : {}),
            published: typeof activity.published === 'string' ? activity.published : new Date().toISOString(),
          };
    await this.#store.addOutbox(identifier, String(copy.id), copy);
    await ctx.sendActivity({ identifier }, 'followers', await this.#parse(ctx, copy), { preferSharedInbox: true });
  }

  /** Sends a Follow of `target` (an actor IRI or `@user@host` handle) from a local actor. */
  async follow(identifier: string, target: string): Promise<FollowingRecord> {
    const ctx = this.context();
    await this.#requireActor(identifier);
    const remote = await this.#lookupActor(ctx, identifier, target);
    const actor = ctx.getActorUri(identifier);
    const followId = new URL(`${actor.href}#follows/${randomUUID()}`);
    const record = { actor: identifier, target: remote.id.href, inbox: remote.inboxId.href, followId: followId.href };
    await this.#store.addFollowing(record);
    await ctx.sendActivity({ identifier }, remote, new this.#vocab.Follow({ id: followId, actor, object: remote.id }));
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
    const recipient: Recipient = { id: new URL(record.target), inboxId: new URL(record.inbox) };
    await ctx.sendActivity(
      { identifier },
      recipient,
      new Undo({ id: new URL(`${actor.href}#undo/${randomUUID()}`), actor, object: new Follow({ id: new URL(record.followId), actor, object: new URL(record.target) }) }),
    );
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
    return this.#vocab.Activity.fromJsonLd(json, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
  }

  /** Actor model objects' key pairs, generated on first use and kept in the database. */
  #keyPairs(identifier: string): Promise<CryptoKeyPair[]> {
    let pairs = this.#keys.get(identifier);
    if (!pairs) {
      pairs = this.#loadKeyPairs(identifier);
      this.#keys.set(identifier, pairs);
      pairs.catch(() => this.#keys.delete(identifier));
    }
    return pairs;
  }

  async #loadKeyPairs(identifier: string): Promise<CryptoKeyPair[]> {
    const { generateCryptoKeyPair, exportJwk, importJwk } = this.#fedify;
    let stored = await this.#store.keys(identifier);
    const missing = KEY_ALGORITHMS.filter((algorithm) => !stored.some((k) => k.algorithm === algorithm));
    if (missing.length > 0) {
      const generated = await Promise.all(
        missing.map(async (algorithm) => {
          const pair = await generateCryptoKeyPair(algorithm);
          return { algorithm, privateKey: JSON.stringify(await exportJwk(pair.privateKey)), publicKey: JSON.stringify(await exportJwk(pair.publicKey)) };
        }),
      );
      // Another process may have stored keys meanwhile: theirs win, and both use them.
      await this.#store.addKeys(identifier, generated);
      stored = await this.#store.keys(identifier);
    }
    const ordered = KEY_ALGORITHMS.flatMap((algorithm) => stored.filter((k) => k.algorithm === algorithm));
    return Promise.all(
      ordered.map(async (k) => ({
        privateKey: await importJwk(JSON.parse(k.privateKey) as JsonWebKey, 'private'),
        publicKey: await importJwk(JSON.parse(k.publicKey) as JsonWebKey, 'public'),
      })),
    );
  }

  #routes(actorPath: `${string}{identifier}${string}`): void {
    const { federation } = this;
    const vocab = this.#vocab;
    const store = this.#store;
    const settings = this.#settings;
    const path = <S extends string>(suffix: S) => `${actorPath}${suffix}` as `${string}{identifier}${string}`;

    federation
      .setActorDispatcher(actorPath, async (ctx, identifier) => {
        const local = await this.findActor(identifier);
        if (!local) return null;
        const keys = await ctx.getActorKeyPairs(identifier);
        const { spec, object, model } = local;
        const Type = { Person: vocab.Person, Application: vocab.Application, Service: vocab.Service, Group: vocab.Group, Organization: vocab.Organization }[spec.type ?? 'Person'];
        return new Type({
          id: ctx.getActorUri(identifier),
          preferredUsername: identifier,
          name: spec.name?.(object) ?? identifier,
          summary: spec.summary?.(object) ?? null,
          url: model.options.url ? new URL(settings.iris.resolve(model.options.url(object))) : null,
          inbox: ctx.getInboxUri(identifier),
          outbox: ctx.getOutboxUri(identifier),
          followers: ctx.getFollowersUri(identifier),
          following: ctx.getFollowingUri(identifier),
          endpoints: new vocab.Endpoints({ sharedInbox: ctx.getInboxUri() }),
          publicKey: keys[0]?.cryptographicKey ?? null,
          assertionMethods: keys.map((k) => k.multikey),
          manuallyApprovesFollowers: false,
        });
      })
      .setKeyPairsDispatcher((_ctx, identifier) => this.#keyPairs(identifier));

    federation
      .setFollowersDispatcher(path('/followers'), async (_ctx, identifier) => {
        if (!(await this.findActor(identifier))) return null;
        const items: Recipient[] = (await store.followers(identifier)).map((f) => ({
          id: new URL(f.follower),
          inboxId: new URL(f.inbox),
          endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
        }));
        return { items };
      })
      .setCounter((_ctx, identifier) => store.countFollowers(identifier));

    federation
      .setFollowingDispatcher(path('/following'), async (_ctx, identifier) => {
        if (!(await this.findActor(identifier))) return null;
        return { items: (await store.following(identifier)).filter((f) => f.status === 'accepted').map((f) => new URL(f.target)) };
      })
      .setCounter((_ctx, identifier) => store.countFollowing(identifier));

    federation
      .setOutboxDispatcher(path('/outbox'), async (ctx, identifier, cursor) => {
        if (cursor === null) return null;
        const offset = /^\d+$/.test(cursor) ? Number(cursor) : 0;
        const rows = await store.outbox(identifier, { offset, limit: OUTBOX_PAGE + 1 });
        const items = await Promise.all(rows.slice(0, OUTBOX_PAGE).map((json) => this.#parse(ctx, json)));
        return { items, nextCursor: rows.length > OUTBOX_PAGE ? String(offset + OUTBOX_PAGE) : null };
      })
      .setFirstCursor(() => '0')
      .setCounter((_ctx, identifier) => store.countOutbox(identifier))
      // The outbox holds what the actor shared with its followers: only they may read it.
      .authorize(async (ctx, identifier) => {
        const owner = await ctx.getSignedKeyOwner();
        return owner?.id ? store.isFollower(identifier, owner.id.href) : false;
      });

    // An inbox that answers 404 or 410 is gone for good: its actors stop following.
    federation.setOutboxPermanentFailureHandler(async (ctx, { reason, activity, actorIds }) => {
      const sender = reason === 'http' ? ctx.parseUri(activity.actorId) : null;
      if (sender?.type !== 'actor') return;
      for (const id of actorIds) await store.removeFollower(sender.identifier, id.href);
    });

    listenToInboxes(federation, vocab, { store, settings, findActor: (identifier) => this.findActor(identifier) }, path('/inbox'));
  }
}

function withoutContext(activity: ActivityJson): ActivityJson {
  const { '@context': _context, ...rest } = activity;
  return rest;
}
