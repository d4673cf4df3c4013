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
  /** The identifier, in the actor IRI `/users/<username>`. */
  username: string;
  name: string;
  /** The handle, when it is not the username. */
  handle?: string;
  /** A bio, as HTML. */
  bio?: string;
  /** Whether the user has a picture, served at `/avatars/<username>.png`. */
  avatar?: boolean;
}
export interface Post {
  id: number;
  title: string;
  body: string;
  author: User;
}

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
  /** Notifies the post's author; `commented` has no actor, and its posts are unlisted (anyone may read them). */
  notifyPost(post: Post, codename: 'created' | 'liked', actor: User): Promise<void>;
  notifyPost(post: Post, codename: 'commented'): Promise<void>;
  actorIri(username: string): string;
  close(): Promise<void>;
}

/**
 * A Vox app on its own 127.0.0.1 port and database: users are actors with a profile page at
 * `/people/<username>`, and posts notify their author.
 */
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
    url: (u) => `/people/${u.username}`,
    actor: {
      path: '/users/{identifier}',
      identifier: (u) => u.username,
      find: (username) => users.find((u) => u.username === username),
      handle: (u) => u.handle ?? u.username,
      findByHandle: (handle) => users.find((u) => (u.handle ?? u.username) === handle),
      name: (u) => u.name,
      summary: (u) => u.bio ?? '',
      icon: (u) => (u.avatar ? `/avatars/${u.username}.png` : undefined),
    },
    channels: { self: true },
    contacts: { activity: (u) => ap.contact('auth.user', u) },
  });
  const Post = vox.model('blog.post', {
    id: (p: Post) => p.id,
    url: (p) => `/posts/${p.id}`,
    notifications: {
      created: { description: 'A post was published', actor: User },
      liked: { description: 'Somebody liked a post', actor: User },
      commented: { description: 'Somebody commented on a post', activityVisibility: 'unlisted' },
    },
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
  const contents = {
    created: '<p>{{ actor.name }} published <em>{{ object.title }}</em></p>',
    liked: '<p>{{ actor.name }} liked <em>{{ object.title }}</em></p>',
    commented: '<p>Somebody commented on <em>{{ object.title }}</em></p>',
  };
  for (const [codename, content] of Object.entries(contents)) {
    await vox.templates.save({ notification: `blog.post.${codename}`, backend: 'activity', recipients: ['c:author'], subject: '{{ object.title }}', content });
  }
  routes.handler = (request) => ap.fetch(request, () => pageOf(request, users));
  return {
    url,
    vox,
    ap,
    users,
    errors,
    async notifyPost(post: Post, codename: 'created' | 'liked' | 'commented', actor?: User) {
      const ticket = codename === 'commented' ? await Post.notify(post, codename) : await Post.notify(post, codename, { actor: actor as User });
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

/** A 1×1 PNG, for avatars. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** The app's own pages, behind the ActivityPub endpoints: users' profiles and pictures, and posts. */
function pageOf(request: Request, users: readonly User[]): Response {
  const path = new URL(request.url).pathname;
  if (/^\/posts\/\d+$/.test(path)) return new Response(`<!doctype html><title>Post</title><p>Post ${path.slice(7)}</p>`, { headers: { 'content-type': 'text/html; charset=utf-8' } });
  const profile = /^\/people\/([^/]+)$/.exec(path);
  const user = profile && users.find((u) => u.username === decodeURIComponent(profile[1] ?? ''));
  if (user) return new Response(`<!doctype html><title>${user.name}</title><h1>${user.name}</h1>`, { headers: { 'content-type': 'text/html; charset=utf-8' } });
  const avatar = /^\/avatars\/([^/]+)\.png$/.exec(path);
  if (avatar && users.some((u) => u.avatar && u.username === avatar[1])) return new Response(PNG, { headers: { 'content-type': 'image/png' } });
  return new Response('Not Found', { status: 404 });
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

