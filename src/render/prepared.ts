/**
 * Templates prepared for the messages of one issue: the pieces that read only the issue's
 * variables are rendered once, and only the pieces that read a recipient's are rendered per
 * recipient. The output is the same as rendering the whole template each time.
 */
import { Output, TokenKind, analyzeSync, type Template } from 'liquidjs';
import type { PartHoles } from '../vocabulary/payload.ts';

/** One part rendered for one recipient, with its holes when it has them (see {@link PartHoles}). */
export interface RenderedPart {
  readonly text: string;
  readonly holes?: PartHoles;
}

/** A template (or a block of one) ready to render per recipient. */
export interface PreparedTemplate {
  render(variables: Record<string, unknown>): RenderedPart;
  /**
   * When every piece that reads a recipient's variables is a plain output of one variable
   * (`{{ recipient.name }}`, no filters), the variable of each hole, as property names from the
   * top: the part is then its literals with each variable's printed value between. Empty when
   * nothing reads a recipient's variables; absent otherwise.
   */
  readonly lookups?: readonly (readonly string[])[];
}

/** Renders a list of parsed templates with variables; throws a VoxError when rendering fails. */
export type Run = (templates: Template[], variables: Record<string, unknown>) => string;

/**
 * Tags that keep state from one top-level piece to the next (or read other templates): a template
 * with any of them is rendered whole, for every recipient.
 */
const STATEFUL = /\{%-?\s*(assign|capture|increment|decrement|cycle|liquid|include|render|layout)\b/;

/**
 * Prepares `templates` (parsed from `source`). `shared` are the variables every recipient has;
 * pieces that read any of `perRecipient` (top-level names) are rendered per recipient.
 */
export function prepare(run: Run, source: string, templates: Template[], shared: Record<string, unknown>, perRecipient: ReadonlySet<string>): PreparedTemplate {
  const whole: PreparedTemplate = { render: (variables) => ({ text: run(templates, variables) }) };
  if (STATEFUL.test(source)) return whole;
  const pieces: ({ readonly static: Template[] } | { readonly dynamic: Template })[] = [];
  for (const node of templates) {
    if (readsAny(node, perRecipient)) {
      pieces.push({ dynamic: node });
      continue;
    }
    const last = pieces.at(-1);
    if (last && 'static' in last) last.static.push(node);
    else pieces.push({ static: [node] });
  }
  const dynamic = pieces.flatMap((p) => ('dynamic' in p ? [p.dynamic] : []));
  if (dynamic.length === templates.length) return whole;
  let rendered: string[];
  try {
    rendered = pieces.map((p) => ('static' in p ? run(p.static, shared) : ''));
  } catch (error) {
    // The same failure for every recipient, as rendering the whole template would give.
    return { render: () => { throw error; } };
  }
  if (dynamic.length === 0) {
    const text = rendered.join('');
    return { render: () => ({ text, holes: { literals: [text], values: [] } }), lookups: [] };
  }
  // Outputs only: each hole holds one escaped value, never markup of the template's.
  const holey = dynamic.every((node) => node instanceof Output);
  const paths = dynamic.map((node) => lookupOf(node, perRecipient));
  const lookups = paths.every((path) => path !== undefined) ? paths : undefined;
  const literals: string[] = [''];
  for (const [i, piece] of pieces.entries()) {
    if ('static' in piece) literals[literals.length - 1] += rendered[i] ?? '';
    else literals.push('');
  }
  return {
    render(variables) {
      const values = dynamic.map((node) => run([node], variables));
      let text = literals[0] ?? '';
      for (let i = 0; i < values.length; i++) text += values[i]! + literals[i + 1]!;
      return holey ? { text, holes: { literals, values } } : { text };
    },
    ...(lookups ? { lookups } : {}),
  };
}

/** Names Liquid answers for itself on some values (a string's or an array's size, an array's first or last item). */
const SPECIAL = new Set(['size', 'first', 'last']);
/** Liquid's literals, which look like variables. */
const KEYWORDS = new Set(['nil', 'null', 'true', 'false', 'empty', 'blank']);

/** The variable a piece prints, when it is `{{ name.name… }}` of a per-recipient variable, with no filters. */
function lookupOf(node: Template, perRecipient: ReadonlySet<string>): readonly string[] | undefined {
  const path = plainOutput(node);
  return path && perRecipient.has(path[0]!) ? path : undefined;
}

/**
 * The variable a piece prints, as property names from the top, when the piece is a plain output:
 * `{{ name.name… }}`, with no filters and none of the names Liquid answers for itself.
 */
export function plainOutput(node: Template): readonly string[] | undefined {
  if (!(node instanceof Output)) return undefined;
  const content = node.token.content;
  if (!/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(content)) return undefined;
  const path = content.split('.');
  return KEYWORDS.has(path[0]!) || path.some((name) => SPECIAL.has(name)) ? undefined : path;
}

/** Whether a piece reads any of `names`; literal HTML reads nothing, and a piece that cannot be analysed counts as reading them. */
function readsAny(node: Template, names: ReadonlySet<string>): boolean {
  if (node.token.kind === TokenKind.HTML) return false;
  try {
    return Object.keys(analyzeSync([node], { partials: false }).globals).some((name) => names.has(name));
  } catch {
    return true;
  }
}
