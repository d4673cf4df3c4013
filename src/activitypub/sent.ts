/**
 * What local actors sent answers at its ids, to its audience: posts (their Note and Create),
 * follows and answers to follows, and the outbox collection. Public posts are anyone's to read;
 * the rest only their audience's, known by the HTTP signature of the request.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Federation, RequestContext } from '@fedify/fedify';
import type * as VocabModule from '@fedify/vocab';
import type { Activity as VocabActivity, Recipient } from '@fedify/vocab';
import type { ActivityJson } from './federated-types.ts';
import type { ActivityStore, OutboxViewer, SentActivity } from './store.ts';
import { ACTIVITY_STREAMS, type Iris } from './vocabulary.ts';

/** Activities per page of an outbox. */
const OUTBOX_PAGE = 20;

/** What the sent-activity endpoints work with. */
export interface SentDeps {
  readonly store: ActivityStore;
  readonly iris: Iris;
}

/** A new id for an activity of a local actor: `<actor>/activities/<uuid>`, which answers once it is sent. */
export function newActivityIri(ctx: Context<void>, vocab: typeof VocabModule, identifier: string): URL {
  return ctx.getObjectUri(vocab.Activity, { identifier, id: randomUUID() });
}

/** Sends a local actor's activity to one remote actor, recorded first so that its id answers that actor. */
export async function sendTo(ctx: Context<void>, store: ActivityStore, identifier: string, recipient: Recipient & { readonly id: URL }, activity: VocabActivity): Promise<void> {
  if (!activity.id) throw new TypeError('an activity Vox sends has an id');
  const json = (await activity.toJsonLd({ format: 'compact', contextLoader: ctx.contextLoader })) as ActivityJson;
  await store.addSent({ actor: identifier, activityId: activity.id.href, objectId: null, sourceId: null, audience: recipient.id.href, activity: withoutContext(json) });
  await ctx.sendActivity({ identifier }, recipient, activity);
}

/** The JSON-LD without its `@context`, as sent activities are stored. */
export function withoutContext(json: ActivityJson): ActivityJson {
  const { '@context': _context, ...rest } = json;
  return rest;
}

/** Who signed the request, and whether that actor follows `actor`. */
async function viewerOf(ctx: RequestContext<void>, store: ActivityStore, actor: string): Promise<OutboxViewer> {
  const owner = await ctx.getSignedKeyOwner();
  const id = owner?.id?.href ?? null;
  return { id, follower: id !== null && (await store.isFollower(actor, id)) };
}

function readable(sent: SentActivity, viewer: OutboxViewer): boolean {
  return sent.audience === 'public' || sent.audience === viewer.id || (sent.audience === 'followers' && viewer.follower);
}

/**
 * Registers the outbox collection and the ids of what local actors sent: their posts' Notes
 * (`<actor>/notes/<id>`) and activities (`<actor>/activities/<id>`), and the ids earlier versions
 * of Vox sent (`/activities/<id>`, and `/activities/<id>/announces/<actor>`).
 */
export function serveSent(federation: Federation<void>, vocab: typeof VocabModule, { store, iris }: SentDeps, actorPath: `${string}{identifier}${string}`): void {
  federation
    .setOutboxDispatcher(`${actorPath}/outbox` as `${string}{identifier}${string}`, async (ctx, identifier, cursor) => {
      if (cursor === null) return null;
      const offset = /^\d+$/.test(cursor) ? Number(cursor) : 0;
      const rows = await store.outbox(identifier, await viewerOf(ctx, store, identifier), { offset, limit: OUTBOX_PAGE + 1 });
      const items = await Promise.all(rows.slice(0, OUTBOX_PAGE).map((json) => parse(vocab.Activity, ctx, json)));
      return { items, nextCursor: rows.length > OUTBOX_PAGE ? String(offset + OUTBOX_PAGE) : null };
    })
    .setFirstCursor(() => '0')
    // Anyone may ask; each counts the posts they may read: the public ones, and the rest if they follow.
    .setCounter(async (ctx, identifier) => store.countOutbox(identifier, await viewerOf(ctx, store, identifier)));

  /** The id asked for: the request's path on the site's origin. */
  const requested = (ctx: RequestContext<void>) => iris.resolve(ctx.url.pathname);
  /** What answers at an id: a sent activity, or the object embedded in one. */
  const answer = <T>(cls: JsonLdClass<T>) => async (ctx: RequestContext<void>): Promise<T | null> => {
    const iri = requested(ctx);
    const [sent] = await store.sentAt(iri);
    if (!sent) return null;
    const json = sent.activityId === iri ? sent.activity : sent.activity.object;
    return typeof json === 'object' && json !== null ? parse(cls, ctx, json as ActivityJson) : null;
  };
  const authorize = async (ctx: RequestContext<void>): Promise<boolean> => {
    for (const sent of await store.sentAt(requested(ctx))) if (readable(sent, await viewerOf(ctx, store, sent.actor))) return true;
    return false;
  };
  type Path = `${string}{identifier}${string}{id}${string}`;
  federation.setObjectDispatcher(vocab.Note, `${actorPath}/notes/{id}` as Path, answer(vocab.Note)).authorize(authorize);
  federation.setObjectDispatcher(vocab.Activity, `${actorPath}/activities/{id}` as Path, answer(vocab.Activity)).authorize(authorize);
  federation.setObjectDispatcher(vocab.Object, '/activities/{id}', answer(vocab.Object)).authorize(authorize);
  federation.setObjectDispatcher(vocab.Announce, '/activities/{id}/announces/{identifier}', answer(vocab.Announce)).authorize(authorize);
}

/** A vocabulary class, for parsing stored JSON-LD. */
interface JsonLdClass<T> {
  fromJsonLd(json: unknown, options: { documentLoader: Context<void>['documentLoader']; contextLoader: Context<void>['contextLoader'] }): Promise<T>;
}

function parse<T>(cls: JsonLdClass<T>, ctx: Context<void>, json: ActivityJson): Promise<T> {
  return cls.fromJsonLd({ '@context': ACTIVITY_STREAMS, ...json }, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
}
