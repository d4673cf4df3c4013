/** Which event bus the inbox's streams use: PostgreSQL's LISTEN/NOTIFY, else the queue's (Redis), else this process. */
import type { EventBus } from '../vocabulary/inbox.ts';
import type { Logger } from '../vocabulary/logger.ts';
import type { Connection } from '../store/connect.ts';
import { pgEventBus } from '../store/pg-bus.ts';
import { InProcessEventBus } from '../queue/in-process-bus.ts';
import type { Queue } from '../queue/queue.ts';

/** The channel's name: one per PostgreSQL schema, so two Vox installations on one database stay apart. */
export const INBOX_CHANNEL = 'vox_inbox';

export function openEventBus(connection: Connection, queue: Queue, logger?: Logger): EventBus {
  if (connection.dialect === 'postgres') {
    if (connection.listenClient) return pgEventBus(connection.db, connection.schema ? `${INBOX_CHANNEL}_${connection.schema}` : INBOX_CHANNEL, connection.listenClient);
    logger?.warn(
      { component: 'inbox' },
      'the in-app inbox cannot LISTEN on a Kysely instance passed to createVox: its event streams hear only this process (give database: { dialect: "postgres", pool } instead)',
    );
  }
  return queue.eventBus?.(INBOX_CHANNEL) ?? new InProcessEventBus();
}
