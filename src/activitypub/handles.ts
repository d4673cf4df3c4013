/** Actors' handles (`alice` in `@alice@blog.example.com`): which ones Mastodon accepts, and the one actor each belongs to. */
import type { HostModel } from '../vocabulary/backend.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { ActorSpec } from '../vocabulary/model.ts';
import type { LocalActor } from './federated-types.ts';

/** Mastodon's username pattern, in lowercase: letters, digits and `_`, with `.` or `-` only between them. */
const HANDLE = /^[a-z0-9_]+(?:[.-][a-z0-9_]+)*$/;
/** Longer handles are refused, so that a WebFinger query never reaches the app's lookup with a page of text. */
const MAX_HANDLE_LENGTH = 64;

/**
 * Why `handle` cannot be an actor's handle, or undefined when it can: lowercase letters, digits
 * and `_`, with `.` or `-` only between them, at most 64 characters. Mastodon matches handles
 * without regard to case; lowercase handles keep two actors from differing by case alone. Check
 * usernames with it where your app lets people choose them.
 *
 * @example
 * validateHandle('alice_b')   // undefined
 * validateHandle('Alice B')   // 'handles use lowercase letters, …'
 */
export function validateHandle(handle: string): string | undefined {
  if (typeof handle !== 'string' || handle.length === 0) return 'a handle cannot be empty';
  if (handle.length > MAX_HANDLE_LENGTH) return `a handle has at most ${MAX_HANDLE_LENGTH} characters, not ${handle.length}`;
  if (!HANDLE.test(handle)) return `handles use lowercase letters, digits and _, with . or - only between them, which ${JSON.stringify(handle)} does not`;
  return undefined;
}

/** Finds actors by handle across the actor models, and checks that each actor's handle is valid and its own. */
export class Handles {
  readonly #models: readonly HostModel[];

  constructor(models: readonly HostModel[]) {
    this.#models = models;
  }

  /** Fails at start-up on `handle` without `findByHandle` or the other way round. */
  static check(models: readonly HostModel[]): void {
    for (const model of models) {
      const spec = model.options.actor;
      if (spec && (spec.handle === undefined) !== (spec.findByHandle === undefined)) {
        throw new VoxError(ErrorCode.configuration, `the actor option of ${model.name} needs both handle and findByHandle (WebFinger finds actors by handle), or neither (the identifier is the handle)`);
      }
    }
  }

  /**
   * The actor with this handle, in any case, or undefined. Throws `VOX_DUPLICATE_HANDLE` when
   * actors of several models have it.
   */
  async find(handle: string): Promise<LocalActor | undefined> {
    const wanted = handle.toLowerCase();
    if (validateHandle(wanted) !== undefined) return undefined;
    const found: LocalActor[] = [];
    for (const model of this.#models) {
      const spec = model.options.actor as ActorSpec<unknown>;
      const object = await (spec.findByHandle ?? spec.find)(wanted);
      if (object !== null && object !== undefined) found.push({ identifier: spec.identifier(object), model, spec, object });
    }
    if (found.length > 1) {
      throw new VoxError(ErrorCode.duplicateHandle, `the handle ${JSON.stringify(wanted)} belongs to ${found.map((a) => `${a.model.name} ${JSON.stringify(a.identifier)}`).join(' and ')}: handles must be unique among all actors`);
    }
    return found[0];
  }

  /**
   * The actor's handle, once checked: valid (`VOX_INVALID_HANDLE` otherwise) and leading back to
   * this actor alone (`VOX_DUPLICATE_HANDLE` otherwise), which is what Mastodon verifies.
   */
  async of(actor: LocalActor): Promise<string> {
    const handle = actor.spec.handle ? actor.spec.handle(actor.object) : actor.identifier;
    const problem = validateHandle(handle);
    if (problem !== undefined) {
      throw new VoxError(ErrorCode.invalidHandle, `the handle of ${actor.model.name} ${JSON.stringify(actor.identifier)} is not valid: ${problem}`);
    }
    const owner = await this.find(handle);
    if (owner?.model !== actor.model || owner.identifier !== actor.identifier) {
      throw new VoxError(
        ErrorCode.duplicateHandle,
        `the handle ${JSON.stringify(handle)} of ${actor.model.name} ${JSON.stringify(actor.identifier)} leads to ${owner ? `${owner.model.name} ${JSON.stringify(owner.identifier)}` : 'no actor'}: handles must be unique, and findByHandle must find the actor by its handle`,
      );
    }
    return handle;
  }
}
