// Two Vox apps that federate on 127.0.0.1, for the ActivityPub tests: each with its own server and database.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { exportJwk, generateCryptoKeyPair } from '@fedify/fedify';
import { createAdaptorServer } from '@hono/node-server';
import { activity, type ActivityOptions, type ActivityPub } from '../../src/activitypub/index.ts';
import { createVox, type DatabaseOptions, type Vox } from '../../src/index.ts';
import { connect } from '../../src/store/connect.ts';

export interface User {
  username: string;
  name: string;
}
export interface Post {
  id: number;
  title: string;
  body: string;
  author: User;
}

/** A Vox app on its own 127.0.0.1 port and SQLite database: users are actors, posts notify their author. */
/** How a test varies an app. */
export interface StartOptions {
  readonly acceptFollow?: ActivityOptions['acceptFollow'];
  readonly maxBodyBytes?: ActivityOptions['maxBodyBytes'];
  /**
   * Let the app generate its actors' key pairs, as on a first start. By default each user's keys are
   * made once per test process and stored in every app's database: generating RSA keys is most of
   * an ActivityPub test's time on a loaded machine.
   */
  readonly generateKeys?: boolean;
  /** Answers a request instead of the app when it returns a response, as a server that changed would. */
  readonly intercept?: (request: Request) => Response | undefined | Promise<Response | undefined>;
}

export interface App {
  readonly url: string;
  readonly vox: Vox;
  readonly ap: ActivityPub;
  readonly users: User[];
  readonly errors: unknown[];
  notifyPost(post: Post, codename: 'created' | 'liked', actor: User): Promise<void>;
  actorIri(username: string): string;
  close(): Promise<void>;
}

export async function startApp(database: DatabaseOptions, users: User[], options: StartOptions = {}): Promise<App> {
  // The site's URL is known once the server listens; until Vox is ready it answers 503.
  const routes: { handler?: (request: Request) => Promise<Response> } = {};
  const serve = async (request: Request) => (await options.intercept?.(request)) ?? (routes.handler ? routes.handler(request) : new Response('starting', { status: 503 }));
  const server = createAdaptorServer({ fetch: serve, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const errors: unknown[] = [];
  const ap = activity({
    // Both apps live on 127.0.0.1, which Fedify refuses to fetch unless told.
    allowPrivateAddress: true,
    authorize: (request) => request.headers.get('x-user'),
    onError: (error) => errors.push(error),
    ...(options.acceptFollow ? { acceptFollow: options.acceptFollow } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  const connection = connect(database);
  const vox = createVox({ database: connection.db, backends: [ap.backend], site: { baseUrl: url, name: 'Federated' } });
  const User = vox.model('auth.user', {
    id: (u: User) => u.username,
    load: (ids) => users.filter((u) => ids.includes(u.username)),
    actor: { path: '/users/{identifier}', identifier: (u) => u.username, find: (username) => users.find((u) => u.username === username), name: (u) => u.name },
    channels: { self: true },
    contacts: { activity: (u) => ap.contact('auth.user', u) },
  });
  const Post = vox.model('blog.post', {
    id: (p: Post) => p.id,
    url: (p) => `/posts/${p.id}`,
    notifications: { created: { description: 'A post was published', actor: User }, liked: { description: 'Somebody liked a post', actor: User } },
    channels: { author: { label: 'Author', recipients: User, resolve: (p) => [p.author] } },
  });
  await vox.migrate();
  await vox.sync();
  if (!options.generateKeys) {
    for (const user of users) {
      const rows = (await keysOf(user.username)).map((k) => ({ actor: user.username, ...k, created_at: new Date().toISOString() }));
      await (connection.db as unknown as Kysely<KeyRows>).insertInto('vox_activity_keys').values(rows).execute();
    }
  }
  for (const codename of ['created', 'liked']) {
    await vox.templates.save({
      notification: `blog.post.${codename}`,
      backend: 'activity',
      recipients: ['c:author'],
      subject: '{{ object.title }}',
      content: `<p>{{ actor.name }} ${codename === 'created' ? 'published' : 'liked'} <em>{{ object.title }}</em></p>`,
    });
  }
  routes.handler = (request) => ap.fetch(request);
  return {
    url,
    vox,
    ap,
    users,
    errors,
    async notifyPost(post, codename, actor) {
      const ticket = await Post.notify(post, codename, { actor });
      const result = await ticket.settled();
      assert.equal(result.sent, 1, JSON.stringify(result.messages));
    },
    actorIri: (username) => `${url}/users/${username}`,
    async close() {
      await vox.close();
      await connection.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Retries `check` until it stops throwing, for effects of background deliveries; the deadline allows for a loaded machine. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export const AS = 'application/activity+json';

/** The rows of Vox's key table that the tests write. */
interface KeyRows {
  vox_activity_keys: { actor: string; algorithm: string; private_key: string; public_key: string; created_at: string };
}

const keyCache = new Map<string, Promise<{ algorithm: string; private_key: string; public_key: string }[]>>();

/** A user's key pairs as Vox stores them (JWK JSON), made once per test process. */
function keysOf(username: string) {
  let keys = keyCache.get(username);
  if (!keys) {
    keys = Promise.all(
      (['RSASSA-PKCS1-v1_5', 'Ed25519'] as const).map(async (algorithm) => {
        const pair = await generateCryptoKeyPair(algorithm);
        return { algorithm, private_key: JSON.stringify(await exportJwk(pair.privateKey)), public_key: JSON.stringify(await exportJwk(pair.publicKey)) };
      }),
    );
    keyCache.set(username, keys);
  }
  return keys;
}

