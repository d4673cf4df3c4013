import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LiquidRenderer as Renderer } from '../../render/liquid.ts';
import { htmlToText, textPart } from './text-part.ts';

const renderer = new Renderer();
const PER_RECIPIENT = new Set(['recipient']);
const object = { title: 'Spring news', slug: 'spring-news' };

/** The text part of each recipient's message, the fast way and html-to-text's. */
function texts(source: string, names: readonly string[]) {
  const prepared = renderer.prepareContent(source, 'html', { object }, PER_RECIPIENT);
  return names.map((name, i) => {
    const { parts, holes } = prepared.render({ object, recipient: { name, token: `t${i}${'x'.repeat(i % 50)}` } });
    const html = parts.html ?? '';
    return { fast: textPart(html, holes.html), exact: htmlToText(html), name };
  });
}

const NAMES = ['Ann', 'Bob Smith', '  padded ', '', 'Tom & Jerry <3', 'A very long name that goes on and on and on and on beyond the width', 'Zoë\nNew line', 'x'.repeat(120), 'Ümlaut', '"quoted"', "it's"];

describe('text parts derived once per template', () => {
  const templates = [
    '<p>Hi {{ recipient.name }},</p>\n<p>{{ object.title }} is out: <a href="https://blog.example/articles/{{ object.slug }}?token={{ recipient.token }}">read it on the blog</a>.</p>\n' +
      Array.from({ length: 60 }, (_, k) => `<p>${k % 10 === 0 ? 'On {{ object.title }}, part.' : 'Short note.'}</p>`).join('\n'),
    '<h1>Hello {{ recipient.name }}</h1><p>Dear {{ recipient.name }}, this is a long paragraph about {{ object.title }} that will surely need to be wrapped at seventy-eight characters wide.</p>',
    '<ul><li>{{ recipient.name }}</li><li>two</li></ul><blockquote>{{ recipient.name }} said something long enough to wrap around the width of the text part here</blockquote>',
    '<table><tr><th>{{ recipient.name }}</th><td>{{ object.title }}</td></tr></table>',
    '<a href="{{ recipient.name }}">{{ recipient.name }}</a> <img alt="{{ recipient.name }}" src="x.png">',
  ];
  for (const source of templates) {
    test(`equals html-to-text's text for every recipient: ${source.slice(0, 40)}`, () => {
      for (const { fast, exact, name } of texts(source, NAMES)) assert.equal(fast, exact, `recipient ${JSON.stringify(name)}`);
    });
  }

  test('after the first message of a template, the text comes from the holes, not from converting the HTML again', () => {
    const prepared = renderer.prepareContent('<p>Hi {{ recipient.name }},</p><p>{{ object.title }}</p>', 'html', { object }, PER_RECIPIENT);
    const first = prepared.render({ object, recipient: { name: 'Ann' } });
    assert.equal(textPart(first.parts.html ?? '', first.holes.html), 'Hi Ann,\n\nSpring news');
    const second = prepared.render({ object, recipient: { name: 'Bob' } });
    // The HTML handed in is not what the holes make: only the fast way ignores it.
    assert.equal(textPart('<p>something else</p>', second.holes.html), 'Hi Bob,\n\nSpring news');
  });

  test("lines are at most MIME's 76 characters, so that an ASCII text part needs no quoted-printable", () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    for (const { fast, name } of texts(`<p>{{ recipient.name }} ${words}</p><p>${words}</p>`, ['Ann', 'Bob Smith'])) {
      const lines = fast.split('\n');
      assert.ok(lines.length > 4, `recipient ${name}: wrapped`);
      for (const line of lines) assert.ok(line.length <= 76, `recipient ${name}: ${JSON.stringify(line)} is ${line.length} long`);
      assert.ok(lines.some((line) => line.length >= 70), 'lines are filled up to the width');
    }
  });

  test('without holes, the text is html-to-text of the HTML', () => {
    assert.equal(textPart('<p>Hi <b>there</b></p>', undefined), htmlToText('<p>Hi <b>there</b></p>'));
  });
});
