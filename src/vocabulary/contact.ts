/** How to reach a recipient: a name, a protocol (`email`, `sms`, …) and an address in that protocol. */
export interface Contact {
  readonly name: string;
  readonly protocol: string;
  readonly address: string;
}

/**
 * Makes a {@link Contact}.
 *
 * @example
 * contacts: { email: (u) => contact(u.name, 'email', u.email) }
 */
export function contact(name: string, protocol: string, address: string): Contact {
  return Object.freeze({ name, protocol, address });
}
