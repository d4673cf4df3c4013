import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as z from 'zod';
import { sampleOf } from './sample-data.ts';
import { jsonSchemaOf, schemaFields, type JsonSchema } from './schema-paths.ts';

const user = z.object({ id: z.number(), name: z.string(), email: z.email() });
const article = z.object({
  slug: z.string(),
  title: z.string(),
  createdAt: z.iso.datetime(),
  status: z.enum(['draft', 'published']),
  tags: z.array(z.object({ label: z.string() })),
  subtitle: z.string().nullable(),
  rating: z.number().default(5),
  author: user,
});

test('sample data from a zod schema reads like a real object', () => {
  const schema = jsonSchemaOf(article) as JsonSchema;
  assert.deepEqual(sampleOf(schema), {
    slug: 'a-sample-title',
    title: 'A sample title',
    createdAt: '2026-01-02T09:30:00.000Z',
    status: 'draft',
    tags: [{ label: 'Sample label' }],
    subtitle: 'A sample title',
    rating: 5,
    author: { id: 1, name: 'Pat Reader', email: 'pat.reader@example.org' },
  });
});

test('sample data follows $ref and stops on recursive schemas', () => {
  const schema: JsonSchema = { $defs: { node: { type: 'object', properties: { name: { type: 'string' }, parent: { $ref: '#/$defs/node' } } } }, $ref: '#/$defs/node' };
  const sample = sampleOf(schema) as { name: string; parent: unknown };
  assert.equal(sample.name, 'Pat Reader');
  let depth = 0;
  for (let node: unknown = sample; node && typeof node === 'object'; node = (node as { parent: unknown }).parent) depth++;
  assert.ok(depth > 2 && depth < 10, `depth ${depth}`);
});

test('schema fields list nested objects to the depth asked, with their types', () => {
  const schema = jsonSchemaOf(z.object({ poster: z.string(), article }))!;
  const fields = schemaFields(schema, 3);
  const paths = fields.map((f) => f.path);
  assert.ok(paths.includes('article.author.email'));
  assert.ok(paths.includes('article.tags.first.label'), 'arrays offer their first item');
  assert.ok(!paths.some((p) => p.split('.').length > 4 || (p.split('.').length > 3 && !p.includes('.first'))), 'no deeper than three levels');
  assert.equal(fields.find((f) => f.path === 'article.subtitle')?.type, 'string');
  assert.equal(fields.find((f) => f.path === 'article.author')?.type, 'object');
  assert.deepEqual(schemaFields(schema, 1).map((f) => f.path), ['poster', 'article']);
});
