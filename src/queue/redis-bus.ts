/** The event bus on Redis pub/sub, for processes that share a BullMQ queue (and so a Redis). */
import { createRequire } from 'node:module';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { EventBus } from '../vocabulary/inbox.ts';

/** Redis connection settings (host, port, url, password, …), or an ioredis client. */
export type RedisConnection = { readonly host?: string; readonly port?: number; readonly url?: string; readonly [option: string]: unknown } | { duplicate(): unknown };

/** Opens a Redis connection like the queue's: a duplicate of its client, or one from its settings. */
function openRedis(connection: RedisConnection): RedisClient {
  if ('duplicate' in connection && typeof connection.duplicate === 'function') return connection.duplicate() as RedisClient;
  let module: { Redis: new (...args: unknown[]) => RedisClient };
  try {
    // ioredis comes with BullMQ, an optional peer dependency.
    module = createRequire(import.meta.url)('ioredis') as typeof module;
  } catch (cause) {
    throw new VoxError(ErrorCode.configuration, 'the inbox on BullMQ needs `ioredis`: npm install ioredis', { cause });
  }
  const { url, ...settings } = connection as { url?: string } & RedisOptions;
  return url === undefined ? new module.Redis(settings) : new module.Redis(url, settings);
}

/** An {@link EventBus} on Redis pub/sub; connections open on first use. */
export function redisEventBus(connection: RedisConnection, channel: string): EventBus {
  let publisher: RedisClient | undefined;
  let subscriber: Promise<RedisClient> | undefined;
  const listeners = new Set<(payload: string | null) => void>();
  return {
    async publish(payloads) {
      if (payloads.length === 0) return;
      if (!publisher) {
        publisher = openRedis(connection);
        publisher.on('error', () => {});
      }
      const pipeline = publisher.pipeline();
      for (const payload of payloads) pipeline.publish(channel, payload);
      await pipeline.exec();
    },
    async subscribe(listener) {
      listeners.add(listener);
      subscriber ??= (async () => {
        const client = openRedis(connection);
        // ioredis reconnects and subscribes again by itself; what was published meanwhile is lost.
        client.on('error', () => {});
        let ready = false;
        client.on('ready', () => {
          if (ready) for (const l of [...listeners]) l(null);
          ready = true;
        });
        client.on('message', (from: string, payload: string) => {
          if (from === channel) for (const l of [...listeners]) l(payload);
        });
        await client.subscribe(channel);
        ready = true;
        return client;
      })();
      await subscriber;
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      const open = await subscriber?.catch(() => undefined);
      subscriber = undefined;
      await Promise.all([open?.quit().catch(() => {}), publisher?.quit().catch(() => {})]);
      publisher = undefined;
    },
  };
}
