/**
 * What a Markdown email shows for text that comes from variables, as received by a real SMTP
 * server: a variable never makes a link whose target differs from its visible text, a web
 * address in a variable shows verbatim and links (if at all) to the whole address, and
 * escaping never shows, inside code either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { contact, createVox, type Vox } from '../src/index.ts';
import { markdownEmail } from '../src/backends/email/index.ts';
import { startSmtp, type TestSmtp } from './support/smtp.ts';

interface Post {
  id: number;
  fields: Record<string, unknown>;
}

const decode = (html: string) =>
  html.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');

/** Every link of an HTML body as [target, visible text]. */
function links(html: string): [string, string][] {
  return [...html.matchAll(/<a href="([^"]*)">([\s\S]*?)<\/a>/g)].map((m) => [decode(m[1]!), decode(m[2]!.replace(/<[^>]*>/g, ''))]);
}

describe('Markdown email: what a variable shows is what it links to', () => {
  let smtp: TestSmtp;
  let vox: Vox;
  let Post: ReturnType<typeof register>;

  function register(v: Vox) {
    return v.model('site.post', {
      id: (p: Post) => p.id,
      notifications: { published: 'A post was published' },
      channels: { self: true },
      contacts: { email: () => contact('Ed', 'email', 'ed@example.org') },
    });
  }

  before(async () => {
    smtp = await startSmtp();
    vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [markdownEmail({ transport: smtp.transport, from: 'site@example.org' })] });
    Post = register(vox);
    await vox.migrate();
    await vox.sync();
  });
  after(async () => {
    await vox.close();
    await smtp.close();
  });

  /** Sends one Markdown email whose content is `content`, with `fields` as the object, and returns what arrived. */
  async function send(content: string, fields: Record<string, unknown>, subject = 'News') {
    const { template } = await vox.templates.save({ notification: 'site.post.published', backend: 'email-md', recipients: ['c'], subject, content });
    const before = smtp.received.length;
    await (await Post.notify({ id: before + 1, fields }, 'published')).settled();
    await vox.templates.delete(template.id);
    assert.equal(smtp.received.length, before + 1, 'one email arrived');
    const mail = smtp.received[before]!;
    return { html: String(mail.parsed.html), text: mail.parsed.text ?? '', subject: mail.parsed.subject ?? '' };
  }

  test('a web address in a variable shows verbatim and links to the whole address', async () => {
    const url = 'https://example.org/docs/v1.2/read_me.html';
    const { html, text } = await send('Read: {{ object.fields.url }}\n\nAlso {{ object.fields.note }}', { url, note: 'see http://evil.example/path' });
    assert.deepEqual(links(html), [
      [url, url],
      ['http://evil.example/path', 'http://evil.example/path'],
    ]);
    assert.match(text, /Read: https:\/\/example\.org\/docs\/v1\.2\/read_me\.html/);
    assert.doesNotMatch(html + text, /\\/);
  });

  test('Markdown link syntax in a variable prints as typed, and any link it holds points where its text says', async () => {
    const title = '[l](http://e) and ![i](http://img.example/x.png) <http://a.example> *not bold* _nor this_';
    const { html } = await send('# {{ object.fields.title }}', { title });
    assert.equal(decode(html.replace(/<a href="[^"]*">|<\/a>/g, '')).trim(), `<h1>${title}</h1>`);
    for (const [target, visible] of links(html)) assert.equal(target, visible);
    assert.doesNotMatch(html, /<img|<em>|<strong>/);
  });

  test('an address is shown as written, not decoded: punycode and percent-escapes stay', async () => {
    const url = 'https://xn--80ak6aa92e.com/%41b';
    const { html } = await send('Go to {{ object.fields.url }}', { url });
    assert.deepEqual(links(html), [[url, url]]);
  });

  test('escapes never show, in text, in code spans and in fenced code', async () => {
    const code = 'a_b*c.d [x](y) #1 <b> & `q`';
    const line = '1. not a list item';
    const { html } = await send('`{{ object.fields.code }}`\n\n```\n{{ object.fields.code }}\n```\n\n{{ object.fields.line }}\n\n- {{ object.fields.code }}', { code, line });
    const codes = [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => decode(m[1]!).trim());
    assert.equal(codes.length, 2);
    assert.equal(codes[1], code);
    assert.equal(codes[0], code.replace(/`/g, 'ˋ'));
    assert.match(decode(html), /<p>1\. not a list item<\/p>/);
    assert.match(decode(html), /<li>a_b\*c\.d \[x\]\(y\) #1 <b> & `q`<\/li>/);
    assert.doesNotMatch(html, /<ol|<em>|<h1/);
    assert.doesNotMatch(html, /\\/);
  });

  test('a variable cannot end a code span or fence and then make a link', async () => {
    const code = 'x`\n\n[l](http://evil.example)\n```\n[m](http://evil.example)';
    const { html } = await send('`{{ object.fields.code }}`\n\n```\n{{ object.fields.code }}\n```', { code });
    for (const [target, visible] of links(html)) assert.equal(target, visible);
    assert.doesNotMatch(html, /\\/);
  });

  test('an object printed in a plain-text field shows what the HTML field shows, not [object Object]', async () => {
    const { subject, html } = await send('By {{ object.fields.author }}', { author: { name: 'Ann' } }, 'By {{ object.fields.author }}');
    assert.equal(subject, 'By {"name":"Ann"}');
    assert.match(decode(html), /By \{"name":"Ann"\}/);
  });
});
