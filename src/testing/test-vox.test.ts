/** The app-testing helpers of vox/testing: createTestVox's outbox, drain, issue recording, and what their failed assertions say. */
import assert, { AssertionError } from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { contact } from '../vocabulary/contact.ts';
import { htmlEmail, markdownEmail } from '../backends/email/index.ts';
import { createTestVox, type TestVox, type TestVoxOptions } from './index.ts';

interface Member {
  id: number;
  name: string;
  email: string;
}
interface Post {
  id: number;
  title: string;
  author: Member;
}

/** A transport the captured backends never call: a send that reached it would fail the test. */
const unused = { sendMail: async (): Promise<never> => assert.fail('a test Vox sent through the real transport') };

let vox: TestVox | undefined;
afterEach(async () => {
  await vox?.close();
  vox = undefined;
});

/** A test Vox with a blog: `blog.post.published` goes to the post's readers, by email. */
function blog(options: TestVoxOptions = {}, readers: () => Promise<Member[]> | Member[] = () => [ann, bob]) {
  vox = createTestVox({ backends: [htmlEmail({ transport: unused, from: 'blog@example.org' })], ...options });
  const Member = vox.model('blog.member', { id: (m: Member) => m.id, contacts: { email: (m) => contact(m.name, 'email', m.email) } });
  const Post = vox.model('blog.post', {
    id: (p: Post) => p.id,
    notifications: { published: { description: 'A post was published', actor: Member } },
    channels: { readers: { recipients: Member, resolve: readers } },
  });
  return { vox, Post };
}

const ann: Member = { id: 1, name: 'Ann', email: 'ann@example.org' };
const bob: Member = { id: 2, name: 'Bob', email: 'bob@example.org' };
const post: Post = { id: 7, title: 'Hello', author: ann };

/** Runs `body`, which must throw an AssertionError, and returns its message. */
function failure(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    assert.ok(error instanceof AssertionError, `expected an AssertionError, got ${String(error)}`);
    return error.message;
  }
  return assert.fail('the assertion passed; it should have failed');
}

async function failureOf(body: () => Promise<unknown>): Promise<string> {
  try {
    await body();
  } catch (error) {
    assert.ok(error instanceof AssertionError, `expected an AssertionError, got ${String(error)}`);
    return error.message;
  }
  return assert.fail('the assertion passed; it should have failed');
}

describe('createTestVox', () => {
  test('delivers through the real fan-out, renderer and compose, and captures each message in the outbox', async () => {
    const { vox, Post } = blog({ templates: [{ notification: 'blog.post.published', recipients: ['c:readers'], subject: 'New: {{ object.title }}', content: '<p>Hi {{ recipient.name }}, {{ actor.name }} wrote {{ object.title }}</p>' }] });
    await vox.prepare();
    await Post.notify(post, 'published', { actor: ann });
    await vox.drain();

    const sent = vox.outbox.assertSent({ to: 'bob@example.org', notification: 'blog.post.published', backend: 'email-html', variables: { object: { title: 'Hello' }, actor: { name: 'Ann' } } });
    assert.equal(sent.subject, 'New: Hello');
    assert.match(sent.payload.html ?? '', /Hi Bob, Ann wrote Hello/);
    assert.match(sent.payload.text ?? '', /Hi Bob, Ann wrote Hello/, 'the email backend derived its text part for real');
    assert.equal(vox.outbox.backend('email-html').length, 2);
    vox.outbox.assertSent({ content: /Hi Ann/, subject: /^New:/ }, { times: 1 });
    assert.deepEqual((await vox.messages.list({ status: 'sent' })).map((m) => m.providerMessageId).sort(), vox.outbox.messages.map((m) => `vox-test-${m.id}`).sort());
  });

  test('a template needs only its notification and recipients; with several backends, it names one', async () => {
    const { vox, Post } = blog({ templates: [{ notification: 'blog.post.published', recipients: ['c:readers'] }] });
    await vox.prepare();
    await Post.notify(post, 'published', { actor: ann });
    await vox.drain();
    assert.equal(vox.outbox.assertSent({ to: 'ann@example.org' }).subject, 'A post was published');
    await vox.close();

    const two = blog({ backends: [htmlEmail({ transport: unused }), markdownEmail({ transport: unused })], templates: [{ notification: 'blog.post.published', recipients: ['c:readers'] }] });
    await assert.rejects(two.vox.prepare(), { code: 'VOX_CONFIGURATION', message: /names no backend.*several \(email-html, email-md\)/ });
  });

  test('notify() before prepare() says to call it', async () => {
    const { vox, Post } = blog();
    await assert.rejects(Post.notify(post, 'published', { actor: ann }), { code: 'VOX_CONFIGURATION', message: /^Vox's tables do not exist; in a test, await vox\.prepare\(\) once the app has registered its models$/ });
    await vox.migrate();
    await assert.rejects(Post.notify(post, 'published', { actor: ann }), { code: 'VOX_NOTIFICATION_NOT_SYNCED', message: /not in the database yet.*; in a test, await vox\.prepare\(\) once the app has registered its models$/ });
  });

  test('importing vox/testing does not load node:test, which Vitest and Jest need not resolve', () => {
    const probe = `await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)}); console.log(process.moduleLoadList.filter((m) => m.includes('test_runner')).length);`;
    assert.equal(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }).trim(), '0');
  });

  test('a malformed address is refused as the backend would refuse it, and not captured', async () => {
    const { vox, Post } = blog({ templates: [{ notification: 'blog.post.published', recipients: ['c:readers'] }] }, () => [ann, { id: 3, name: 'Cy', email: 'not an address' }]);
    await vox.prepare();
    await Post.notify(post, 'published', { actor: ann });
    await vox.drain();
    assert.deepEqual(vox.outbox.messages.map((m) => m.to.map((c) => c.address)), [['ann@example.org']]);
    const [failed] = await vox.messages.list({ status: 'failed' });
    assert.equal(failed?.permanent, true);
    vox.outbox.assertNotSent({ to: 'not an address' });
  });

  test('assertSent names what was expected and what was captured', async () => {
    const { vox, Post } = blog({ templates: [{ notification: 'blog.post.published', recipients: ['c:readers'] }] });
    await vox.prepare();
    assert.match(failure(() => vox.outbox.assertSent({ to: 'ann@example.org' })), /expected a message matching \{ to: 'ann@example.org' \}, but nothing was sent \(await vox\.drain\(\)/);

    await Post.notify(post, 'published', { actor: ann });
    await vox.drain();
    const wrongObject = failure(() => vox.outbox.assertSent({ to: 'ann@example.org', variables: { object: { title: 'Goodbye' } } }));
    assert.match(wrongObject, /expected a message matching \{ to: 'ann@example.org', variables: \{ object: \{ title: 'Goodbye' \} \} \}, but none of the 2 captured matches:/);
    assert.match(wrongObject, /#1 email-html blog.post.published to ann@example.org, subject 'A post was published': variables.object.title: expected 'Goodbye', captured 'Hello'/);
    assert.match(wrongObject, /#2 email-html blog.post.published to bob@example.org, .*: to: expected 'ann@example.org', captured \[ 'bob@example.org' \]/);
    assert.match(failure(() => vox.outbox.assertSent({ backend: 'sms' })), /backend: expected 'sms', captured 'email-html'/);
    assert.match(failure(() => vox.outbox.assertSent({ content: 'Goodbye' })), /content: expected to contain 'Goodbye', captured '.*A post was published/);
    assert.match(failure(() => vox.outbox.assertSent({ notification: 'blog.post.published' }, { times: 1 })), /expected 1 message matching .*; 2 matched:\n {2}#1 .*ann@example.org.*\n {2}#2 .*bob@example.org/);
    assert.match(failure(() => vox.outbox.assertNotSent({ to: 'bob@example.org' })), /expected no message matching \{ to: 'bob@example.org' \}, but 1 matched:\n {2}#2 email-html blog.post.published to bob@example.org/);
    assert.match(failure(() => vox.outbox.assertNothingSent()), /expected nothing sent, but 2 messages were:/);

    vox.outbox.clear();
    vox.outbox.assertNothingSent();
  });

  test('a match with a field it does not have, or a times that is not a positive integer, is refused rather than matching everything', async () => {
    const { vox } = blog({ deliver: false, backends: [] });
    await vox.prepare();
    assert.throws(() => vox.outbox.assertNotSent({ recipient: 'ann@example.org' } as never), { code: 'VOX_INVALID_INPUT', message: /outbox.sent: unknown field recipient; a match has backend, notification, to, subject, content, variables/ });
    assert.throws(() => vox.outbox.assertSent({ to: 'ann@example.org' }, { times: 0 }), { code: 'VOX_INVALID_INPUT', message: /times must be a positive integer, got 0; use the assertNot… assertion instead/ });
    await assert.rejects(vox.assertNotIssued({ codename: 'published' } as never), { code: 'VOX_INVALID_INPUT', message: /vox.issued: unknown field codename/ });
    await assert.rejects(vox.assertIssued({}, { times: 1.5 }), { code: 'VOX_INVALID_INPUT' });
    await assert.rejects(vox.drain({ timeoutMs: -1 }), { code: 'VOX_INVALID_INPUT' });
  });

  test('drain says what is still due when it gives up', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const { vox, Post } = blog({ templates: [{ notification: 'blog.post.published', recipients: ['c:readers'] }] }, async () => {
      await held;
      return [ann];
    });
    await vox.prepare();
    const { issueId } = await Post.notify(post, 'published', { actor: ann });
    await assert.rejects(vox.drain({ timeoutMs: 200 }), { code: 'VOX_DELIVERY', message: new RegExp(`still busy after 200 ms: issue ${issueId} \\(blog.post.published\\) is (waiting for|being) fan`) });
    release();
    await vox.drain();
    vox.outbox.assertSent({ to: 'ann@example.org' }, { times: 1 });
  });
});

describe('createTestVox({ deliver: false })', () => {
  test('records issues, committed ones only, and renders and sends nothing', async () => {
    const { vox, Post } = blog({ deliver: false, backends: [] });
    await vox.prepare();
    await Post.notify(post, 'published', { actor: ann });
    const issue = await vox.assertIssued({ notification: 'blog.post.published', object: { id: 7, title: 'Hello' }, actor: { name: 'Ann' } }, { times: 1 });
    assert.equal(issue.status, 'pending', 'nobody fans it out');
    await vox.drain();
    assert.deepEqual(await vox.messages.list(), []);
    vox.outbox.assertNothingSent();
    await vox.assertNotIssued({ object: { id: 8 } });
  });

  test('assertIssued and assertNotIssued name what was expected and what was recorded', async () => {
    const { vox, Post } = blog({ deliver: false, backends: [] });
    await vox.prepare();
    assert.match(await failureOf(() => vox.assertIssued({ notification: 'blog.post.published' })), /expected an issue matching \{ notification: 'blog.post.published' \}, but notify\(\) recorded no issue/);
    await Post.notify(post, 'published', { actor: ann });
    const message = await failureOf(() => vox.assertIssued({ object: { title: 'Goodbye' } }));
    assert.match(message, /expected an issue matching \{ object: \{ title: 'Goodbye' \} \}, but none of the 1 recorded matches:\n {2}issue \d+ blog.post.published about blog.post 7 by blog.member 1: object.title: expected 'Goodbye', captured 'Hello'/);
    assert.match(await failureOf(() => vox.assertNotIssued({ actor: { id: 1 } })), /expected no issue matching \{ actor: \{ id: 1 \} \}, but 1 matched:\n {2}issue \d+ blog.post.published about blog.post 7/);
    assert.match(await failureOf(() => vox.assertIssued({ notification: 'blog.post.published' }, { times: 2 })), /expected 2 issues matching .*; 1 matched/);
  });
});
