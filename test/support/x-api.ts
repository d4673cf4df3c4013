import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** OAuth 1.0a credentials of the test app and account. */
export interface XCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

/** A post or direct message the fake X accepted. */
export interface XDelivery {
  readonly kind: 'post' | 'dm';
  readonly id: string;
  readonly text: string;
  /** The recipient's user id, for direct messages. */
  readonly participantId?: string;
}

/** A scripted error reply, as the v2 API writes them. */
export interface XErrorReply {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

/** A local HTTPS stand-in for the X v2 API that checks OAuth 1.0a signatures. */
export interface XApiServer {
  /** Prefix of the v2 API, `https://127.0.0.1:<port>/2/`. */
  readonly apiBaseUrl: string;
  /** Trusts the server's self-signed certificate, and only it. */
  readonly agent: Agent;
  readonly credentials: XCredentials;
  /** Users by handle (lower case) → id. */
  readonly users: Map<string, string>;
  readonly delivered: XDelivery[];
  /** Requests looking up users by handle. */
  readonly lookups: string[];
  /** Everything that broke the API's rules; a test fails when this is not empty. */
  readonly violations: string[];
  /** Answers the next write requests (posts and DMs) with these errors. */
  failNext(...replies: XErrorReply[]): void;
  close(): Promise<void>;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a signs with. */
const percent = (value: string) => encodeURIComponent(value).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Starts the server on 127.0.0.1 with a certificate made for this run by openssl. */
export async function startXApi(): Promise<XApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vox-x-'));
  let key: Buffer;
  let cert: Buffer;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const credentials: XCredentials = {
    consumerKey: randomBytes(8).toString('hex'),
    consumerSecret: randomBytes(16).toString('hex'),
    accessToken: `1-${randomBytes(8).toString('hex')}`,
    accessSecret: randomBytes(16).toString('hex'),
  };
  const users = new Map([['vox_reader', '2244994945']]);
  const delivered: XDelivery[] = [];
  const lookups: string[] = [];
  const violations: string[] = [];
  const scripted: XErrorReply[] = [];
  let nextId = 1_900_000_000_000_000_000n;

  /** Records why a request's OAuth 1.0a header is wrong; true when it verifies. */
  const checkOAuth = (method: string, url: URL, header: string | undefined): boolean => {
    const fail = (why: string) => {
      violations.push(`${method} ${url.pathname}: ${why}`);
      return false;
    };
    if (!header?.startsWith('OAuth ')) return fail('no OAuth 1.0a Authorization header');
    const params = new Map([...header.slice(6).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, decodeURIComponent(m[2] as string)]));
    if (params.get('oauth_consumer_key') !== credentials.consumerKey || params.get('oauth_token') !== credentials.accessToken) return fail('OAuth consumer key or token is wrong');
    if (params.get('oauth_signature_method') !== 'HMAC-SHA1') return fail('OAuth signature method is not HMAC-SHA1');
    const signed = [...params].filter(([k]) => k !== 'oauth_signature' && k !== 'realm');
    for (const [k, v] of url.searchParams) signed.push([k, v]);
    const normalized = signed.map(([k, v]) => [percent(k), percent(v)]).sort(([a = '', b = ''], [c = '', d = '']) => (a === c ? (b < d ? -1 : 1) : a < c ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
    const base = [method, percent(`${url.protocol}//${url.host}${url.pathname}`), percent(normalized)].join('&');
    const expected = createHmac('sha1', `${percent(credentials.consumerSecret)}&${percent(credentials.accessSecret)}`).update(base).digest('base64');
    return params.get('oauth_signature') === expected || fail('the OAuth signature does not verify');
  };

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `https://${req.headers.host}`);
      const method = req.method ?? 'GET';
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      if (!checkOAuth(method, url, req.headers.authorization)) return reply(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      const lookup = /^\/2\/users\/by\/username\/([^/]+)$/.exec(url.pathname);
      if (method === 'GET' && lookup) {
        const handle = decodeURIComponent(lookup[1] as string);
        lookups.push(handle);
        const id = users.get(handle.toLowerCase());
        // X answers 200 with an errors array, not a 404, for a handle nobody has.
        if (!id) return reply(200, { errors: [{ value: handle, detail: `Could not find user with username: [${handle}].`, title: 'Not Found Error', resource_type: 'user', parameter: 'username', resource_id: handle, type: 'https://api.twitter.com/2/problems/resource-not-found' }] });
        return reply(200, { data: { id, name: handle, username: handle } });
      }
      const dm = /^\/2\/dm_conversations\/with\/(\d+)\/messages$/.exec(url.pathname);
      if (method !== 'POST' || (url.pathname !== '/2/tweets' && !dm)) {
        violations.push(`unexpected ${method} ${url.pathname}`);
        return reply(404, { title: 'Not Found', detail: 'Sorry, that page does not exist.', type: 'about:blank', status: 404 });
      }
      if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') violations.push(`${url.pathname}: Content-Type ${req.headers['content-type']}, not application/json`);
      let body: { text?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString()) as { text?: unknown };
      } catch {
        violations.push(`${url.pathname}: the body is not JSON`);
        return reply(400, { title: 'Invalid Request', detail: 'The body is not JSON', type: 'https://api.twitter.com/2/problems/invalid-request', status: 400 });
      }
      for (const field of Object.keys(body)) if (field !== 'text') violations.push(`${url.pathname}: unexpected field ${field}`);
      if (typeof body.text !== 'string' || body.text === '') violations.push(`${url.pathname}: no text`);
      const failure = scripted.shift();
      if (failure) return reply(failure.status, { title: failure.title, detail: failure.detail, type: 'about:blank', status: failure.status });
      nextId += 1n;
      const id = String(nextId);
      if (dm) {
        const participantId = dm[1] as string;
        if (![...users.values()].includes(participantId)) return reply(400, { title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request', status: 400 });
        delivered.push({ kind: 'dm', id, text: String(body.text), participantId });
        return reply(201, { data: { dm_conversation_id: `${participantId}-1`, dm_event_id: id } });
      }
      delivered.push({ kind: 'post', id, text: String(body.text) });
      return reply(201, { data: { id, text: body.text, edit_history_tweet_ids: [id] } });
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    apiBaseUrl: `https://127.0.0.1:${port}/2/`,
    agent,
    credentials,
    users,
    delivered,
    lookups,
    violations,
    failNext(...replies) {
      scripted.push(...replies);
    },
    close: () =>
      new Promise<void>((done) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
