// The in-app inbox's streams at scale: one process serves N open Server-Sent Events streams (one
// recipient each, the clients in another process); one notification goes to all N recipients.
// Measures the time from notify() until the last stream has its item event, and the server's
// memory per open stream.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Index from '../../src/index.ts';
import type * as InApp from '../../src/backends/in-app.ts';
import { onPostgres, postgresUrl } from './shared.ts';

const built = new URL('../../.bench-dist/', import.meta.url);
const { createVox, contact, toNodeHandler } = (await import(new URL('index.js', built).href)) as typeof Index;
const { inApp } = (await import(new URL('backends/in-app.js', built).href)) as typeof InApp;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settledMemory = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
};

interface Member {
  readonly id: number;
}

export async function inboxStreams(dialect: string, count: number): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'vox-bench-inbox-'));
  const schema = `vox_bench_${randomBytes(4).toString('hex')}`;
  if (dialect === 'postgres') await onPostgres(`create schema ${schema}`);
  const vox = createVox({
    database: dialect === 'postgres' ? { dialect: 'postgres', url: postgresUrl, schema } : { dialect: 'sqlite', path: join(dir, 'bench.db') },
    backends: [inApp()],
  });
  const members: Member[] = Array.from({ length: count }, (_, i) => ({ id: i + 1 }));
  const Member = vox.model('bench.member', { id: (m: Member) => m.id, contacts: { 'in-app': (m) => contact(`Member ${m.id}`, 'in-app', `member:${m.id}`) } });
  const Post = vox.model('bench.post', {
    id: (p: { id: number }) => p.id,
    notifications: { published: 'A post was published' },
    channels: { members: { label: 'Members', recipients: Member, resolve: () => members } },
  });
  await vox.migrate();
  await vox.sync();
  await vox.templates.save({ notification: 'bench.post.published', backend: 'in-app', recipients: ['c:members'], content: 'title: New post {{ object.id }}\nbody: Read **it**.\nlink: /posts/{{ object.id }}' });
  const handler = vox.inboxHandler({ model: Member, tokens: { secrets: [randomBytes(32).toString('hex')] } });
  const server = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/stream`;
  const tokens = await Promise.all(members.map((m) => handler.token(m, { ttlSeconds: 3600 })));
  // Warm up: the first notification loads the render thread and the hub's queries.
  await (await Post.notify({ id: 0 }, 'published')).settled();

  const before = await settledMemory();
  const clients = fork(new URL('./inbox-clients.ts', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (kind: string) =>
    new Promise<{ kind: string; last?: number; message?: string }>((resolve, reject) => {
      const listener = (message: { kind: string; last?: number; message?: string }) => {
        if (message.kind === 'error') reject(new Error(`a client failed: ${message.message}`));
        if (message.kind === kind) {
          clients.off('message', listener);
          resolve(message);
        }
      };
      clients.on('message', listener);
    });
  const ready = next('ready');
  clients.send({ url, tokens });
  const openedAt = performance.now();
  await ready;
  const openSeconds = (performance.now() - openedAt) / 1000;
  if (handler.openStreams !== count) throw new Error(`${handler.openStreams} streams open, not ${count}`);
  const after = await settledMemory();

  const done = next('done');
  const startedAt = Date.now();
  await Post.notify({ id: 1 }, 'published');
  const { last } = await done;
  const seconds = (last! - startedAt) / 1000;

  clients.kill();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await vox.close();
  if (dialect === 'postgres') await onPostgres(`drop schema ${schema} cascade`);
  await rm(dir, { recursive: true, force: true });
  return {
    streams: count,
    seconds,
    openSeconds,
    heapKbPerStream: (after.heapUsed - before.heapUsed) / 1024 / count,
    rssKbPerStream: (after.rss - before.rss) / 1024 / count,
  };
}
