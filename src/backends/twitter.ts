/** The X (Twitter) backend: a status update for a blank address, a direct message to a handle. */
import type { Agent } from 'node:https';
import type { TwitterApiv2 } from 'twitter-api-v2';
import { DeliveryError, ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import { composeText, type Backend, type BackendCapabilities } from '../vocabulary/backend.ts';
import { twitterHandleProblem } from './addresses.ts';
import { DEFAULT_TIMEOUT_MS, isTransientStatus } from './http.ts';
import { requirePeer } from './peer.ts';
import { sendEach } from './send.ts';

/** Options of {@link twitter}: the seed's four settings, from the app's "Keys and tokens" page. */
export interface TwitterOptions {
  /** Consumer key, also called API key (DJANGO_VOX_TWITTER_CONSUMER_KEY). */
  readonly consumerKey: string;
  /** Consumer secret, or API key secret (DJANGO_VOX_TWITTER_CONSUMER_SECRET). */
  readonly consumerSecret: string;
  /** Access token of the account that posts (DJANGO_VOX_TWITTER_TOKEN_KEY). */
  readonly accessToken: string;
  /** Access token secret (DJANGO_VOX_TWITTER_TOKEN_SECRET). */
  readonly accessSecret: string;
  /** The v2 API's URL prefix; tests point it at a local server. @default 'https://api.x.com/2/' */
  readonly apiBaseUrl?: string;
  /** HTTPS agent for the requests (a proxy's, or one trusting a test server's certificate). */
  readonly httpAgent?: Agent;
  /** Milliseconds to wait for each request. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'twitter' */
  readonly id?: string;
  /** @default 'X (Twitter)' */
  readonly label?: string;
}

const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: false, attachments: false, manualSending: true, maxRecipients: 1, blankAddress: true };
/** Handles whose user ids are remembered, so that a direct message costs one request. */
const REMEMBERED_HANDLES = 1000;

/**
 * X, formerly Twitter (`twitter`, protocol `twitter`), through the optional peer dependency
 * `twitter-api-v2`. A blank address posts the text as a post (status update) of the account whose
 * tokens are configured; any other address is a handle, without `@`, that gets it as a direct
 * message (the app needs the "Read, write and Direct Messages" permission).
 *
 * @example
 * twitter({ consumerKey, consumerSecret, accessToken, accessSecret })
 */
export function twitter(options: TwitterOptions): Backend {
  const id = options?.id ?? 'twitter';
  if (!options?.consumerKey || !options.consumerSecret || !options.accessToken || !options.accessSecret) {
    throw new VoxError(ErrorCode.configuration, `backend ${id} needs consumerKey, consumerSecret, accessToken and accessSecret from the X developer portal`);
  }
  requirePeer('twitter-api-v2', id);
  // Per-request settings: the API prefix (its default is X's own) and the timeout.
  const request = { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(options.apiBaseUrl ? { prefix: options.apiBaseUrl.replace(/\/?$/, '/') } : {}) };
  const userIds = new Map<string, string>();
  let client: Promise<TwitterApiv2> | undefined;
  const api = () =>
    (client ??= import('twitter-api-v2').then(
      ({ TwitterApi }) =>
        new TwitterApi(
          { appKey: options.consumerKey, appSecret: options.consumerSecret, accessToken: options.accessToken, accessSecret: options.accessSecret },
          options.httpAgent ? { httpAgent: options.httpAgent } : {},
        ).v2,
    ));

  const userId = async (v2: TwitterApiv2, handle: string): Promise<string> => {
    const known = userIds.get(handle.toLowerCase());
    if (known) return known;
    const found = await v2.get<{ data?: { id: string } }>('users/by/username/:username', undefined, { ...request, params: { username: handle } });
    if (!found.data?.id) throw new DeliveryError(`there is no X account @${handle}`, { backend: id, permanent: true, providerCode: 'resource-not-found' });
    if (userIds.size >= REMEMBERED_HANDLES) userIds.delete(userIds.keys().next().value as string);
    userIds.set(handle.toLowerCase(), found.data.id);
    return found.data.id;
  };

  const backend: Backend = {
    id,
    protocol: 'twitter',
    label: options.label ?? 'X (Twitter)',
    format: 'text',
    capabilities: CAPABILITIES,
    compose: composeText,
    validateAddress: twitterHandleProblem,
    send: (message) =>
      sendEach(backend, message, async (contact) => {
        const text = message.payload.text ?? '';
        try {
          const v2 = await api();
          if (contact.address === '') {
            const posted = await v2.post<{ data: { id: string } }>('tweets', { text }, request);
            return posted.data.id;
          }
          const participant = await userId(v2, contact.address);
          const sent = await v2.post<{ data: { dm_event_id: string } }>('dm_conversations/with/:participant_id/messages', { text }, { ...request, params: { participant_id: participant } });
          return sent.data.dm_event_id;
        } catch (error) {
          throw twitterError(id, error);
        }
      }),
  };
  return backend;
}

/** The shape of twitter-api-v2's errors that Vox reads. */
interface TwitterApiFailure {
  readonly type?: string;
  /** HTTP status of a response error. */
  readonly code?: number;
  readonly data?: { readonly title?: string; readonly detail?: string; readonly type?: string; readonly errors?: readonly { readonly message?: string; readonly code?: number }[] };
}

/** A response error is permanent for 4xx but 408/429; network errors and dropped replies are transient. */
function twitterError(backend: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const failure = (error ?? {}) as TwitterApiFailure;
  if (failure.type === 'response' && typeof failure.code === 'number') {
    const first = failure.data?.errors?.[0];
    const detail = failure.data?.detail ?? first?.message ?? failure.data?.title ?? errorText(error);
    const problem = failure.data?.type?.split('/').pop() ?? (first?.code === undefined ? undefined : String(first.code));
    return new DeliveryError(`X: ${detail}`, {
      backend,
      permanent: !isTransientStatus(failure.code),
      statusCode: failure.code,
      ...(problem ? { providerCode: problem } : {}),
      responseBody: JSON.stringify(failure.data ?? null),
      cause: error,
    });
  }
  return new DeliveryError(`X: ${errorText(error)}`, { backend, permanent: false, cause: error });
}
