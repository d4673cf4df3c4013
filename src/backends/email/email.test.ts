import { testBackendContract } from '../../testing/backend-contract.ts';
import { startSmtp } from '../../../test/support/smtp.ts';
import type { Backend } from '../../vocabulary/backend.ts';
import type { RenderedTemplate } from '../../vocabulary/payload.ts';
import { htmlEmail, markdownEmail, templateEmail, type EmailBackendOptions } from './index.ts';

const cases: readonly [string, (options: EmailBackendOptions) => Backend, RenderedTemplate][] = [
  ['email-html', htmlEmail, { subject: 'Hello', parts: { html: '<p>Hello <b>there</b></p>' } }],
  ['email-md', markdownEmail, { subject: 'Hello', parts: { markdown: 'Hello **there**' } }],
  ['email (blocks)', templateEmail, { subject: 'Hello', parts: { text_body: 'Hello there', html_body: '<p>Hello there</p>' } }],
];

for (const [name, make, rendered] of cases) {
  testBackendContract(name, async () => {
    const smtp = await startSmtp();
    // One refusal, at RCPT TO, for the next message only.
    let refusal: { code: number; message: string } | undefined;
    smtp.refuse(() => {
      const reply = refusal;
      refusal = undefined;
      return reply;
    });
    return {
      backend: make({ transport: smtp.transport, from: 'vox@example.org' }),
      address: 'ann@example.org',
      rendered,
      providerIds: true,
      invalidAddresses: ['ann', 'ann@', 'Ann <ann@example.org>', 'ann@example.org, bob@example.org'],
      failNext(kind) {
        refusal = kind === 'permanent' ? { code: 550, message: 'No such user' } : { code: 451, message: 'Try again later' };
      },
      delivered: () => smtp.received.length,
      close: () => smtp.close(),
    };
  });
}
