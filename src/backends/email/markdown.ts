/**
 * Markdown to HTML for the Markdown email backend, with web addresses linked as they are written:
 * a link made from bare text always points where its visible text says. Out of the box,
 * markdown-it stops an address at a backslash escape (Vox escapes `_` and `~` in variables, which
 * addresses hold), links a shorter address than the reader sees, and shows punycode and
 * percent-escapes decoded, so the text of a link could differ from its target.
 */
import { createRequire } from 'node:module';
import type markdownItFactory from 'markdown-it';
import type { MarkdownIt, StateInline } from 'markdown-it';

/**
 * markdown-it, loaded when the first renderer is made, so that a process whose backends render no
 * Markdown (an HTML email fan-out, say) never holds it: some 1 MB of heap, which a busy process
 * multiplies (its heap's limit follows what stays alive).
 */
let markdownIt: typeof markdownItFactory | undefined;

/** ASCII punctuation: what a backslash can escape in Markdown. */
const ESCAPABLE = /[!-/:-@[-`{-~]/;

/** A markdown-it instance for email bodies: no raw HTML, bare web addresses linked to themselves. */
export function markdownRenderer(): MarkdownIt {
  markdownIt ??= createRequire(import.meta.url)('markdown-it') as typeof markdownItFactory;
  const markdown = markdownIt({ html: false, linkify: true });
  // The visible text of an address is the address as written, not a decoded form of it.
  markdown.normalizeLinkText = (text) => text;
  markdown.inline.ruler.at('linkify', linkAddress);
  // Addresses without a scheme (`example.org/a_b`) are found once escaped pieces of text are joined.
  const core = markdown.core.ruler.__rules__.find((rule) => rule.name === 'linkify');
  if (core) {
    markdown.core.ruler.disable('linkify');
    markdown.core.ruler.push('linkify_joined', core.fn);
  }
  return markdown;
}

/** Links `scheme://…` at the `:` as markdown-it does, reading the address across backslash escapes. */
function linkAddress(state: StateInline, silent: boolean): boolean {
  if (!state.md.options.linkify || state.linkLevel > 0) return false;
  if (state.src.slice(state.pos, state.pos + 3) !== '://') return false;
  const scheme = /[A-Za-z][A-Za-z0-9+.-]{0,9}$/.exec(state.pending)?.[0];
  if (!scheme) return false;
  // The address as the reader sees it, and where each of its characters is in the source.
  let text = scheme;
  const ends: number[] = [];
  for (let i = state.pos; i < state.posMax; i++) {
    if (state.src[i] === '\\' && ESCAPABLE.test(state.src[i + 1] ?? '')) i++;
    if (/\s/.test(state.src[i]!)) break;
    text += state.src[i];
    ends.push(i + 1);
  }
  const match = state.md.linkify.matchAtStart(text);
  if (!match || match.index !== 0) return false;
  let length = match.lastIndex;
  while (length > scheme.length && text[length - 1] === '*') length--;
  if (length <= scheme.length + 3) return false;
  const url = text.slice(0, length);
  const href = state.md.normalizeLink(url);
  if (!state.md.validateLink(href)) return false;
  if (!silent) {
    state.pending = state.pending.slice(0, -scheme.length);
    const open = state.push('link_open', 'a', 1);
    open.attrs = [['href', href]];
    open.markup = 'linkify';
    open.info = 'auto';
    state.push('text', '', 0).content = url;
    const close = state.push('link_close', 'a', -1);
    close.markup = 'linkify';
    close.info = 'auto';
  }
  state.pos = ends[length - scheme.length - 1]!;
  return true;
}
