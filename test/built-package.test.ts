// The package as npm users get it: compiled to JavaScript with the package's build settings. Its
// renderer must find the render thread's compiled module (thread.js, not thread.ts) and render
// there, as it does from the TypeScript sources that the other tests use.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import type * as Index from '../src/index.ts';
import type * as Email from '../src/backends/email/index.ts';

const root = join(import.meta.dirname, '..');
let out: string | undefined;

after(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

test('the built package renders templates on its render thread and sends them', { timeout: 120_000 }, async () => {
  // Inside the repository, so that the compiled modules find node_modules as an installed package does.
  await mkdir(join(root, '.vox-test'), { recursive: true });
  out = await mkdtemp(join(root, '.vox-test', 'built-'));
  await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out]);
  const { createVox } = (await import(join(out, 'index.js'))) as typeof Index;
  const { htmlEmail } = (await import(join(out, 'backends/email/index.js'))) as typeof Email;
  const sent: Email.MailMessage[] = [];
  const transport: Email.MailTransport = {
    sendMail: async (mail) => {
      if ('raw' in mail) throw new Error('a raw message was not expected');
      sent.push(mail);
      return { messageId: '<1@example.org>' };
    },
  };
  const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport, from: 'a@example.org' })], worker: { sweepIntervalMs: 50 } });
  try {
    const Member = vox.model('club.member', { id: (m: { id: number; name: string }) => m.id, notifications: { joined: 'Joined' }, channels: { self: true }, contacts: { email: (m) => `m${m.id}@example.org` } });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'club.member.joined', backend: 'email-html', recipients: ['c'], subject: 'Welcome {{ recipient.name }}', content: '<p>Hi {{ recipient.name | upcase }}</p>' });
    const result = await (await Member.notify({ id: 1, name: 'Ann' }, 'joined')).settled();
    assert.equal(result.messages[0]?.status, 'sent');
    assert.deepEqual(sent.map((m) => [m.subject, m.html]), [['Welcome Ann', '<p>Hi ANN</p>']]);
  } finally {
    await vox.close();
  }
});
