/** The `fields` format: rendered `key: value` lines read into an object (Postmark, JSON webhooks). */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { unescapeField } from '../render/escape.ts';

/**
 * Reads rendered `key: value` content (the `fields` format) into an object, as the seed's
 * Postmark and JSON webhook backends do:
 *
 * ```
 * parameter_one: {{ content.attribute }}
 * parameter_two: Hello World
 * ```
 *
 * Keys and values are trimmed; blank lines are skipped; a later line wins over an earlier one of
 * the same key. A variable's line breaks arrive written `\n` (the format escapes them) and are read
 * back here, so values may span lines but a variable can never add a field.
 */
export function parseFields(text: string): Record<string, string> {
  // A Map, then fromEntries: a key such as `__proto__` stays an ordinary field.
  const fields = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const colon = line.indexOf(':');
    const key = colon < 0 ? '' : line.slice(0, colon).trim();
    if (key === '') throw new VoxError(ErrorCode.render, `content line ${index + 1} is not \`key: value\`: ${JSON.stringify(line.slice(0, 80))}`);
    fields.set(key, unescapeField(line.slice(colon + 1).trim()));
  });
  return Object.fromEntries(fields);
}
