/**
 * Escaping variables in Markdown by where they land. A variable's value is first marked (see
 * {@link markMarkdown}); once the whole message is rendered, {@link finishMarkdown} finds the code
 * spans and fenced code blocks that the template's own text makes, and escapes each value for its
 * place: outside code, a backslash before each character that can start Markdown syntax (and none
 * before others, so a web address stays whole); inside code, where Markdown shows backslashes as
 * they are, no escape at all, only what would end the code is changed.
 */

/** Noncharacters, reserved by Unicode for internal use: they bracket a variable's value until the message is finished. */
const OPEN = '\uFDD0';
const CLOSE = '\uFDD1';
const MARKS = /[\uFDD0\uFDD1]/g;

/** Characters that start Markdown syntax anywhere in a line: escapes, code, emphasis, links, autolinks, entities, strikethrough, table cells, heading ends. */
const INLINE = /[\\*_[\]<>&~|#]/g;

/** Marks a variable's value; the mark is resolved by {@link finishMarkdown}. */
export function markMarkdown(text: string): string {
  return OPEN + text.replace(MARKS, '') + CLOSE;
}

interface Value {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

type Place = { readonly kind: 'text' } | { readonly kind: 'span' } | { readonly kind: 'fence'; readonly fence: string };

/** Replaces each marked value of a rendered Markdown message with its escaped text. */
export function finishMarkdown(marked: string): string {
  if (!marked.includes(OPEN)) return marked.replace(MARKS, '');
  // The skeleton is the message with each value's characters replaced by `x` (line breaks kept):
  // escaped values are plain text, so the template's text alone decides where code is.
  const values: Value[] = [];
  let skeleton = '';
  for (const [i, piece] of marked.split(OPEN).entries()) {
    const close = i === 0 ? -1 : piece.indexOf(CLOSE);
    if (close < 0) {
      skeleton += piece.replace(MARKS, '');
      continue;
    }
    const text = piece.slice(0, close);
    values.push({ start: skeleton.length, end: skeleton.length + text.length, text });
    skeleton += text.replace(/[^\n]/g, 'x') + piece.slice(close + 1).replace(MARKS, '');
  }
  const places = codePlaces(skeleton);
  let out = '';
  let last = 0;
  for (const value of values) {
    out += skeleton.slice(last, value.start);
    const place = places.find((p) => p.start <= value.start && value.start < p.end)?.place ?? { kind: 'text' };
    out += escapeFor(place, value.text, atLineStart(skeleton, value.start));
    last = value.end;
  }
  return out + skeleton.slice(last);
}

function escapeFor(place: Place, text: string, lineStart: boolean): string {
  // A code span cannot hold a line break of a paragraph's end, nor a backtick of its own: Markdown
  // has no escape inside code, so a backtick is printed as the look-alike ˋ.
  if (place.kind === 'span') return text.replace(/\r?\n/g, ' ').replace(/`/g, 'ˋ');
  if (place.kind === 'fence') {
    // A line of three fence characters would end the block: its first one becomes a look-alike.
    const lookAlike = place.fence[0] === '`' ? 'ˋ' : '˜';
    const ends = new RegExp(`^( {0,3})\\${place.fence[0]}(?=\\${place.fence[0]}{2})`, 'gm');
    return text.replace(ends, `$1${lookAlike}`);
  }
  return text
    .split('\n')
    .map((line, i) => {
      // A backtick after a backslash still ends a code span the template opened: it is written as an entity.
      const escaped = line.replace(INLINE, '\\$&').replace(/`/g, '&#96;');
      if (i === 0 && !lineStart) return escaped;
      // At the start of a line: block syntax (headings, quotes, lists, rules, setext underlines,
      // ordered lists) and the indentation of code blocks.
      return escaped.replace(/^[ \t]+/, '').replace(/^[>+=-]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');
    })
    .join('\n');
}

function atLineStart(text: string, position: number): boolean {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*$/.test(text.slice(lineStart, position));
}

/** Where code is in a Markdown text: fenced code blocks, and code spans within paragraphs. */
function codePlaces(text: string): { start: number; end: number; place: Place }[] {
  const places: { start: number; end: number; place: Place }[] = [];
  const lines = text.split('\n');
  let offset = 0;
  let fence: { marker: string; start: number } | undefined;
  let paragraph = '';
  let paragraphStart = 0;
  const flush = () => {
    for (const span of codeSpans(paragraph)) places.push({ start: paragraphStart + span.start, end: paragraphStart + span.end, place: { kind: 'span' } });
    paragraph = '';
  };
  for (const line of lines) {
    const lineEnd = offset + line.length + 1;
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (close && close[1]![0] === fence.marker[0] && close[1]!.length >= fence.marker.length) {
        places.push({ start: fence.start, end: offset, place: { kind: 'fence', fence: fence.marker } });
        fence = undefined;
      }
    } else {
      const open = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})/.exec(line);
      if (open) {
        flush();
        fence = { marker: open[1]!, start: lineEnd };
      } else if (line.trim() === '') {
        flush();
      } else {
        if (paragraph === '') paragraphStart = offset;
        paragraph += line + '\n';
      }
    }
    offset = lineEnd;
  }
  if (fence) places.push({ start: fence.start, end: text.length, place: { kind: 'fence', fence: fence.marker } });
  flush();
  return places;
}

/** Code spans of one paragraph: a run of backticks (not escaped) up to the next run of the same length. */
function codeSpans(paragraph: string): { start: number; end: number }[] {
  const runs = [...paragraph.matchAll(/(?<!\\)(?:\\\\)*(`+)/g)].map((m) => ({ index: m.index + m[0].length - m[1]!.length, length: m[1]!.length }));
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i]!;
    const close = runs.findIndex((r, j) => j > i && r.length === open.length);
    if (close < 0) continue;
    spans.push({ start: open.index + open.length, end: runs[close]!.index });
    i = close;
  }
  return spans;
}
