/**
 * Amazon SNS message signatures (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) checked with
 * node:crypto against the signing certificate, which is fetched only from an
 * `https://sns.<region>.amazonaws.com/….pem` URL: a forged message cannot make Vox request anything
 * anywhere else. Certificates are kept per URL for the life of the handler.
 */
import { X509Certificate, verify } from 'node:crypto';

/** What SNS posts to an HTTP(S) subscription. */
export interface SnsMessage {
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: string;
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly Subject?: string;
  readonly SubscribeURL?: string;
  readonly Token?: string;
}

/**
 * Fetches a URL that Vox checked is an SNS URL (`https://sns.<region>.amazonaws.com/…`), for the
 * signing certificate or to confirm a subscription. It is handed no other URL.
 */
export type SnsFetch = (url: URL) => Promise<Response>;

/** SNS hosts: `sns.<region>.amazonaws.com`, and `.com.cn` in China's regions. */
const SNS_HOST = /^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$/;

/** The URL when it is an SNS URL Vox may fetch, else undefined. */
export function snsUrl(value: string | undefined, pem = false): URL | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '' || !SNS_HOST.test(url.hostname)) return undefined;
  if (pem && !url.pathname.endsWith('.pem')) return undefined;
  return url;
}

/** Fetches with no redirects (a redirect could leave SNS) and a deadline. */
export const defaultSnsFetch: SnsFetch = (url) => {
  if (!snsUrl(url.toString())) return Promise.reject(new Error(`not an SNS URL: ${url.toString()}`));
  return fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
};

/** Most bytes of a signing certificate: they are about 2 KB. */
const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** Checks SNS message signatures, fetching each signing certificate once. */
export class SnsVerifier {
  readonly #fetch: SnsFetch;
  readonly #certificates = new Map<string, Promise<X509Certificate>>();

  constructor(fetchFromSns: SnsFetch = defaultSnsFetch) {
    this.#fetch = fetchFromSns;
  }

  /** Whether `message` is signed by SNS; a certificate URL off SNS is refused before any request. */
  async verify(message: SnsMessage): Promise<boolean> {
    const url = snsUrl(message.SigningCertURL, true);
    const algorithm = message.SignatureVersion === '1' ? 'sha1' : message.SignatureVersion === '2' ? 'sha256' : undefined;
    const signed = stringToSign(message);
    if (!url || !algorithm || signed === undefined || typeof message.Signature !== 'string') return false;
    let certificate: X509Certificate;
    try {
      certificate = await this.#certificate(url);
    } catch {
      return false;
    }
    const now = Date.now();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) return false;
    return verify(algorithm, Buffer.from(signed, 'utf8'), certificate.publicKey, Buffer.from(message.Signature, 'base64'));
  }

  #certificate(url: URL): Promise<X509Certificate> {
    const key = url.toString();
    let pending = this.#certificates.get(key);
    if (!pending) {
      pending = this.#download(url);
      this.#certificates.set(key, pending);
      // A failed download is not kept: the next message tries again.
      pending.catch(() => this.#certificates.delete(key));
    }
    return pending;
  }

  async #download(url: URL): Promise<X509Certificate> {
    const response = await this.#fetch(url);
    if (!response.ok) throw new Error(`${url.toString()} answered ${response.status}`);
    const body = await response.text();
    if (Buffer.byteLength(body) > MAX_CERTIFICATE_BYTES) throw new Error('certificate too large');
    return new X509Certificate(body);
  }
}

/** The text SNS signs: the message's fields, by name, each as `Name\nvalue\n`, in this order. */
function stringToSign(message: SnsMessage): string | undefined {
  const fields =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : message.Type === 'SubscriptionConfirmation' || message.Type === 'UnsubscribeConfirmation'
        ? ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']
        : undefined;
  if (!fields) return undefined;
  let signed = '';
  for (const name of fields) {
    const value = (message as unknown as Record<string, unknown>)[name];
    if (value === undefined && name === 'Subject') continue;
    if (typeof value !== 'string') return undefined;
    signed += `${name}\n${value}\n`;
  }
  return signed;
}
