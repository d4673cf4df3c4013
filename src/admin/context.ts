/** The parts of a Vox instance that the admin works with. */
import type { Backend } from '../vocabulary/backend.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { SiteContacts } from '../manage/site-contacts.ts';
import type { StoredNotifications } from '../manage/notifications.ts';
import type { Suppressions } from '../manage/suppressions.ts';
import type { Templates } from '../manage/templates.ts';
import type { Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import type { Store } from '../store/store.ts';

/** What the admin reaches inside a Vox instance. */
export interface AdminDeps {
  readonly registry: Registry;
  readonly store: Store;
  readonly renderer: Renderer;
  readonly delivery: Delivery;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly templates: Templates;
  readonly siteContacts: SiteContacts;
  readonly notifications: StoredNotifications;
  readonly suppressions: Suppressions;
  /** The `site` template variable. */
  readonly site: Readonly<Record<string, unknown>>;
  readonly attachmentBytes: number;
  /** Starts this process's worker, if it has one: what the admin issues or queues is then sent here. */
  startWorker(): void;
}
