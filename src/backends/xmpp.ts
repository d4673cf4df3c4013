/** The XMPP backend: chat messages over one kept-open client connection. */
import { randomUUID } from 'node:crypto';
import type { XmlElement, XmppClient, xml as XmlBuilder } from '@xmpp/client';
import { DeliveryError, ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import { composeText, type Backend, type BackendCapabilities } from '../vocabulary/backend.ts';
import { jidProblem } from './addresses.ts';
import { requirePeer } from './peer.ts';
import { sendEach } from './send.ts';

/** Options of {@link xmpp}: the seed's two settings, and where the server is. */
export interface XmppOptions {
  /** The address Vox sends from, `vox@example.org` (DJANGO_VOX_XMPP_JID). */
  readonly jid: string;
  /** Its password (DJANGO_VOX_XMPP_PASSWORD). */
  readonly password: string;
  /**
   * Where to connect: `xmpp://host:5222` (STARTTLS when the server offers it) or
   * `xmpps://host:5223` (direct TLS). @default found from the JID's domain through DNS SRV records
   */
  readonly service?: string;
  /** Resource of the session. @default 'vox' */
  readonly resource?: string;
  /** Milliseconds to wait to connect, or for the server to acknowledge a message. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'xmpp' */
  readonly id?: string;
  /** @default 'XMPP' */
  readonly label?: string;
}

const CAPABILITIES: BackendCapabilities = { subject: false, fromAddress: false, attachments: false, manualSending: true, maxRecipients: 1 };

/**
 * XMPP chat messages (`xmpp`, protocol `xmpp`) through the optional peer dependency
 * `@xmpp/client`. Addresses are JIDs. One connection carries every message: it opens with the
 * first message, and when it drops the next message opens a new one (the original opened one per
 * message). A message counts as sent once the server has processed it (it answers a ping sent
 * after it), and an error the server returns for it (no such local user) fails it.
 * `vox.close()` closes the connection.
 *
 * @example
 * xmpp({ jid: 'vox@example.org', password: process.env.XMPP_PASSWORD })
 */
export function xmpp(options: XmppOptions): Backend {
  const id = options?.id ?? 'xmpp';
  const [local, domain] = (options?.jid ?? '').split('/')[0]?.split('@') ?? [];
  if (!local || !domain || !options.password) throw new VoxError(ErrorCode.configuration, `backend ${id} needs jid (vox@example.org) and password`);
  requirePeer('@xmpp/client', id);
  const connection = new XmppConnection(id, { ...options, local, domain });
  const backend: Backend = {
    id,
    protocol: 'xmpp',
    label: options.label ?? 'XMPP',
    format: 'text',
    capabilities: CAPABILITIES,
    compose: composeText,
    validateAddress: jidProblem,
    send: (message) => sendEach(backend, message, (contact) => connection.send(contact.address, message.payload.text ?? '')),
    close: () => connection.close(),
  };
  return backend;
}

/** An open connection, with the library's element builder. */
interface Connected {
  readonly client: XmppClient;
  readonly xml: typeof XmlBuilder;
}

/** The one connection of an XMPP backend, opened on demand and replaced when it drops. */
class XmppConnection {
  readonly #backend: string;
  readonly #options: XmppOptions & { readonly local: string; readonly domain: string };
  readonly #timeoutMs: number;
  /** The current connection, being opened or open; undefined until a message needs one. */
  #online: Promise<Connected> | undefined;
  /** The client of `#online`, once created. */
  #client: XmppClient | undefined;
  #closed = false;
  readonly #stopped = new WeakMap<XmppClient, Promise<void>>();

  constructor(backend: string, options: XmppOptions & { readonly local: string; readonly domain: string }) {
    this.#backend = backend;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Sends a chat message; resolves with its stanza id once the server has processed it. */
  async send(to: string, text: string): Promise<string> {
    if (this.#closed) throw new DeliveryError('the XMPP backend is closed', { backend: this.#backend, permanent: false, providerCode: 'ECLOSED' });
    const { client, xml } = await this.#connection();
    const id = randomUUID();
    let refusal: DeliveryError | undefined;
    const onStanza = (reply: XmlElement) => {
      if (reply.name === 'message' && reply.attrs.type === 'error' && reply.attrs.id === id) refusal = this.#refusal(reply);
    };
    client.on('stanza', onStanza);
    try {
      await client.send(xml('message', { to, type: 'chat', id }, xml('body', {}, text)));
      // A server handles a stream's stanzas in order: once it answers a ping sent after the message
      // (even with an error), it has the message, and any error it had for it came first.
      await client.iqCaller.request(xml('iq', { type: 'get', to: this.#options.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), this.#timeoutMs).catch((error: unknown) => {
        if ((error as Error).name !== 'StanzaError') throw error;
      });
    } catch (error) {
      // A message the server did not take, or did not confirm in time: a connection not to be trusted again.
      void this.#drop(client);
      throw new DeliveryError(`the XMPP server did not confirm the message: ${errorText(error)}`, { backend: this.#backend, permanent: false, cause: error });
    } finally {
      client.off('stanza', onStanza);
    }
    if (refusal) throw refusal;
    return id;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connected = await this.#online?.catch(() => undefined);
    if (connected) await this.#drop(connected.client);
  }

  #connection(): Promise<Connected> {
    if (!this.#online) {
      const attempt = this.#connect();
      this.#online = attempt;
      attempt.catch(() => {
        if (this.#online === attempt) this.#online = undefined;
      });
    }
    return this.#online;
  }

  async #connect(): Promise<Connected> {
    const { client: createClient, xml } = await import('@xmpp/client');
    const { local, domain, password, service, resource } = this.#options;
    const client = createClient({ ...(service ? { service } : {}), domain, username: local, password, resource: resource ?? 'vox' });
    // Vox re-connects when the next message needs it, rather than keeping a retry loop running.
    client.reconnect.stop();
    this.#client = client;
    // Errors also reject start() or the send at hand; without a listener they would crash the process.
    client.on('error', () => {});
    client.on('disconnect', () => void this.#drop(client));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.start(),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no connection in ${this.#timeoutMs} ms`)), this.#timeoutMs);
        }),
      ]);
    } catch (error) {
      void this.#drop(client);
      const condition = (error as { condition?: string }).condition;
      // SASL's not-authorized: a wrong password stays wrong, like SMTP's 535.
      const permanent = condition === 'not-authorized' || condition === 'account-disabled';
      throw new DeliveryError(`cannot connect to XMPP as ${local}@${domain}: ${errorText(error)}`, { backend: this.#backend, permanent, ...(condition ? { providerCode: condition } : {}), cause: error });
    } finally {
      clearTimeout(timer);
    }
    return { client, xml };
  }

  /**
   * Forgets a client (if it is still the current one) and closes it, once: stopping a client that
   * is already stopping never settles. The next message opens a new connection.
   */
  #drop(client: XmppClient): Promise<void> {
    if (this.#client === client) {
      this.#client = undefined;
      this.#online = undefined;
    }
    let stopped = this.#stopped.get(client);
    if (!stopped) {
      stopped = client.status === 'offline' ? Promise.resolve() : client.stop().catch(() => {});
      this.#stopped.set(client, stopped);
    }
    return stopped;
  }

  /** The failure of a message the server returned with an error: permanent unless its type is `wait`. */
  #refusal(reply: XmlElement): DeliveryError {
    const error = reply.getChild('error');
    const condition = error?.children.find((c): c is XmlElement => typeof c !== 'string' && c.name !== 'text')?.name ?? 'undefined-condition';
    const text = error?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas');
    return new DeliveryError(`the XMPP server refused the message to ${reply.attrs.from ?? '?'}: ${condition}${text ? ` (${text})` : ''}`, {
      backend: this.#backend,
      permanent: error?.attrs.type !== 'wait',
      providerCode: condition,
    });
  }
}
