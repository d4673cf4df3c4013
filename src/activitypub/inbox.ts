/** What Vox does with activities that arrive in its actors' inboxes: follows, undos, answers, reads, and the rest kept for their owners. */
import type { Federation } from '@fedify/fedify';
import type * as VocabModule from '@fedify/vocab';
import type { FederationSettings, LocalActor } from './federated-types.ts';
import { newActivityIri, sendTo } from './sent.ts';
import type { ActivityStore } from './store.ts';
import { summaryOf } from './vocabulary.ts';

/** What the inbox listeners work with. */
export interface InboxDeps {
  readonly store: ActivityStore;
  readonly settings: FederationSettings;
  findActor(identifier: string): Promise<LocalActor | undefined>;
}

/** Registers the listeners of every actor's inbox (`inboxPath`) and of the shared inbox. */
export function listenToInboxes(federation: Federation<void>, vocab: typeof VocabModule, { store, settings, findActor }: InboxDeps, inboxPath: `${string}{identifier}${string}`): void {
    federation
      .setInboxListeners(inboxPath, settings.sharedInboxPath)
      .on(vocab.Follow, async (ctx, follow) => {
        if (!follow.id || !follow.actorId || !follow.objectId) return;
        const target = ctx.parseUri(follow.objectId);
        if (target?.type !== 'actor' || !(await findActor(target.identifier))) return;
        const follower = await follow.getActor(ctx);
        if (!follower?.id || !follower.inboxId || follower.id.href !== follow.actorId.href) return;
        const accepted = (await settings.acceptFollow?.({ actor: target.identifier, follower: follower.id.href })) ?? true;
        if (accepted) {
          await store.addFollower({
            actor: target.identifier,
            follower: follower.id.href,
            inbox: follower.inboxId.href,
            sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
            followId: follow.id.href,
          });
        }
        const Answer = accepted ? vocab.Accept : vocab.Reject;
        const answer = new Answer({ id: newActivityIri(ctx, vocab, target.identifier), actor: ctx.getActorUri(target.identifier), object: follow });
        await sendTo(ctx, store, target.identifier, { id: follower.id, inboxId: follower.inboxId, endpoints: follower.endpoints }, answer);
      })
      .on(vocab.Undo, async (ctx, undo) => {
        if (!undo.actorId || !undo.objectId) return;
        const sender = undo.actorId.href;
        const object = await undo.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader, suppressError: true }).catch(() => null);
        if (object instanceof vocab.Follow && object.actorId?.href === sender) {
          const target = ctx.parseUri(object.objectId);
          if (target?.type === 'actor' && (await store.removeFollower(target.identifier, sender))) return;
        }
        // Only the id: the Follow recorded under it, or another activity its sender takes back.
        if (await store.removeFollowById(undo.objectId.href, sender)) return;
        await store.removeActivity(undo.objectId.href, sender);
      })
      .on(vocab.Accept, async (_ctx, accept) => {
        if (accept.actorId && accept.objectId) await store.answerFollowing(accept.objectId.href, accept.actorId.href, true);
      })
      .on(vocab.Reject, async (_ctx, reject) => {
        if (reject.actorId && reject.objectId) await store.answerFollowing(reject.objectId.href, reject.actorId.href, false);
      })
      .on(vocab.Read, async (ctx, read) => {
        if (!read.actorId || !read.objectId) return;
        // A follower receives an actor's notifications as the actor's posts; reading one there marks the notification read here.
        const owners = (await store.followedBy(read.actorId.href)).filter((owner) => ctx.recipient === null || owner === ctx.recipient);
        const sent = await store.sentAt(read.objectId.href);
        for (const owner of owners) {
          const activityId = sent.find((s) => s.actor === owner)?.sourceId ?? read.objectId.href;
          await store.markActivityRead([owner], activityId);
        }
      })
      .on(vocab.Activity, async (ctx, activity) => {
        if (!activity.id || !activity.actorId) return;
        const sender = activity.actorId.href;
        const addressed = new Set<string>();
        for (const iri of [...activity.toIds, ...activity.ccIds, ...activity.btoIds, ...activity.bccIds]) {
          const parsed = ctx.parseUri(iri);
          if (parsed?.type === 'actor') addressed.add(parsed.identifier);
        }
        // Kept for the local actors who follow the sender or whom it names, never for anyone else.
        const following = new Set(await store.followersOfRemote(sender));
        const candidates = ctx.recipient === null ? new Set([...following, ...addressed]) : new Set([ctx.recipient]);
        const owners: string[] = [];
        for (const owner of candidates) if ((following.has(owner) || addressed.has(owner)) && (await findActor(owner))) owners.push(owner);
        if (owners.length === 0) return;
        const json = (await activity.toJsonLd({ format: 'compact', contextLoader: ctx.contextLoader })) as Record<string, unknown>;
        for (const owner of owners) {
          await store.addItem({
            actor: owner,
            activityId: activity.id.href,
            type: typeof json.type === 'string' ? json.type : 'Activity',
            sender,
            objectId: activity.objectId?.href ?? null,
            summary: summaryOf(json),
            activity: json,
            remote: true,
          });
        }
      })
      .onError((_ctx, error) => settings.onError(error, 'inbox'));
}
