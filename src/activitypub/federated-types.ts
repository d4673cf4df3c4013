/** The nouns of Vox's ActivityPub server: activities as JSON-LD, local actors, and what the federation is built from. */
import type { KvStore, MessageQueue } from '@fedify/fedify';
import type { HostModel } from '../vocabulary/backend.ts';
import type { ActorSpec, Awaitable } from '../vocabulary/model.ts';
import type { ActivityStore } from './store.ts';
import type { Iris } from './vocabulary.ts';

/** An ActivityStreams activity as JSON-LD. */
export type ActivityJson = Readonly<Record<string, unknown>>;

/** A local actor: an object of an actor model. */
export interface LocalActor {
  readonly identifier: string;
  readonly model: HostModel;
  readonly spec: ActorSpec<unknown>;
  readonly object: unknown;
}

/** What the federation is built from. */
export interface FederationSettings {
  readonly iris: Iris;
  readonly actorModels: readonly HostModel[];
  readonly store: ActivityStore;
  readonly kv: KvStore;
  readonly queue: MessageQueue;
  readonly sharedInboxPath: string;
  readonly allowPrivateAddress: boolean;
  readonly acceptFollow?: (follow: { readonly actor: string; readonly follower: string }) => Awaitable<boolean>;
  readonly onError: (error: unknown, where: string) => void;
}
