/** How template content is written (and so escaped), and which editor the admin shows for it. */

/**
 * How a backend's template content is written, which decides how variables are escaped:
 *
 * - `html`, `markdown`: escaped for HTML / Markdown; `text`: not escaped.
 * - `blocks`: `{% block subject %}`, `{% block text_body %}`, `{% block html_body %}`.
 * - `fields`: `key: value` lines (the seed's Postmark and JSON webhook content); a line break in a
 *   variable is written `\n`, so a variable can never start a line, and so a field, of its own.
 * - `slack`: Slack mrkdwn; `&`, `<` and `>` in variables are escaped, so a variable cannot
 *   mention `<!channel>` or hide a link.
 * - `slack-blocks`: Block Kit JSON; variables are escaped as for `slack`, then as JSON string content.
 */
export type ContentFormat = 'html' | 'markdown' | 'text' | 'blocks' | 'fields' | 'slack' | 'slack-blocks';

/** Which editor the admin shows for a template's content. */
export type EditorType = 'html' | 'markdown' | 'text' | 'blocks' | 'fields' | 'json';

/** The editor each format implies. */
export const EDITORS: Readonly<Record<ContentFormat, EditorType>> = {
  html: 'html',
  markdown: 'markdown',
  text: 'text',
  blocks: 'blocks',
  fields: 'fields',
  slack: 'text',
  'slack-blocks': 'json',
};
