import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { ContentFormat } from '../vocabulary/format.ts';
import { LiquidRenderer } from './liquid.ts';
import { Renderer, type MessageFields, type PreparedMessages, type RenderedMessage } from './renderer.ts';

const PER_RECIPIENT = ['recipient', 'contact'];
const shared = { object: { title: 'Fish & <Chips>', slug: 'fish' } };
/** What the render thread runs, here on the test's thread: the reference the host's printing must match. */
const renderer = new LiquidRenderer();

/** Recipients whose values need escaping, or are numbers, booleans, nothing, or missing. */
const hostile = [
  { recipient: { name: '<script>alert("x")</script> & \'co\'', token: 'a&b' }, contact: { address: 'a@example.com' } },
  { recipient: { name: 42, token: true }, contact: { address: null } },
  { recipient: { name: '\\back\nslash\r', token: '*_[x](y)<z>|#~' }, contact: {} },
  { recipient: {}, contact: { address: '' } },
  { recipient: null, contact: { address: 'x' } },
];

/** Runs `work` with a renderer of its own, whose render thread is ended afterwards. */
async function withRenderer<T>(work: (own: Renderer) => Promise<T>, limits: ConstructorParameters<typeof Renderer>[0] = {}): Promise<T> {
  const own = new Renderer(limits);
  try {
    return await work(own);
  } finally {
    await own.close();
  }
}

/** Renders `list` in two batches: the first on the render thread, which is then ended; reports whether the second started it again. */
async function twoBatches(fields: MessageFields, list: readonly Record<string, unknown>[]): Promise<{ messages: (RenderedMessage | VoxError)[]; threadAgain: boolean; prepared: PreparedMessages }> {
  return withRenderer(async (own) => {
    const prepared = own.prepare(fields, shared, PER_RECIPIENT);
    const first = await prepared.renderMany([{ recipient: { name: 'First', token: 't0' }, contact: { address: 'first@example.com' } }]);
    assert.ok(!(first[0] instanceof VoxError), String(first[0]));
    await own.close();
    const messages = await prepared.renderMany(list);
    return { messages, threadAgain: own.threadRunning, prepared };
  }, { outputLimit: 200 });
}

/** What rendering the whole template gives for each entry, with the engine the render thread runs. */
async function whole(fields: MessageFields, variables: Record<string, unknown>) {
  const all = { ...shared, ...variables };
  return {
    subject: fields.subject === undefined ? '' : await renderer.renderSubject(fields.subject, all),
    parts: await renderer.renderContent(fields.content, fields.format, all),
  };
}

describe('a fan-out whose per-recipient outputs are plain variables is made on the host, as the render thread makes it', () => {
  const cases: [ContentFormat, string][] = [
    ['html', '<p>Hi {{ recipient.name }},</p><a href="/a/{{ object.slug }}?t={{ recipient.token }}">{{ object.title }}</a> to {{ contact.address }}{{ recipient.missing.deeper }} {{ recipient.name.length }}{{ recipient.token.title }}{{ object.title.length }}'],
    ['text', 'Hi {{ recipient.name }} ({{ recipient.token }}) about {{ object.title }}'],
    ['fields', 'name: {{ recipient.name }}\ntoken: {{ recipient.token }}'],
    ['slack', '*{{ object.title }}* for {{ recipient.name }} {{ recipient.token }}'],
    ['slack-blocks', '[{"type":"section","text":{"type":"mrkdwn","text":"{{ recipient.name }} {{ recipient.token }}"}}]'],
    ['blocks', '{% block subject %}About {{ object.title }}{% endblock %}{% block text_body %}Hi {{ recipient.name }}{% endblock %}{% block html_body %}<b>{{ recipient.name }}</b>{% endblock %}'],
    ['markdown', '# {{ object.title }}\n\nNothing per recipient here.'],
  ];
  for (const [format, content] of cases) {
    test(format, async () => {
      const fields = { subject: 'New: {{ object.title }}', content, format };
      const { messages, threadAgain } = await twoBatches(fields, hostile);
      assert.equal(threadAgain, false, 'the second batch needed no render thread');
      for (const [i, message] of messages.entries()) {
        assert.ok(!(message instanceof VoxError), String(message));
        const expected = await whole(fields, hostile[i]!);
        assert.equal(message.subject, expected.subject);
        assert.deepEqual(message.parts, expected.parts);
        for (const [part, holes] of Object.entries(message.holes)) {
          let text = holes.literals[0] ?? '';
          holes.values.forEach((value, j) => (text += value + (holes.literals[j + 1] ?? '')));
          assert.equal(text, message.parts[part], `the holes of ${part} make its text`);
        }
      }
    });
  }
});

describe('what the host does not print goes to the render thread', () => {
  test('values that are not strings, numbers or booleans (a date, a list, an object)', async () => {
    const fields = { content: '<p>{{ recipient.name }}</p>', format: 'html' as const };
    for (const name of [new Date(0), ['a', '<b>'], { first: 'x' }]) {
      const { messages, threadAgain } = await twoBatches(fields, [{ recipient: { name } }]);
      assert.equal(threadAgain, true);
      assert.deepEqual((messages[0] as RenderedMessage).parts, (await whole(fields, { recipient: { name } })).parts);
    }
  });

  test('values reached through something other than a plain object', async () => {
    class Person {
      name = 'Ann';
    }
    const fields = { content: '<p>{{ recipient.name }}</p>', format: 'html' as const };
    const { messages, threadAgain } = await twoBatches(fields, [{ recipient: new Person() }]);
    assert.equal(threadAgain, true);
    assert.equal((messages[0] as RenderedMessage).parts.html, '<p>Ann</p>');
  });

  test('outputs with filters, Liquid\'s own names (size, first), a per-recipient subject, a per-recipient Markdown body', async () => {
    const list = [{ recipient: { name: 'Bob', tags: ['x', 'y'] } }];
    for (const fields of [
      { content: '<p>{{ recipient.name | upcase }}</p>', format: 'html' as const },
      { content: '<p>{{ recipient.tags.size }} {{ recipient.tags.first }}</p>', format: 'html' as const },
      { subject: 'Hi {{ recipient.name }}', content: '<p>{{ recipient.name }}</p>', format: 'html' as const },
      { content: '*{{ recipient.name }}*', format: 'markdown' as const },
    ]) {
      const { messages, threadAgain } = await twoBatches(fields, list);
      assert.equal(threadAgain, true, fields.content);
      const expected = await whole(fields, list[0]!);
      assert.deepEqual((messages[0] as RenderedMessage).parts, expected.parts);
    }
  });
});

test('a part printed on the host over the output limit fails with VOX_RENDER_LIMIT, and so does the rest of the fan-out', async () => {
  const fields = { content: '<p>{{ recipient.name }}</p>', format: 'html' as const };
  const { messages, threadAgain, prepared } = await twoBatches(fields, [{ recipient: { name: 'ok' } }, { recipient: { name: 'x'.repeat(300) } }, { recipient: { name: 'ok' } }]);
  assert.equal(threadAgain, false);
  assert.equal((messages[0] as RenderedMessage).parts.html, '<p>ok</p>');
  const failed = messages[1] as VoxError;
  assert.equal(failed.code, ErrorCode.renderLimit);
  assert.match(failed.message, /the rendered content \(html\) has 307 characters, over the limit of 200 \(limits\.render\.outputLimit\)/);
  const after = messages[2] as VoxError;
  assert.equal(after.code, ErrorCode.renderLimit);
  assert.match(after.message, /remaining messages in this fan-out were not rendered/);
  const [later] = await prepared.renderMany([{ recipient: { name: 'ok' } }]);
  assert.match((later as VoxError).message, /over the limit of 200 .*remaining messages in this fan-out were not rendered/);
});

describe('a template of text and plain variables only is printed on the host from the first message', () => {
  const list = [...hostile, { recipient: { name: 'Dee', token: 't' } }];
  const cases: [string, MessageFields][] = [
    ['HTML, with shared values to escape, whitespace control and a missing value', { subject: 'New:\n  {{ object.title }}  ', content: '<p>Hi {{- recipient.name -}} !</p>\n{{ object.title }} [{{ object.missing }}] <a href="?t={{ recipient.token }}">x</a>', format: 'html', fromAddress: ' News <news@example.com> ' }],
    ['plain text', { subject: 'New', content: '{{ object.title }} for {{ recipient.name }}', format: 'text' }],
    ['fields', { content: 'title: {{ object.title }}\nname: {{ recipient.name }}', format: 'fields' }],
    ['own properties only', { content: '[{{ recipient.constructor }}][{{ recipient.__proto__ }}][{{ recipient.toString }}][{{ recipient.hasOwnProperty }}][{{ object.constructor.name }}]', format: 'text' }],
  ];
  for (const [name, fields] of cases) {
    test(name, async () => {
      await withRenderer(async (own) => {
        const messages = await own.prepare(fields, shared, PER_RECIPIENT).renderMany(list);
        assert.equal(own.threadRunning, false, 'no render thread was started');
        for (const [i, message] of messages.entries()) {
          assert.ok(!(message instanceof VoxError), String(message));
          const expected = await whole(fields, list[i]!);
          assert.equal(message.subject, expected.subject);
          assert.deepEqual(message.parts, expected.parts);
          if (fields.fromAddress) assert.equal(message.fromAddress, await renderer.renderText(fields.fromAddress, { ...shared, ...list[i] }));
        }
      });
    });
  }

  test('but not with a tag, a filter, a Liquid literal, a per-recipient subject, a shared value the host does not print, or Markdown', async () => {
    for (const fields of [
      { content: '{% if recipient.name %}{{ recipient.name }}{% endif %}', format: 'html' as const },
      { content: '{{ object.title | upcase }} {{ recipient.name }}', format: 'html' as const },
      { content: '{{ true }}{{ nil }}{{ empty }} {{ recipient.name }}', format: 'html' as const },
      { subject: 'Hi {{ recipient.name }}', content: '{{ recipient.name }}', format: 'html' as const },
      { content: '{{ object.tags }} {{ recipient.name }}', format: 'html' as const },
      { content: '{{ recipient.name }}', format: 'markdown' as const },
    ]) {
      const variables = { ...shared, object: { ...shared.object, tags: ['<a>', 'b'] } };
      await withRenderer(async (own) => {
        const [message] = await own.prepare(fields, variables, PER_RECIPIENT).renderMany([{ recipient: { name: 'Ann' } }]);
        assert.equal(own.threadRunning, true, fields.content);
        assert.deepEqual((message as RenderedMessage).parts, await renderer.renderContent(fields.content, fields.format, { ...variables, recipient: { name: 'Ann' } }));
      });
    }
  });
});

describe('a single render (a template saved or previewed) of text and plain variables starts no render thread', () => {
  const variables = { ...shared, ...hostile[0]! };
  const cases: [ContentFormat, string][] = [
    ['html', '<p>Hi {{ recipient.name }}</p> {{ object.title }} {{ contact.missing }}'],
    ['text', 'Hi {{ recipient.name }} about {{ object.title }}'],
    ['fields', 'name: {{ recipient.name }}'],
    ['slack', '*{{ object.title }}* {{ recipient.name }}'],
    ['slack-blocks', '[{"type":"section","text":{"type":"mrkdwn","text":"{{ recipient.name }}"}}]'],
  ];
  for (const [format, content] of cases) {
    test(format, async () => {
      await withRenderer(async (own) => {
        assert.deepEqual(await own.renderContent(content, format, variables), await renderer.renderContent(content, format, variables));
        assert.equal(await own.renderSubject('New:\n {{ object.title }} ', variables), await renderer.renderSubject('New:\n {{ object.title }} ', variables));
        assert.equal(await own.renderText(' {{ recipient.name }} <a@example.com> ', variables), await renderer.renderText(' {{ recipient.name }} <a@example.com> ', variables));
        assert.equal(own.threadRunning, false);
      });
    });
  }

  test('a tag, a filter or Markdown renders on the thread, with the same output', async () => {
    for (const [source, format] of [['{% if recipient.name %}<b>{{ recipient.name }}</b>{% endif %}', 'html'], ['{{ recipient.name | upcase }}', 'text'], ['*{{ object.title }}*', 'markdown']] as const) {
      await withRenderer(async (own) => {
        assert.deepEqual(await own.renderContent(source, format, variables), await renderer.renderContent(source, format, variables));
        assert.equal(own.threadRunning, true, source);
      });
    }
  });

  test('a plain field over the output limit fails as the thread fails it', async () => {
    await withRenderer(async (own) => {
      await assert.rejects(own.renderContent('{{ recipient.name }} and more', 'text', variables), (error: VoxError) => error.code === ErrorCode.renderLimit);
    }, { outputLimit: 10 });
  });
});
