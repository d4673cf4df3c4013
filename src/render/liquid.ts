/** LiquidJS engines per format, safe for untrusted templates, with limits and validation; runs on the thread that calls it (see renderer.ts for the host). */
import { Liquid, TokenKind, type Template } from 'liquidjs';
import type { ContentFormat } from '../vocabulary/format.ts';
import type { PartHoles } from '../vocabulary/payload.ts';
import { ErrorCode, TemplateValidationError, VoxError, errorText, type TemplateProblem } from '../vocabulary/errors.ts';
import { plainOutput, prepare, type PreparedTemplate } from './prepared.ts';
import { PRINT, foldLines, stringify } from './escape.ts';
import { finishMarkdown, markMarkdown } from './markdown-escape.ts';
import type { HostPlan, PartPlan, RenderLimits } from './tasks.ts';

/** Content prepared for one issue's messages; see {@link LiquidRenderer.prepareContent}. */
export interface PreparedContent {
  render(variables: Record<string, unknown>): { parts: Record<string, string>; holes: Record<string, PartHoles> };
  /** By part, how the host can make it without a render (see {@link HostPlan}); absent when some part needs a render. */
  readonly plan?: Readonly<Record<string, PartPlan>>;
}

/** A subject or plain-text field prepared for one issue's messages; `constant` when it reads no recipient's variables. */
export interface PreparedText {
  render(variables: Record<string, unknown>): string;
  readonly constant: boolean;
}

/** Block names a block template (`format: 'blocks'`) may define, and how each is escaped. */
const BLOCK_FORMATS = { subject: 'text', text_body: 'text', html_body: 'html' } as const;

/** A variable a template reads, with where it is read. */
export interface TemplateVariable {
  readonly segments: readonly (string | number)[];
  readonly line: number;
  readonly column: number;
}

type Engine = Exclude<ContentFormat, 'blocks'>;
type Variables = Record<string, unknown>;

const PARSE_CACHE_SIZE = 512;

/**
 * LiquidJS configured for untrusted authors: own properties only, no file system (an empty
 * in-memory template map), and parse/render/memory limits. One engine per escaping format.
 */
export class LiquidRenderer {
  readonly #engines: Record<Engine, Liquid>;
  readonly #cache = new Map<string, Template[]>();

  constructor(limits: RenderLimits = {}) {
    const base = {
      templates: {},
      ownPropertyOnly: true,
      strictFilters: true,
      relativeReference: false,
      parseLimit: limits.parseLimit ?? 100_000,
      renderLimit: limits.renderLimit ?? 2_000,
      memoryLimit: limits.memoryLimit ?? 10_000_000,
      // Dates print the same whatever the server's locale; and LiquidJS does not ask Intl for the
      // default one, which maps some 5 MB of ICU's locale data into every process that parses.
      locale: 'en-US',
    };
    this.#engines = {
      html: new Liquid({ ...base, outputEscape: PRINT.html }),
      // Markdown values are escaped once the whole message is rendered, by where they land (see markdown-escape.ts).
      markdown: new Liquid({ ...base, outputEscape: (v: unknown) => markMarkdown(stringify(v)) }),
      // Plain text prints values as the other formats do (an object as JSON, not "[object Object]").
      text: new Liquid({ ...base, outputEscape: PRINT.text }),
      fields: new Liquid({ ...base, outputEscape: PRINT.fields }),
      slack: new Liquid({ ...base, outputEscape: PRINT.slack }),
      'slack-blocks': new Liquid({ ...base, outputEscape: PRINT['slack-blocks'] }),
    };
  }

  /** Renders a subject: raw text, one line. */
  async renderSubject(source: string, variables: Variables): Promise<string> {
    return foldLines(await this.#render('text', source, variables));
  }

  /** Renders a plain-text field such as a from address. */
  async renderText(source: string, variables: Variables): Promise<string> {
    return (await this.#render('text', source, variables)).trim();
  }

  /** Renders content in a backend's format into named parts (`html`, `markdown`, `text`, or blocks). */
  async renderContent(source: string, format: ContentFormat, variables: Variables): Promise<Record<string, string>> {
    if (format === 'markdown') return { markdown: finishMarkdown(await this.#render(format, source, variables)) };
    if (format !== 'blocks') return { [format]: await this.#render(format, source, variables) };
    const parts: Record<string, string> = {};
    for (const [name, engine] of Object.entries(BLOCK_FORMATS)) {
      const block = this.#blocks(engine, source).get(name);
      if (block) parts[name] = await this.#run(engine, block, variables);
    }
    if (parts.subject !== undefined) parts.subject = foldLines(parts.subject);
    return parts;
  }

  /**
   * Prepares content for the messages of one issue: what reads only `shared` variables is
   * rendered now, once; `render` then renders the rest per recipient (see `prepared.ts`).
   */
  prepareContent(source: string, format: ContentFormat, shared: Variables, perRecipient: ReadonlySet<string>): PreparedContent {
    const prepared = (engine: Engine, templates: Template[]) => prepare((t, v) => this.#runSync(engine, t, v), source, templates, shared, perRecipient);
    const named: [string, PreparedTemplate][] =
      format === 'blocks'
        ? Object.entries(BLOCK_FORMATS).flatMap(([name, engine]) => {
            const block = this.#blocks(engine, source).get(name);
            return block ? [[name, prepared(engine, block)] as [string, PreparedTemplate]] : [];
          })
        : [[format, prepared(format, this.#parse(format, source))]];
    const plan = planOf(format, named);
    return {
      ...(plan ? { plan } : {}),
      render(variables) {
        const parts: Record<string, string> = {};
        const holes: Record<string, PartHoles> = {};
        for (const [name, template] of named) {
          const part = template.render(variables);
          parts[name] = part.text;
          if (part.holes) holes[name] = part.holes;
        }
        if (parts.subject !== undefined) {
          parts.subject = foldLines(parts.subject);
          delete holes.subject;
        }
        if (parts.markdown !== undefined) {
          parts.markdown = finishMarkdown(parts.markdown);
          delete holes.markdown;
        }
        return { parts, holes };
      },
    };
  }

  /** Prepares a subject (`line: true`, one line) or a plain-text field such as a from address, as {@link LiquidRenderer.prepareContent} does content. */
  prepareText(source: string, line: boolean, shared: Variables, perRecipient: ReadonlySet<string>): PreparedText {
    const template = prepare((t, v) => this.#runSync('text', t, v), source, this.#parse('text', source), shared, perRecipient);
    return {
      render: (variables) => (line ? foldLines(template.render(variables).text) : template.render(variables).text.trim()),
      constant: template.lookups?.length === 0,
    };
  }

  /**
   * A template of text and plain variables only (`{{ object.title }}`: no tags, no filters), as
   * its pieces: text, or the path of a variable. Undefined for any other template, or one that
   * does not parse. Such a template costs no more to print than its text and values, so the host
   * may print it without a render.
   */
  plainPieces(source: string, engine: Engine): (string | readonly string[])[] | undefined {
    if (source.includes('{%')) return undefined;
    let templates: Template[];
    try {
      templates = this.#parse(engine, source);
    } catch {
      return undefined;
    }
    const pieces: (string | readonly string[])[] = [];
    for (const node of templates) {
      const path = node.token.kind === TokenKind.HTML ? undefined : plainOutput(node);
      if (node.token.kind !== TokenKind.HTML && !path) return undefined;
      // Text renders as itself (with whitespace control applied).
      pieces.push(path ?? this.#runSync(engine, [node], {}));
    }
    return pieces;
  }

  /** Syntax problems of a template field, with line and column. Empty when it parses. */
  syntaxProblems(field: string, source: string, format: ContentFormat | 'text'): TemplateProblem[] {
    try {
      if (format === 'blocks') {
        const names = [...this.#blocks('text', source).keys()];
        const unknown = names.filter((n) => !(n in BLOCK_FORMATS));
        if (unknown.length > 0) {
          return [{ field, message: `unknown block ${unknown.join(', ')}; use ${Object.keys(BLOCK_FORMATS).join(', ')}` }];
        }
        if (names.length === 0) return [{ field, message: 'a block template needs {% block subject %}, {% block text_body %} or {% block html_body %}' }];
      } else {
        this.#parse(engineFor(format), source);
        if (format === 'fields') return [...fieldLineProblems(field, source), ...fileTags(field, source)];
      }
      return fileTags(field, source);
    } catch (error) {
      return [problemOf(field, error)];
    }
  }

  /** The context variables a template reads (not loop locals), with positions. Assumes it parses. */
  variables(source: string): TemplateVariable[] {
    const analysis = this.#engines.text.analyzeSync(this.#parse('text', source), { partials: false });
    return Object.values(analysis.globals).flat().map((v) => ({
      segments: v.toArray().map((s) => (Array.isArray(s) ? '*' : s)),
      line: v.location.row,
      column: v.location.col,
    }));
  }

  async #render(engine: Engine, source: string, variables: Variables): Promise<string> {
    return this.#run(engine, this.#parse(engine, source), variables);
  }

  async #run(engine: Engine, templates: Template[], variables: Variables): Promise<string> {
    return this.#runSync(engine, templates, variables);
  }

  #runSync(engine: Engine, templates: Template[], variables: Variables): string {
    try {
      // Vox registers no asynchronous filters or tags, so the synchronous renderer gives the same
      // output without LiquidJS's promise machinery, which costs more than the rendering itself.
      return this.#engines[engine].renderSync(templates, variables);
    } catch (error) {
      const text = errorText(error);
      throw new VoxError(/ limit exceeded/.test(text) ? ErrorCode.renderLimit : ErrorCode.render, `template failed to render: ${text}`, { cause: error });
    }
  }

  #parse(engine: Engine, source: string): Template[] {
    const key = `${engine}\u0000${source}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    let templates: Template[];
    try {
      templates = this.#engines[engine].parse(source);
    } catch (error) {
      throw new TemplateValidationError([problemOf('template', error)]);
    }
    if (this.#cache.size >= PARSE_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, templates);
    return templates;
  }

  #blocks(engine: Engine, source: string): Map<string, Template[]> {
    const blocks = new Map<string, Template[]>();
    for (const node of this.#parse(engine, source)) {
      const tag = node as Partial<{ name: string; block: string; templates: Template[] }>;
      if (tag.name === 'block' && typeof tag.block === 'string' && tag.templates) blocks.set(tag.block, tag.templates);
    }
    return blocks;
  }
}

/**
 * How the host can make each part without a render, when it can: parts printed as they render
 * take their lookups; a subject block and Markdown, which are finished once rendered whole, only
 * when they read no recipient's variables.
 */
function planOf(format: ContentFormat, named: readonly (readonly [string, PreparedTemplate])[]): HostPlan['parts'] | undefined {
  const plan: Record<string, PartPlan> = {};
  for (const [name, template] of named) {
    const print = format === 'blocks' ? BLOCK_FORMATS[name as keyof typeof BLOCK_FORMATS] : format;
    if (!template.lookups) return undefined;
    if (name === 'subject' || print === 'markdown') {
      if (template.lookups.length > 0) return undefined;
      plan[name] = 'constant';
    } else {
      plan[name] = { print, lookups: template.lookups };
    }
  }
  return plan;
}

/** Tags that would read other templates: there are none to read, so authors are told at once. */
function fileTags(field: string, source: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const match of source.matchAll(/\{%-?\s*(include|render|layout)\b/g)) {
    const before = source.slice(0, match.index);
    const line = before.split('\n').length;
    const column = match.index - before.lastIndexOf('\n');
    problems.push({ field, message: `{% ${match[1]} %} is not available: templates cannot load other templates or files`, line, column });
  }
  return problems;
}

/**
 * Lines of `key: value` content that cannot be fields: not blank, not only Liquid tags, and without
 * a literal key before a colon. Keys are literal so that variables can never choose them.
 */
function fieldLineProblems(field: string, source: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  source.split('\n').forEach((text, index) => {
    const line = text.replace(/\{%-?[\s\S]*?-?%\}/g, '').trim();
    if (line === '' || /^[^:{}]*[^\s:{}][^:{}]*:/.test(line)) return;
    problems.push({ field, message: 'each line must be `key: value`, with a key written out (not a variable)', line: index + 1, column: 1 });
  });
  return problems;
}

function engineFor(format: ContentFormat | 'text'): Engine {
  return format === 'blocks' ? 'text' : format;
}

function problemOf(field: string, error: unknown): TemplateProblem {
  if (error instanceof TemplateValidationError && error.problems[0]) return { ...error.problems[0], field };
  const token = (error as { token?: { getPosition?: () => [number, number] } }).token;
  const position = token?.getPosition?.();
  const message = errorText(error).replace(/, line:\d+, col:\d+$/, '');
  return position ? { field, message, line: position[0], column: position[1] } : { field, message };
}
