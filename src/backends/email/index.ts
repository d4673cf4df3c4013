/** `vox/backends/email`: the HTML, Markdown, plain-text and block email backends. */
import type { Backend } from '../../vocabulary/backend.ts';
import { emailBackend, type EmailBackendOptions } from './core.ts';
import { markdownRenderer } from './markdown.ts';
import { htmlToText, textPart } from './text-part.ts';

export type { EmailBackendOptions, MailAddress, MailMessage, MailSendInfo, MailTransport, RawMailMessage } from './core.ts';
export { messageIdOf } from './core.ts';

/**
 * HTML email (`email-html`): content is HTML; the text part is generated from it.
 *
 * @example
 * htmlEmail({ transport: nodemailer.createTransport({ host: 'smtp.example.org' }), from: 'blog@example.org' })
 */
export function htmlEmail(options: EmailBackendOptions): Backend {
  return emailBackend({ id: 'email-html', label: 'HTML email', format: 'html' }, options, ({ subject, parts, holes }) => {
    const html = parts.html ?? '';
    return { subject, html, text: textPart(html, holes?.html) };
  });
}

/**
 * Markdown email (`email-md`): content is Markdown (raw HTML is not allowed); HTML and text parts
 * are generated. Bare web addresses become links to themselves.
 */
export function markdownEmail(options: EmailBackendOptions): Backend {
  const markdown = markdownRenderer();
  return emailBackend({ id: 'email-md', label: 'Markdown email', format: 'markdown' }, options, ({ subject, parts }) => {
    const html = markdown.render(parts.markdown ?? '');
    return { subject, html, text: htmlToText(html) };
  });
}

/**
 * Block-template email (`email`): content defines `{% block subject %}`, `{% block text_body %}`
 * and `{% block html_body %}`. A subject block wins over the subject field; a missing text body
 * is generated from the HTML body.
 */
export function templateEmail(options: EmailBackendOptions): Backend {
  return emailBackend({ id: 'email', label: 'Block-template email', format: 'blocks' }, options, ({ subject, parts }) => {
    const html = parts.html_body?.trim() ? parts.html_body : undefined;
    const text = parts.text_body?.trim() ? parts.text_body : html === undefined ? '' : htmlToText(html);
    return { subject: parts.subject || subject, text, ...(html === undefined ? {} : { html }) };
  });
}
