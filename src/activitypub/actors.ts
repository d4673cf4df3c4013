/** Local actors as the fediverse finds them: actor documents, WebFinger by handle, key pairs, followers and following collections. */
import type { Federation } from '@fedify/fedify';
import type * as VocabModule from '@fedify/vocab';
import type { Recipient } from '@fedify/vocab';
import type { FederationSettings, LocalActor } from './federated-types.ts';
import type { Handles } from './handles.ts';
import type { ActorKeys } from './keys.ts';
import type { ActivityStore } from './store.ts';

/** What the actor endpoints work with. */
export interface ActorDeps {
  readonly store: ActivityStore;
  readonly settings: FederationSettings;
  readonly handles: Handles;
  readonly keys: ActorKeys;
  findActor(identifier: string): Promise<LocalActor | undefined>;
}

/**
 * Registers the actor dispatcher (at `actorPath`), with handles for WebFinger and key pairs, and
 * the followers and following collections.
 */
export function serveActors(federation: Federation<void>, vocab: typeof VocabModule, deps: ActorDeps, actorPath: `${string}{identifier}${string}`): void {
  const { store, settings, handles, keys, findActor } = deps;
  const path = (suffix: string) => `${actorPath}${suffix}` as `${string}{identifier}${string}`;
  const absolute = (pathOrIri: string) => new URL(settings.iris.resolve(pathOrIri));

  federation
    .setActorDispatcher(actorPath, async (ctx, identifier) => {
      const local = await findActor(identifier);
      if (!local) return null;
      // What Mastodon requires of an actor: a handle that WebFinger resolves back to this actor.
      const handle = await handles.of(local);
      const pairs = await ctx.getActorKeyPairs(identifier);
      const { spec, object, model } = local;
      const icon = spec.icon?.(object);
      const Type = { Person: vocab.Person, Application: vocab.Application, Service: vocab.Service, Group: vocab.Group, Organization: vocab.Organization }[spec.type ?? 'Person'];
      return new Type({
        id: ctx.getActorUri(identifier),
        preferredUsername: handle,
        name: spec.name?.(object) ?? handle,
        summary: spec.summary?.(object) ?? null,
        url: model.options.url ? absolute(model.options.url(object)) : null,
        icon: icon ? new vocab.Image({ url: absolute(icon) }) : null,
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        endpoints: new vocab.Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0]?.cryptographicKey ?? null,
        assertionMethods: pairs.map((k) => k.multikey),
        manuallyApprovesFollowers: false,
      });
    })
    // WebFinger's `acct:alice@host` names the handle; the IRI carries the identifier.
    .mapHandle(async (_ctx, username) => (await handles.find(username))?.identifier ?? null)
    .setKeyPairsDispatcher((_ctx, identifier) => keys.of(identifier));

  federation
    .setFollowersDispatcher(path('/followers'), async (_ctx, identifier) => {
      if (!(await findActor(identifier))) return null;
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
      if (!(await findActor(identifier))) return null;
      return { items: (await store.following(identifier)).filter((f) => f.status === 'accepted').map((f) => new URL(f.target)) };
    })
    .setCounter((_ctx, identifier) => store.countFollowing(identifier));
}
