/**
 * The event bus on PostgreSQL: `NOTIFY` through Vox's own connection, `LISTEN` on a connection of
 * its own, so that every process on the database hears what any of them publishes.
 */
import { sql, type Kysely } from 'kysely';
import type { EventBus } from '../vocabulary/inbox.ts';
import type { VoxDatabase } from './schema.ts';

/** The slice of a `pg` client that listening uses. */
export interface PgListenClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  /** A pool's client goes back with `release`, a client of its own ends with `end`. */
  release?(destroy?: boolean): void;
  end?(): Promise<void>;
}

/** Waits this long before listening again after the listening connection broke. */
const RECONNECT_MS = 1000;

/** An {@link EventBus} on PostgreSQL's `LISTEN/NOTIFY`; `open` gives a dedicated connection for listening. */
export function pgEventBus(db: Kysely<VoxDatabase>, channel: string, open: () => Promise<PgListenClient>): EventBus {
  const listeners = new Set<(payload: string | null) => void>();
  let client: PgListenClient | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const quoted = `"${channel.replace(/"/g, '""')}"`;

  const drop = (broken: PgListenClient) => {
    broken.removeAllListeners();
    broken.on('error', () => {});
    if (broken.release) broken.release(true);
    else void broken.end?.().catch(() => {});
  };
  const listen = async (): Promise<void> => {
    const opened = await open();
    opened.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) for (const listener of [...listeners]) listener(message.payload);
    });
    const broken = () => {
      if (client !== opened) return;
      client = undefined;
      drop(opened);
      if (!closed && listeners.size > 0) retry = setTimeout(reconnect, RECONNECT_MS);
    };
    opened.on('error', broken);
    opened.on('end', broken);
    await opened.query(`LISTEN ${quoted}`);
    client = opened;
  };
  const reconnect = () => {
    retry = undefined;
    connecting = listen().then(
      // Whatever was published while no connection listened is lost: subscribers read again.
      () => {
        for (const listener of [...listeners]) listener(null);
      },
      () => {
        if (!closed) retry = setTimeout(reconnect, RECONNECT_MS);
      },
    );
  };

  return {
    async publish(payloads) {
      if (payloads.length === 0) return;
      await sql`select pg_notify(${channel}, p) from unnest(${sql.val(payloads)}::text[]) as p`.execute(db);
    },
    async subscribe(listener) {
      listeners.add(listener);
      if (!client) {
        connecting ??= listen().finally(() => {
          connecting = undefined;
        });
        await connecting;
      }
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      listeners.clear();
      await connecting?.catch(() => {});
      if (client) {
        const open = client;
        client = undefined;
        await open.query(`UNLISTEN ${quoted}`).catch(() => {});
        drop(open);
      }
    },
  };
}
