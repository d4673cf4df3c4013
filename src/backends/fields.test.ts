import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Renderer } from '../render/renderer.ts';
import { parseFields } from './fields.ts';

const renderer = new Renderer();
const fieldsOf = async (source: string, variables: Record<string, unknown>) => parseFields((await renderer.renderContent(source, 'fields', variables)).fields ?? '');

test('key: value lines become an object, as in the seed’s example', async () => {
  assert.deepEqual(await fieldsOf('parameter_one: {{ content.attribute }}\nparameter_two: Hello World\n', { content: { attribute: 'x: y' } }), { parameter_one: 'x: y', parameter_two: 'Hello World' });
});

test('a variable’s line breaks stay in its value and cannot add a field', async () => {
  const title = 'Spring\nadmin: true\r\nC:\\new';
  assert.deepEqual(await fieldsOf('title: {{ title }}\nby: Ann', { title }), { title, by: 'Ann' });
});

test('Liquid tags may choose lines, and a key such as __proto__ stays a plain field', async () => {
  const fields = await fieldsOf('{% if early %}early: yes\n{% endif %}{% if late %}late: yes\n{% endif %}__proto__: x', { early: true, late: false });
  assert.deepEqual(Object.keys(fields), ['early', '__proto__']);
  assert.equal(Object.getPrototypeOf(fields), Object.prototype);
});

test('a template line without a written-out key is a syntax problem with its line', () => {
  assert.deepEqual(renderer.syntaxProblems('content', 'a: 1\n{% if x %}\nno key here\n{{ k }}: v\n{% endif %}', 'fields').map((p) => p.line), [3, 4]);
  assert.deepEqual(renderer.syntaxProblems('content', 'a: 1\n\n{% if x %}b: {{ x }}{% endif %}', 'fields'), []);
});
