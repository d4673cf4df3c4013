/** Sample data from schemas, for previews without real objects. */
import { resolve, type JsonSchema } from './schema-paths.ts';

const MAX_DEPTH = 6;

/** Who sample data is about: each role of a message gets its own person, so a preview shows which is which. */
export interface SamplePerson {
  readonly first: string;
  readonly last: string;
}

/** The sample people by role: the object, actor, target and recipient of a preview each have their own name. */
export const SAMPLE_PEOPLE: Readonly<Record<string, SamplePerson>> = {
  object: { first: 'Pat', last: 'Reader' },
  actor: { first: 'Alex', last: 'Actor' },
  target: { first: 'Taylor', last: 'Target' },
  recipient: { first: 'Robin', last: 'Recipient' },
};

/** Sample strings by property name, so that previews read like real messages. */
const namedStrings = ({ first, last }: SamplePerson): readonly [RegExp, string][] => [
  [/e-?mail/i, `${first}.${last}@example.org`.toLowerCase()],
  [/^(first_?name|given_?name)$/i, first],
  [/^(last_?name|family_?name|surname)$/i, last],
  [/name|poster|author/i, `${first} ${last}`],
  [/title|subject|headline/i, 'A sample title'],
  [/slug/i, 'a-sample-title'],
  [/^unsubscribe_url$/, 'https://example.org/notifications/unsubscribe/sample-token'],
  [/^preferences_url$/, 'https://example.org/notifications/preferences/sample-token'],
  [/url|link|href|website/i, 'https://example.org/sample'],
  [/phone|mobile|sms/i, '+15550100'],
  [/token|key|secret/i, 'sample-token'],
  [/(created|updated|published|sent)(_?at)?$|date|time/i, '2026-01-02T09:30:00.000Z'],
  [/body|text|content|description|comment|message|summary/i, 'Sample text: what this field holds for a real object.'],
  [/city/i, 'Springfield'],
  [/country/i, 'Utopia'],
];

const FORMATS: Readonly<Record<string, string>> = {
  uri: 'https://example.org/sample',
  url: 'https://example.org/sample',
  'date-time': '2026-01-02T09:30:00.000Z',
  date: '2026-01-02',
  time: '09:30:00',
  uuid: '123e4567-e89b-42d3-a456-426614174000',
};

/**
 * A plausible value for a JSON Schema, for previews without a real object: examples and defaults
 * first, then values guessed from the property name and format. Arrays get one item. Names and
 * email addresses are those of `person`.
 */
/**
 * A digest of three sample events for previews: the object's sample, and an actor (and target) per
 * event, each a different sample person, so that a template's loop shows what it will look like.
 */
export function sampleDigest(object: unknown, actor: JsonSchema | undefined, target: JsonSchema | undefined): Record<string, unknown> {
  const people = ['actor', 'target', 'recipient'] as const;
  const sample = (schema: JsonSchema | undefined, person: string) => (schema ? sampleOf(schema, '', schema, 0, SAMPLE_PEOPLE[person]) : null);
  const items = people.map((person, i) => ({
    object,
    actor: sample(actor, person),
    target: sample(target, person),
    time: new Date(Date.UTC(2026, 0, 1, 9, 5 * i)).toISOString(),
  }));
  return { count: items.length, items, actors: actor ? items.map((i) => i.actor) : [], truncated: false, left_out: 0 };
}

export function sampleOf(schema: JsonSchema, name = '', root: JsonSchema = schema, depth = 0, person: SamplePerson = SAMPLE_PEOPLE.object!): unknown {
  const node = resolve(root, schema);
  if (node.const !== undefined) return node.const;
  if (node.examples?.[0] !== undefined) return node.examples[0];
  if (node.default !== undefined) return node.default;
  if (node.enum?.[0] !== undefined) return node.enum[0];
  if (depth > MAX_DEPTH) return null;
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? [])].filter((alt) => resolve(root, alt).type !== 'null');
  if (alternatives[0]) return sampleOf(alternatives[0], name, root, depth + 1, person);
  if (node.allOf?.length) {
    return Object.assign({}, ...node.allOf.map((part) => sampleOf(part, name, root, depth + 1, person)).filter((v) => typeof v === 'object' && v !== null));
  }
  const types = node.type === undefined ? [] : (typeof node.type === 'string' ? [node.type] : node.type).filter((t) => t !== 'null');
  const type = types[0] ?? (node.properties ? 'object' : node.items ? 'array' : undefined);
  switch (type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node.properties ?? {})) value[key] = sampleOf(child, key, root, depth + 1, person);
      return value;
    }
    case 'array':
      return node.items ? [sampleOf(node.items, singular(name), root, depth + 1, person)] : [];
    case 'string':
      if (node.format === 'email') return namedStrings(person)[0]![1];
      return (node.format && FORMATS[node.format]) ?? namedStrings(person).find(([pattern]) => pattern.test(name))?.[1] ?? `Sample ${name || 'text'}`;
    case 'integer':
    case 'number':
      return /id$/i.test(name) ? 1 : type === 'integer' ? 3 : 4.5;
    case 'boolean':
      return true;
    default:
      return `Sample ${name || 'value'}`;
  }
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}
