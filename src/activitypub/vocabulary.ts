/** ActivityStreams terms: activity types, IRIs of Vox's actors and objects, and how activities are built from notifications. */
import type { ActivityObject, ActivityType, NotificationSpec, NotificationsSpec } from '../vocabulary/model.ts';
import type { HostModel } from '../vocabulary/backend.ts';

/** The ActivityStreams 2.0 JSON-LD context. */
export const ACTIVITY_STREAMS = 'https://www.w3.org/ns/activitystreams';
/** The audience of what anyone may read. */
export const PUBLIC_AUDIENCE = 'https://www.w3.org/ns/activitystreams#Public';

/** Every ActivityStreams 2.0 activity type. */
export const ACTIVITY_TYPES = [
  'Accept', 'Add', 'Announce', 'Arrive', 'Block', 'Create', 'Delete', 'Dislike', 'Flag', 'Follow',
  'Ignore', 'Invite', 'Join', 'Leave', 'Like', 'Listen', 'Move', 'Offer', 'Question', 'Read',
  'Reject', 'Remove', 'TentativeAccept', 'TentativeReject', 'Travel', 'Undo', 'Update', 'View',
] as const satisfies readonly ActivityType[];

/** Codenames that name an activity by its past tense and do not follow the `-d`/`-ed` rule. */
const IRREGULAR: Readonly<Record<string, ActivityType>> = { left: 'Leave', undone: 'Undo', flagged: 'Flag', travelled: 'Travel' };

const BY_CODENAME: ReadonlyMap<string, ActivityType> = new Map(
  ACTIVITY_TYPES.flatMap((type) => {
    const base = type.toLowerCase();
    const past = base.endsWith('e') ? `${base}d` : `${base}ed`;
    const snake = type.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase();
    return [[base, type], [past, type], [snake, type], [`${snake}${snake.endsWith('e') ? 'd' : 'ed'}`, type]] as [string, ActivityType][];
  }).concat(Object.entries(IRREGULAR)),
);

/**
 * The activity type of a notification: the declared `activityType`, else the type its codename
 * names (`create`/`created` → `Create`, `like`/`liked` → `Like`, `tentative_accept` →
 * `TentativeAccept`, …), else `Create`.
 */
export function activityTypeOf(codename: string, declared?: ActivityType): ActivityType {
  if (declared !== undefined) return declared;
  return BY_CODENAME.get(codename.toLowerCase()) ?? 'Create';
}

/** The long form of a notification's declaration in code, if it has one (its `activityType`, `activityVisibility`). */
export function notificationSpecOf(model: HostModel | undefined, codename: string): NotificationSpec | undefined {
  const spec = (model?.options.notifications as NotificationsSpec | undefined)?.[codename];
  return typeof spec === 'object' ? spec : undefined;
}

/**
 * RFC 6570 simple expansion of `{identifier}`: everything but unreserved characters is
 * percent-encoded, as Fedify's router does.
 */
export function expandActorPath(template: string, identifier: string): string {
  const encoded = encodeURIComponent(identifier).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return template.replace('{identifier}', encoded);
}

/** Builds IRIs of a site from its base URL. */
export class Iris {
  readonly origin: string;

  constructor(baseUrl: string) {
    this.origin = new URL(baseUrl).origin;
  }

  /** An absolute IRI from a path or an IRI. */
  resolve(pathOrIri: string): string {
    return new URL(pathOrIri, `${this.origin}/`).href;
  }

  actor(model: HostModel, object: unknown): string | undefined {
    const spec = model.options.actor;
    return spec ? this.resolve(expandActorPath(spec.path, spec.identifier(object))) : undefined;
  }
}

/**
 * What an activity says of an object: an actor's IRI, the model's `toActivity`, or the default
 * `Object` with an id (from the model's `url`, else a `urn:vox:` URN) and a name (the object's
 * `name` or `title`, else the model's label and the object's id).
 */
export function activityObjectOf(model: HostModel, object: unknown, iris: Iris, notification: { id: string; model: string; codename: string; description: string }): string | ActivityObject {
  const actorIri = iris.actor(model, object);
  if (actorIri) return actorIri;
  if (model.options.toActivity) {
    const custom = model.options.toActivity(object, notification);
    const url = model.options.url;
    return typeof custom.id === 'string' || !url ? custom : { ...custom, id: iris.resolve(url(object)) };
  }
  return defaultActivityObject(model, object, iris);
}

/** The default activity object: `{ type: 'Object', id, name }`. */
export function defaultActivityObject(model: HostModel, object: unknown, iris: Iris): ActivityObject {
  const id = model.idOf(object);
  const fields = (typeof object === 'object' && object !== null ? object : {}) as Record<string, unknown>;
  const name = typeof fields.name === 'string' ? fields.name : typeof fields.title === 'string' ? fields.title : `${model.label} ${id}`;
  const iri = model.options.url ? iris.resolve(model.options.url(object)) : `urn:vox:${model.name}:${encodeURIComponent(id)}`;
  return { type: 'Object', id: iri, name };
}

/** The id of an activity's actor, object or target: the IRI itself or the embedded object's id. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
}

/** A displayable summary of an activity: its summary, else its object's, else a name. */
export function summaryOf(activity: Readonly<Record<string, unknown>>): string {
  const text = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    // A language map, for example { en: '…' }.
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.values(value).find((v): v is string => typeof v === 'string');
    return undefined;
  };
  const object = typeof activity.object === 'object' && activity.object !== null ? (activity.object as Record<string, unknown>) : {};
  return (
    text(activity.summary) ??
    text(activity.summaryMap) ??
    text(object.summary) ??
    text(object.summaryMap) ??
    text(activity.name) ??
    text(object.name) ??
    text(object.content) ??
    ''
  );
}
