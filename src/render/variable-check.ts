/**
 * Checking the variables a template reads against what it will be given: each root variable's
 * schemas (the models' schemas for `object`, `actor`, `target` and `recipient`; fixed ones for
 * `contact`, `site` and `notification`), with the nearest known name suggested for a typo.
 */
import type { TemplateProblem } from '../vocabulary/errors.ts';
import { pathExists, resolve, type JsonSchema } from './schema-paths.ts';
import type { TemplateVariable } from './renderer.ts';

/** What `contact` holds: the contact a message goes to. */
export const CONTACT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, protocol: { type: 'string' }, address: { type: 'string' } },
  additionalProperties: false,
};
/** What `notification` holds. */
export const NOTIFICATION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, model: { type: 'string' }, codename: { type: 'string' }, description: { type: 'string' } },
  additionalProperties: false,
};
/** What `site` holds: the site options of `createVox`. */
export const SITE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { baseUrl: { type: 'string', format: 'uri' }, name: { type: 'string' } },
  additionalProperties: false,
};
/** What `unsubscribe_url` and `preferences_url` hold: a link, empty when no preference center is configured. */
export const LINK_SCHEMA: JsonSchema = { type: 'string', format: 'uri' };
/** The per-recipient links to the preference center, which messages to one recipient have (bulk ones do not). */
export const RECIPIENT_LINKS = ['unsubscribe_url', 'preferences_url'] as const;
/** A value whose shape nobody declared: any path may exist. */
export const ANYTHING: JsonSchema = {};

/** What `digest` holds in a digest notification's templates, given the schemas of its object, actor and target. */
export function digestSchema(object: JsonSchema, actor: JsonSchema | undefined, target: JsonSchema | undefined): JsonSchema {
  return {
    type: 'object',
    properties: {
      count: { type: 'integer' },
      items: {
        type: 'array',
        items: { type: 'object', properties: { object, actor: actor ?? { type: 'null' }, target: target ?? { type: 'null' }, time: { type: 'string', format: 'date-time' } }, additionalProperties: false },
      },
      actors: { type: 'array', items: actor ?? { type: 'null' } },
      truncated: { type: 'boolean' },
      left_out: { type: 'integer' },
    },
    additionalProperties: false,
  };
}

/**
 * The problem with one variable of `field`, or undefined when one of its root's schemas has the
 * path. `hint` is added when the root itself is unknown.
 */
export function variableProblem(field: string, variable: TemplateVariable, roots: ReadonlyMap<string, readonly JsonSchema[]>, hint = ''): TemplateProblem | undefined {
  const [root, ...path] = variable.segments;
  const name = variable.segments.join('.');
  const at = { field, line: variable.line, column: variable.column };
  const schemas = roots.get(String(root));
  if (!schemas) {
    const near = nearest(String(root), [...roots.keys()]);
    return { ...at, message: `unknown variable ${name}${near ? `: did you mean ${[near, ...path].join('.')}?` : hint}` };
  }
  const segments = path.map((p) => (p === '*' ? 0 : p));
  if (schemas.some((schema) => pathExists(schema, schema, segments))) return undefined;
  const suggestion = schemas.map((schema) => suggest(schema, segments)).find((s) => s !== undefined);
  return { ...at, message: `unknown variable ${name}${suggestion ? `: did you mean ${[root, ...suggestion].join('.')}?` : ''}` };
}

/** The path with its first unknown segment replaced by the nearest property name, if one is near. */
function suggest(root: JsonSchema, segments: readonly (string | number)[]): (string | number)[] | undefined {
  for (let i = segments.length - 1; i >= 0; i--) {
    const known = segments.slice(0, i);
    if (!pathExists(root, root, known)) continue;
    const names = propertiesAt(root, known);
    const near = nearest(String(segments[i]), names);
    if (!near) return undefined;
    const fixed = [...known, near, ...segments.slice(i + 1)];
    return pathExists(root, root, fixed) ? fixed : [...known, near];
  }
  return undefined;
}

/** Property names of the object a path leads to (through alternatives and array items). */
function propertiesAt(root: JsonSchema, path: readonly (string | number)[]): string[] {
  let nodes: JsonSchema[] = [root];
  for (const segment of path) {
    nodes = expand(root, nodes).flatMap((n) => {
      if (typeof segment === 'number' || /^\d+$/.test(String(segment)) || segment === 'first' || segment === 'last') return n.items ? [n.items] : [];
      const child = n.properties?.[String(segment)];
      return child ? [child] : [];
    });
  }
  return [...new Set(expand(root, nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

function expand(root: JsonSchema, nodes: readonly JsonSchema[]): JsonSchema[] {
  return nodes.flatMap((node) => {
    const n = resolve(root, node);
    return [n, ...[...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])].map((alt) => resolve(root, alt))];
  });
}

/** The candidate within a small edit distance of `word` (a third of its length, at least 1), nearest first. */
function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
