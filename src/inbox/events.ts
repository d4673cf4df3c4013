/**
 * What the inbox publishes on the event bus: which recipients' items changed. Payloads stay short
 * (PostgreSQL's NOTIFY takes at most 8,000 bytes), so many recipients are split over several.
 */

/** A payload's size limit, under PostgreSQL's 8,000 bytes. */
const MAX_PAYLOAD = 7000;

/** The payloads that say these recipients' items changed. */
export function changePayloads(recipients: readonly string[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const recipient of new Set(recipients)) {
    const length = JSON.stringify(recipient).length + 1;
    if (batch.length > 0 && size + length > MAX_PAYLOAD) {
      payloads.push(JSON.stringify({ r: batch }));
      batch = [];
      size = 0;
    }
    batch.push(recipient);
    size += length;
  }
  if (batch.length > 0) payloads.push(JSON.stringify({ r: batch }));
  return payloads;
}

/** The recipients a payload names; none for a payload that is not the inbox's. */
export function recipientsOf(payload: string): string[] {
  try {
    const parsed = JSON.parse(payload) as { r?: unknown };
    return Array.isArray(parsed.r) ? parsed.r.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
