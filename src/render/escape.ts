const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Escapes text for a Markdown body: Markdown syntax is backslash-escaped first, then HTML, so a
 * variable can neither start Markdown constructs nor inject raw HTML.
 */
export function escapeMarkdown(text: string): string {
  return escapeHtml(text.replace(/[\\`*_{}[\]()#+\-.!|~]/g, '\\$&'));
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
