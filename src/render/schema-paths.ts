/** Variable paths from Standard Schema / JSON Schema, to check templates and fill the variable picker. */
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** The slice of a JSON Schema used to check template variables. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly definitions?: Readonly<Record<string, JsonSchema>>;
  readonly description?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
}

interface JsonSchemaConverter {
  readonly jsonSchema?: { readonly output?: (options: { target: string; libraryOptions?: Record<string, unknown> }) => Record<string, unknown> };
}

/**
 * The JSON Schema of a Standard Schema's output, through the Standard JSON Schema interface
 * (zod 4, valibot, arktype implement it). Undefined when the library cannot describe itself.
 */
export function jsonSchemaOf(schema: StandardSchemaV1 | undefined): JsonSchema | undefined {
  const props = schema?.['~standard'] as JsonSchemaConverter | undefined;
  const output = props?.jsonSchema?.output;
  if (!output) return undefined;
  try {
    // zod refuses Dates and similar by default; templates see them as strings, which "any" covers.
    return output({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } }) as JsonSchema;
  } catch {
    return undefined;
  }
}

/** Whether `segments` (after the root variable) name something the schema can hold. */
export function pathExists(root: JsonSchema, schema: JsonSchema, segments: readonly (string | number)[]): boolean {
  if (segments.length === 0) return true;
  const resolved = resolve(root, schema);
  const alternatives = [...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  if (alternatives.length > 0 && alternatives.some((alt) => pathExists(root, alt, segments))) return true;
  const [head, ...rest] = segments as [string | number, ...(string | number)[]];
  const types = resolved.type === undefined ? [] : typeof resolved.type === 'string' ? [resolved.type] : resolved.type;
  if (types.length === 0 && alternatives.length === 0 && !resolved.properties && !resolved.items) return true;
  if (types.includes('array') || resolved.items) {
    if (typeof head === 'number' || /^\d+$/.test(String(head)) || head === 'first' || head === 'last') {
      return resolved.items ? pathExists(root, resolved.items, rest) : true;
    }
    if (head === 'size') return rest.length === 0;
  }
  if (types.includes('string') && head === 'size') return rest.length === 0;
  if (types.includes('object') || resolved.properties) {
    const property = resolved.properties?.[String(head)];
    if (property) return pathExists(root, property, rest);
    if (head === 'size' && rest.length === 0) return true;
    const extra = resolved.additionalProperties;
    if (extra === true || (extra === undefined && !resolved.properties)) return true;
    if (extra && typeof extra === 'object') return pathExists(root, extra, rest);
  }
  return false;
}

/** Follows a local `$ref` (`#/$defs/...`) from the root schema; other schemas are returned as they are. */
export function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (!ref?.startsWith('#/')) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return (node as JsonSchema | undefined) ?? {};
}

/** Paths of a schema's properties, down to `depth` levels, for pickers and docs. */
export function schemaPaths(schema: JsonSchema, depth: number, root: JsonSchema = schema, prefix = ''): string[] {
  if (depth <= 0) return [];
  const resolved = resolve(root, schema);
  const paths: string[] = [];
  const branches = [resolved, ...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  for (const branch of branches) {
    for (const [key, child] of Object.entries(resolve(root, branch).properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.push(path, ...schemaPaths(child, depth - 1, root, path));
    }
  }
  return [...new Set(paths)];
}

/** A variable a template may read, for pickers: its path below the root variable, type and description. */
export interface SchemaField {
  /** Dotted path, for example `article.author.name`. */
  readonly path: string;
  /** The JSON type(s), for example `string` or `object`; empty when the schema does not say. */
  readonly type: string;
  readonly description?: string;
}

/** The fields of a schema, nested objects included, down to `depth` levels; arrays offer their first item. */
export function schemaFields(schema: JsonSchema, depth: number, root: JsonSchema = schema, prefix = ''): SchemaField[] {
  if (depth <= 0) return [];
  const resolved = resolve(root, schema);
  const fields = new Map<string, SchemaField>();
  const branches = [resolved, ...(resolved.anyOf ?? []), ...(resolved.oneOf ?? []), ...(resolved.allOf ?? [])];
  for (const branch of branches) {
    const node = resolve(root, branch);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const target = resolve(root, child);
      const type = typeOf(root, target);
      if (!fields.has(path)) fields.set(path, { path, type, ...(target.description ? { description: target.description } : {}) });
      const nested = type === 'array' && target.items ? schemaFields(target.items, depth - 1, root, `${path}.first`) : schemaFields(target, depth - 1, root, path);
      for (const field of nested) if (!fields.has(field.path)) fields.set(field.path, field);
    }
  }
  return [...fields.values()];
}

function typeOf(root: JsonSchema, schema: JsonSchema): string {
  if (schema.type !== undefined) {
    const types = (typeof schema.type === 'string' ? [schema.type] : schema.type).filter((t) => t !== 'null');
    return types.join(' | ');
  }
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].map((alt) => typeOf(root, resolve(root, alt))).filter((t) => t !== '' && t !== 'null');
  if (alternatives.length > 0) return [...new Set(alternatives)].join(' | ');
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return '';
}
