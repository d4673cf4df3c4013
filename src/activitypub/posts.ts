/**
 * How a notification reaches a local actor's followers: as the actor's own post, a `Note`
 * attributed to the actor in a `Create`, which Mastodon shows in its timelines.
 */
import { createHash } from 'node:crypto';
import type { ActivityVisibility } from '../vocabulary/model.ts';
import type { ActivityJson } from './federated-types.ts';
import { idOf, PUBLIC_AUDIENCE } from './vocabulary.ts';

/** Every visibility a notification may declare. */
export const VISIBILITIES: readonly ActivityVisibility[] = ['public', 'unlisted', 'followers'];

/** The IRIs of one post: its author's, the author's followers collection, its Note's and its Create's. */
export interface PostIris {
  readonly actor: string;
  readonly followers: string;
  readonly note: string;
  readonly create: string;
}

/**
 * The key of a notification's post among its actor's posts: the UUID of the activity's
 * `/activities/<uuid>` id, so that sending the notification again makes the same post.
 */
export function postKey(activityId: string): string {
  const uuid = /\/activities\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(activityId)?.[1];
  return uuid ?? createHash('sha256').update(activityId).digest('base64url');
}

/** `to` and `cc` of a post, which is how Mastodon reads its visibility. */
function addressing(visibility: ActivityVisibility, followers: string): { to: string[]; cc?: string[] } {
  if (visibility === 'public') return { to: [PUBLIC_AUDIENCE], cc: [followers] };
  if (visibility === 'unlisted') return { to: [followers], cc: [PUBLIC_AUDIENCE] };
  return { to: [followers] };
}

/**
 * The post of a notification's activity: a `Create` by the actor of a `Note` attributed to the
 * actor, whose content is the rendered template and whose `url` is the page of what it is about.
 * Both have ids of their own (the activity's id names the notification, not the post).
 */
export function postOf(activity: ActivityJson, iris: PostIris, visibility: ActivityVisibility): ActivityJson {
  const audience = addressing(visibility, iris.followers);
  const published = typeof activity.published === 'string' ? activity.published : new Date().toISOString();
  const about = idOf(activity.object);
  const note = {
    id: iris.note,
    type: 'Note',
    attributedTo: iris.actor,
    content: typeof activity.summary === 'string' ? activity.summary : '',
    ...(about !== null && /^https?:\/\//.test(about) ? { url: about } : {}),
    published,
    ...audience,
  };
  return { id: iris.create, type: 'Create', actor: iris.actor, object: note, published, ...audience };
}

/** The audience a post is stored with: `public` for what anyone may read, else `followers`. */
export function audienceOf(visibility: ActivityVisibility): 'public' | 'followers' {
  return visibility === 'followers' ? 'followers' : 'public';
}
