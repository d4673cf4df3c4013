import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContentFormat } from '../vocabulary/format.ts';
import { ErrorCode, type VoxError } from '../vocabulary/errors.ts';
import { LiquidRenderer as Renderer } from './liquid.ts';

const renderer = new Renderer();
const PER_RECIPIENT = new Set(['recipient', 'contact']);
const shared = { object: { title: 'Fish & <Chips>', items: ['a', 'b'] }, site: { name: 'Blog' } };
const recipients = [{ name: 'Ann' }, { name: '' }, { name: '  spaced  ' }, { name: '<b>Bold</b> & co' }, { name: 'Zoë', vip: true }];

/** Every recipient's parts, rendered whole and prepared. */
async function both(source: string, format: ContentFormat) {
  const prepared = renderer.prepareContent(source, format, shared, PER_RECIPIENT);
  return Promise.all(
    recipients.map(async (recipient) => {
      const variables = { ...shared, recipient, contact: { address: `${recipient.name}@example.org` } };
      return { whole: await renderer.renderContent(source, format, variables), prepared: prepared.render(variables) };
    }),
  );
}

describe('templates prepared for an issue render what the whole template renders', () => {
  const templates: [string, ContentFormat][] = [
    ['<p>Hi {{ recipient.name }},</p>\n<p>{{ object.title }} on {{ site.name }}</p>{% for i in object.items %}<li>{{ i }}</li>{% endfor %}', 'html'],
    ['{% if recipient.vip %}<b>VIP</b>{% endif %} {{ object.title | upcase }} {{ contact.address }}', 'html'],
    ['{%- if object.title -%} {{ object.title }} {%- endif -%}\n{{ recipient.name | default: "friend" }}', 'markdown'],
    ['{% assign who = recipient.name %}{{ object.title }} for {{ who }}', 'text'],
    ['{% capture x %}{{ recipient.name }}{% endcapture %}{{ x | size }}', 'text'],
    ['title: {{ object.title }}\nname: {{ recipient.name }}', 'fields'],
    ['{% block subject %}{{ object.title }} for {{ recipient.name }}{% endblock %}{% block html_body %}<p>{{ recipient.name }}</p>{% endblock %}', 'blocks'],
    ['no variables at all', 'html'],
  ];
  for (const [source, format] of templates) {
    test(`${format}: ${source.slice(0, 50)}`, async () => {
      for (const { whole, prepared } of await both(source, format)) {
        assert.deepEqual(prepared.parts, whole);
        for (const [name, holes] of Object.entries(prepared.holes)) {
          const joined = holes.literals.map((l, i) => (i === 0 ? l : (holes.values[i - 1] ?? '') + l)).join('');
          assert.equal(joined, whole[name], `the holes of ${name} put together are the part`);
        }
      }
    });
  }

  test('the literals are one array for every recipient, so that backends can key work on them', async () => {
    const prepared = renderer.prepareContent('<p>{{ object.title }} for {{ recipient.name }}</p>', 'html', shared, PER_RECIPIENT);
    const a = prepared.render({ ...shared, recipient: { name: 'A' } }).holes.html;
    const b = prepared.render({ ...shared, recipient: { name: 'B' } }).holes.html;
    assert.ok(a && b);
    assert.equal(a.literals, b.literals);
    assert.deepEqual([a.values, b.values], [['A'], ['B']]);
  });

  test('a piece that reads the recipient through a tag gives no holes, only the part', async () => {
    const prepared = renderer.prepareContent('{% if recipient.name %}<b>{{ recipient.name }}</b>{% endif %}{{ object.title }}', 'html', shared, PER_RECIPIENT);
    const rendered = prepared.render({ ...shared, recipient: { name: 'A' } });
    assert.equal(rendered.parts.html, '<b>A</b>Fish &amp; &lt;Chips&gt;');
    assert.equal(rendered.holes.html, undefined);
  });

  test('a failure of the shared pieces fails every recipient, as a render error', () => {
    const small = new Renderer({ memoryLimit: 1000 });
    const prepared = small.prepareContent('{% for i in (1..100000) %}{{ object.title }}{% endfor %} {{ recipient.name }}', 'html', shared, PER_RECIPIENT);
    for (const name of ['A', 'B']) {
      assert.throws(() => prepared.render({ ...shared, recipient: { name } }), (error: VoxError) => error.code === ErrorCode.renderLimit);
    }
  });
});
