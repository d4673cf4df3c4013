/**
 * The address form of each protocol (the seed's chapter 3). Every backend of a protocol accepts
 * the same addresses, so each protocol's check lives here once. Each returns why an address is not
 * one of its protocol's, or undefined when it is.
 */

/** Email: `name@domain`, without display name or angle brackets. */
export function emailAddressProblem(address: string): string | undefined {
  return /^[^\s@<>,;"]+@[^\s@<>,;".][^\s@<>,;"]*$/.test(address) ? undefined : `${JSON.stringify(address)} is not an email address (name@example.org)`;
}

/**
 * Email: the address lower-cased, domain and local part alike. Domains are case-insensitive (RFC
 * 5321); a server may treat local parts as case-sensitive, but practically none does, Nodemailer
 * folds them when it builds an envelope, and two messages to one mailbox is the worse mistake.
 */
export function emailAddressKey(address: string): string {
  return address.toLowerCase();
}

/** SMS: a phone number in E.164 form, `+` then up to 15 digits, the first not 0. */
export function e164Problem(address: string): string | undefined {
  if (/^\+[1-9]\d{1,14}$/.test(address)) return undefined;
  return `${JSON.stringify(address)} is not a phone number in E.164 form (+14155552671: a plus, the country code, then the number, no spaces)`;
}

/** X (Twitter): blank for a status update, or a handle (letters, digits, `_`, at most 15) without the `@`. */
export function twitterHandleProblem(address: string): string | undefined {
  if (address === '' || /^[A-Za-z0-9_]{1,15}$/.test(address)) return undefined;
  if (address.startsWith('@')) return `write the handle without its @: ${JSON.stringify(address.slice(1))}`;
  return `${JSON.stringify(address)} is not an X handle (letters, digits and _, at most 15), nor blank for a status update`;
}

/** Webhooks: an absolute `https:` (or `http:`) URL without credentials. */
export function webhookUrlProblem(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `${JSON.stringify(address)} is not a URL (https://…)`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${JSON.stringify(address)} must be an https: URL`;
  if (url.username || url.password) return 'the webhook URL must not carry a user name or password';
  return undefined;
}

/** XMPP: a JID, `user@domain`, optionally with a `/resource`. */
export function jidProblem(address: string): string | undefined {
  return /^[^\s@/"&'<>:]+@[^\s@/]+(\/\S+)?$/.test(address) ? undefined : `${JSON.stringify(address)} is not an XMPP address (user@example.org)`;
}
