// A stand-in for a Mastodon server on 127.0.0.1, for the conformance test: one account whose actor
// document it serves, requests signed as Mastodon signs them, and an inbox that keeps only what
// carries a valid signature of the activity's own actor (draft-cavage HTTP Signatures, which every
// Mastodon version checks).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { generateCryptoKeyPair, getAuthenticatedDocumentLoader, signRequest, verifyRequest } from '@fedify/fedify';
import { createAdaptorServer } from '@hono/node-server';

/** The Accept header Mastodon sends when it fetches ActivityPub documents. */
export const MASTODON_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", text/html;q=0.1';
export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';

/** An activity that reached the inbox, with the actor whose key signed its delivery. */
export interface Delivered {
  readonly activity: Record<string, unknown>;
  readonly signer: string;
}

export interface FakeMastodon {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The account's actor IRI. */
  readonly actor: string;
  /** Activities delivered to the account's inbox or the shared inbox, signed by their actor. */
  readonly inbox: Delivered[];
  /** Deliveries refused: no signature, or not the activity's actor's. */
  readonly refused: string[];
  /** GET with the account's signature and Mastodon's Accept header. */
  get(url: string, headers?: Record<string, string>): Promise<Response>;
  /** POST of an activity, signed by the account. */
  post(url: string, activity: Record<string, unknown>): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the server with one account, `username`. */
export async function startFakeMastodon(username: string): Promise<FakeMastodon> {
  const keys = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');
  const publicKeyPem = KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  const inbox: Delivered[] = [];
  const refused: string[] = [];
  const origin: { url?: string } = {};
  const actorIri = () => `${origin.url}/users/${username}`;
  const keyId = () => new URL(`${actorIri()}#main-key`);
  // Mastodon fetches keys signed by its own instance; its Vox peers live on 127.0.0.1 too.
  const loader = () => getAuthenticatedDocumentLoader({ keyId: keyId(), privateKey: keys.privateKey }, { allowPrivateAddress: true });

  const server = createAdaptorServer({
    hostname: '127.0.0.1',
    fetch: async (request: Request) => {
      const path = new URL(request.url).pathname;
      if (request.method === 'GET' && path === `/users/${username}`) {
        const actor = {
          '@context': [AS_CONTEXT, 'https://w3id.org/security/v1'],
          id: actorIri(),
          type: 'Person',
          preferredUsername: username,
          inbox: `${actorIri()}/inbox`,
          outbox: `${actorIri()}/outbox`,
          followers: `${actorIri()}/followers`,
          endpoints: { sharedInbox: `${origin.url}/inbox` },
          publicKey: { id: keyId().href, owner: actorIri(), publicKeyPem },
        };
        return Response.json(actor, { headers: { 'content-type': 'application/activity+json' } });
      }
      if (request.method === 'POST' && (path === `/users/${username}/inbox` || path === '/inbox')) {
        const key = await verifyRequest(request.clone(), { documentLoader: loader() });
        const activity = (await request.json()) as Record<string, unknown>;
        const signer = key?.ownerId?.href;
        if (!signer || signer !== activity.actor) {
          refused.push(`${String(activity.type)} signed by ${signer ?? 'nobody'}`);
          return new Response('signature refused', { status: 401 });
        }
        inbox.push({ activity, signer });
        return new Response(null, { status: 202 });
      }
      return new Response('Not Found', { status: 404 });
    },
  }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signed = (request: Request) => signRequest(request, keys.privateKey, keyId(), { spec: 'draft-cavage-http-signatures-12' });
  return {
    url: origin.url,
    actor: actorIri(),
    inbox,
    refused,
    async get(url, headers = {}) {
      return fetch(await signed(new Request(url, { headers: { accept: MASTODON_ACCEPT, ...headers } })));
    },
    async post(url, activity) {
      return fetch(await signed(new Request(url, { method: 'POST', headers: { 'content-type': 'application/activity+json' }, body: JSON.stringify(activity) })));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
