/** Escaping variables for each content format: HTML, Slack, fields, JSON strings (Markdown: markdown-escape.ts). */
import type { ContentFormat } from '../vocabulary/format.ts';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Escapes a variable inside a `key: value` line: backslashes and line breaks are written `\\`,
 * `\n` and `\r`, so the value stays on its line; {@link unescapeField} reads them back.
 */
export function escapeField(text: string): string {
  return text.replace(/[\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\\\'));
}

/** Reads a `key: value` line's value back: `\\`, `\n` and `\r` become what they stand for; other backslashes stay. */
export function unescapeField(text: string): string {
  return text.replace(/\\([\\nr])/g, (_match, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/** Escapes text for Slack mrkdwn: `&`, `<` and `>`, the characters of Slack's control sequences. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Escapes text as the inside of a JSON string. */
export function escapeJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Subjects are single lines: line breaks (and the blanks around them) fold into one space. */
export function foldLines(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Liquid hands escapers any value; they all see its text. */
export function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return Array.isArray(value) ? value.map(stringify).join('') : JSON.stringify(value);
  return String(value);
}

/** The formats whose outputs are escaped as they are printed (Markdown's wait for the whole message; blocks use html and text). */
export type PrintFormat = Exclude<ContentFormat, 'blocks' | 'markdown'>;

/** What a `{{ … }}` output prints in each format: its value's text, escaped for the format. */
export const PRINT: Readonly<Record<PrintFormat, (value: unknown) => string>> = {
  html: (v) => escapeHtml(stringify(v)),
  text: stringify,
  fields: (v) => escapeField(stringify(v)),
  slack: (v) => escapeSlack(stringify(v)),
  'slack-blocks': (v) => escapeJsonString(escapeSlack(stringify(v))),
};
