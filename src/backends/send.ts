/** Helpers every backend's send shares: refusing bad addresses, turning failures into DeliveryErrors. */
import { DeliveryError, errorText } from '../vocabulary/errors.ts';
import type { Contact } from '../vocabulary/contact.ts';
import type { OutboundMessage, SendResult } from '../vocabulary/payload.ts';
import { emailAddressProblem } from './addresses.ts';

/** What the helpers need of a backend. */
interface Sender {
  readonly id: string;
  validateAddress?(address: string): string | undefined;
}

/** A failure as the message log records it: a {@link DeliveryError}, transient unless it says otherwise. */
export function asDeliveryError(backend: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError(errorText(error), { backend, permanent: false, cause: error });
}

/** The permanent failure of an address that is not one of the backend's protocol. */
export function invalidAddress(backend: Sender, contact: Contact): DeliveryError | undefined {
  const problem = backend.validateAddress?.(contact.address);
  return problem === undefined ? undefined : new DeliveryError(problem, { backend: backend.id, permanent: true, providerCode: 'EADDRESS' });
}

/** One email address, bare or after a display name (quoted when it holds a comma or quotes). */
const ONE_SENDER = /^(?:(?:"(?:[^"\\\r\n]|\\.)*"|[^"<>,;\r\n]*)\s*<([^<>\s]+)>|([^<>\s]+))$/;

/**
 * The email from address of a message: the template's, else the backend's `from`. Refused when
 * there is none (ENOFROM), or when it is not one address (EADDRESS): a from template's variable
 * holding a line break or a second address must neither add header lines nor change the
 * envelope's sender.
 */
export function emailSender(backend: Sender, message: OutboundMessage, defaultFrom: string | undefined): string {
  const from = message.from ?? defaultFrom;
  if (!from) throw new DeliveryError('no from address: set one on the template or the backend option `from`', { backend: backend.id, permanent: true, providerCode: 'ENOFROM' });
  const match = ONE_SENDER.exec(from.trim());
  const problem = match ? emailAddressProblem(match[1] ?? match[2] ?? '') : 'is not one email address (name@example.org, or Name <name@example.org>)';
  if (problem !== undefined) {
    throw new DeliveryError(`the from address ${JSON.stringify(from)} ${match ? problem.replace(/^".*?" /, '') : problem}`, { backend: backend.id, permanent: true, providerCode: 'EADDRESS' });
  }
  return from.trim();
}

/**
 * Sends a message to each of its addresses on its own and checks every reply (the original JSON
 * webhook checked only the last). Addresses that fail while others succeed are returned as
 * `rejected`, so the log gives each its own failed row; when every address fails, the failure is
 * thrown: a transient one if any was, so that the retry reaches them all again.
 */
export async function sendEach(backend: Sender, message: OutboundMessage, sendOne: (contact: Contact) => Promise<string | undefined>): Promise<SendResult> {
  if (message.to.length === 0) throw new DeliveryError('the message has no recipients', { backend: backend.id, permanent: true, providerCode: 'ENORECIPIENTS' });
  const rejected: { address: string; error: DeliveryError }[] = [];
  const ids: string[] = [];
  for (const contact of message.to) {
    try {
      const invalid = invalidAddress(backend, contact);
      if (invalid) throw invalid;
      const id = await sendOne(contact);
      if (id !== undefined) ids.push(id);
    } catch (error) {
      rejected.push({ address: contact.address, error: asDeliveryError(backend.id, error) });
    }
  }
  if (rejected.length === message.to.length) {
    throw (rejected.find((r) => !r.error.permanent) ?? rejected[0])?.error;
  }
  return { ...(ids.length > 0 ? { providerMessageId: ids.join(' ') } : {}), ...(rejected.length > 0 ? { rejected } : {}) };
}
