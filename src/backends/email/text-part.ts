/**
 * Plain-text alternatives of HTML parts, derived once per template rather than once per message
 * when the renderer says where each recipient's values sit (see `PartHoles`).
 *
 * The template's HTML, with a marker in each hole, is converted once (without line wrapping);
 * each message then puts its values, as html-to-text would show them, where the markers are, and
 * wraps long lines as html-to-text does. The first message of every template is also converted
 * the slow way and compared: if the two differ, the template keeps the slow way. Values the fast
 * way cannot show exactly (blank ones, ones with surrounding white space) take the slow way too.
 */
import { compile } from 'html-to-text';
import type { PartHoles } from '../../vocabulary/payload.ts';

/**
 * Width of the text part's lines: MIME's 76, so that a text part in US-ASCII goes out as it is
 * (7bit) rather than quoted-printable, which a line of 77 or 78 characters would need.
 */
const WIDTH = 76;
const LINKS = [{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } }];

/** HTML to its plain-text alternative. Compiled once: compiling html-to-text's selectors per message is costly. */
export const htmlToText: (html: string) => string = compile({ wordwrap: WIDTH, selectors: LINKS });
const unwrapped = compile({ wordwrap: false, selectors: LINKS });

/** A line of the text that holds holes: its pieces between markers, and for each marker which hole, and whether it is shown upper-cased. */
interface HoleLine {
  readonly literals: readonly string[];
  readonly holes: readonly { readonly index: number; readonly upper: boolean }[];
}

/**
 * The text of a template's HTML with markers in its holes (a marker in upper case stands in a
 * heading), as runs of lines: a run without holes is wrapped once, here; a line with holes is
 * filled and wrapped per message. Values never hold a line break (white space is collapsed), so
 * the lines of every message are the template's.
 */
interface TextPlan {
  readonly lines: readonly (string | HoleLine)[];
  /** Whether the first message has been checked against html-to-text. */
  checked: boolean;
}

const marker = (i: number) => `zqxv${i}vxqz`;
const MARKERS = /zqxv(\d+)vxqz|ZQXV(\d+)VXQZ/g;
const ESCAPED: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
/** What html-to-text counts as white space, which it collapses. */
const SPACE = /[ \t\r\n\f\u200b]+/g;

/** Plans by the literals of a prepared part: one per template and fan-out; `null` when the slow way must be used. */
const plans = new WeakMap<readonly string[], TextPlan | null>();

/** The text part of `html`, the fast way when `holes` describe it. */
export function textPart(html: string, holes: PartHoles | undefined): string {
  if (!holes) return htmlToText(html);
  let plan = plans.get(holes.literals);
  if (plan === undefined) {
    plan = planOf(holes.literals);
    plans.set(holes.literals, plan);
  }
  const fast = plan ? fill(plan, holes.values) : undefined;
  if (!plan || fast === undefined) return htmlToText(html);
  if (!plan.checked) {
    plan.checked = true;
    const exact = htmlToText(html);
    if (exact !== fast) {
      plans.set(holes.literals, null);
      return exact;
    }
  }
  return fast;
}

function planOf(literals: readonly string[]): TextPlan | null {
  if (literals.some((l) => /zqxv\d+vxqz/i.test(l))) return null;
  const text = unwrapped(literals.map((literal, i) => (i === 0 ? literal : marker(i - 1) + literal)).join(''));
  const lines: (string | HoleLine)[] = [];
  let fixed: string[] = [];
  const endRun = () => {
    if (fixed.length > 0) lines.push(fixed.join('\n'));
    fixed = [];
  };
  for (const line of text.split('\n')) {
    const found = [...line.matchAll(MARKERS)];
    if (found.length === 0) {
      fixed.push(wrap(line));
      continue;
    }
    endRun();
    const pieces: string[] = [];
    const holes: { index: number; upper: boolean }[] = [];
    let at = 0;
    for (const match of found) {
      pieces.push(line.slice(at, match.index));
      holes.push({ index: Number(match[1] ?? match[2]), upper: match[2] !== undefined });
      at = match.index + match[0].length;
    }
    pieces.push(line.slice(at));
    lines.push({ literals: pieces, holes });
  }
  endRun();
  return { lines, checked: false };
}

/** The text with this message's values, wrapped; undefined when a value cannot be shown this way. */
function fill(plan: TextPlan, values: readonly string[]): string | undefined {
  const shown: string[] = [];
  for (const value of values) {
    const raw = value.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ESCAPED[entity] ?? entity);
    if (raw.trim() !== raw || raw === '') return undefined;
    shown.push(raw.replace(SPACE, ' '));
  }
  let text = '';
  for (const [n, line] of plan.lines.entries()) {
    if (n > 0) text += '\n';
    if (typeof line === 'string') {
      text += line;
      continue;
    }
    let filled = line.literals[0] ?? '';
    for (const [i, hole] of line.holes.entries()) {
      const value = shown[hole.index] ?? '';
      filled += (hole.upper ? value.toUpperCase() : value) + (line.literals[i + 1] ?? '');
    }
    text += wrap(filled);
  }
  return text;
}

/** A line wrapped at {@link WIDTH} as html-to-text wraps a paragraph: greedily, between words, long words kept whole. */
function wrap(line: string): string {
  if (line.length <= WIDTH) return line;
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= WIDTH) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines.join('\n');
}
