/** How to reach a recipient: a name, a protocol (`email`, `sms`, …) and an address in that protocol. */
export interface Contact {
  readonly name: string;
  readonly protocol: string;
  readonly address: string;
}

/**
 * The protocols of the backends Vox ships (docs/protocols.md). A model's `contacts` may name these
 * whether or not their backend is configured in this process, and any protocol of a configured
 * backend (your own backend's, say); any other key is refused as a misspelling.
 */
export const BUILT_IN_PROTOCOLS: readonly string[] = Object.freeze(['activity', 'email', 'sms', 'twitter', 'json-webhook', 'slack-webhook', 'xmpp', 'in-app']);

/**
 * Makes a {@link Contact}.
 *
 * @example
 * contacts: { email: (u) => contact(u.name, 'email', u.email) }
 */
export function contact(name: string, protocol: string, address: string): Contact {
  return Object.freeze({ name, protocol, address });
}
