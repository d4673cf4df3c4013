/** The suppression list's words: addresses Vox must not send to, why, and how addresses compare. */

/**
 * Why an address is suppressed: its owner unsubscribed from everything, it bounced for good, its
 * owner reported a message as spam, or staff added it.
 */
export type SuppressionReason = 'unsubscribed' | 'bounced' | 'complained' | 'admin';

export const SUPPRESSION_REASONS: readonly SuppressionReason[] = Object.freeze(['unsubscribed', 'bounced', 'complained', 'admin']);

/** An address to suppress. */
export interface SuppressionInput {
  readonly protocol: string;
  readonly address: string;
  readonly reason: SuppressionReason;
  /** Who or what added it: `recipient`, `admin:<user>`, a provider's name (`postmark`, `twilio`, …). */
  readonly source: string;
  /** The provider's description, the admin's comment; free text. */
  readonly note?: string | null;
}

/** A row of the suppression list. */
export interface SuppressionRecord extends Required<SuppressionInput> {
  readonly id: number;
  readonly createdAt: string;
}

/**
 * The form an address is compared in: emails ignore case and surrounding blanks (no provider treats
 * `Ann@Example.com` and `ann@example.com` as different mailboxes), other protocols only blanks.
 */
export function suppressionAddress(protocol: string, address: string): string {
  const trimmed = address.trim();
  return protocol === 'email' ? trimmed.toLowerCase() : trimmed;
}
