/**
 * The renderer the host uses. Templates are written by staff, not programmers, so a render can be
 * slow or hostile: every render runs on a worker thread (a Piscina pool), where a render that runs
 * past its time limit is stopped by ending the thread, and the host's event loop stays free.
 * Parsing and analysis, which are bounded by the parse limit, stay on the calling thread, and so
 * does printing a message that needs no render, a fan-out's or a single one's (see printing.ts).
 */
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { ContentFormat } from '../vocabulary/format.ts';
import type { PartHoles } from '../vocabulary/payload.ts';
import { ErrorCode, TemplateValidationError, VoxError, errorText } from '../vocabulary/errors.ts';
import { LiquidRenderer, type TemplateVariable } from './liquid.ts';
import { partText, plainPrinting, printMany, type MessageFields, type RenderedMessage } from './printing.ts';
import { OUTPUT_LIMIT, type EntryAnswer, type FieldKind, type FieldTask, type HostPlan, type RenderAnswer, type RenderLimits, type RenderTask, type WireError } from './tasks.ts';

export type { RenderLimits } from './tasks.ts';
export type { MessageFields, RenderedMessage } from './printing.ts';
export type { TemplateVariable } from './liquid.ts';

type Variables = Readonly<Record<string, unknown>>;

/** A template prepared for the recipients of one fan-out; see {@link Renderer.prepare}. */
export interface PreparedMessages {
  /** Renders the template for each entry (its own variables, merged over the shared ones). */
  renderMany(list: readonly Variables[]): Promise<(RenderedMessage | VoxError)[]>;
}

/** How long past the render limit a thread that has not finished a render may go before it is stopped: half the limit, at least this. */
const GRACE_MS = 250;
/**
 * A thread with nothing to render ends after this long, giving its memory back (its isolate and
 * heap: some 20 MB). A fan-out renders well ahead of sending, so the thread is idle while most of
 * a large one is sent; the next render starts a new thread in a few tens of milliseconds, off the
 * host's thread, and a template it no longer holds is prepared again.
 */
const IDLE_MS = 2_000;

const THREAD = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './thread.ts' : './thread.js', import.meta.url));

export class Renderer {
  #liquid: LiquidRenderer | undefined;
  readonly #limits: RenderLimits;
  readonly #renderLimit: number;
  readonly #budgetMs: number;
  /** The render thread's pool, made with the first render that needs it (Piscina is loaded then too). */
  #pool: Promise<Piscina<RenderTask, RenderAnswer>> | undefined;
  /** That pool once made. */
  #made: Piscina<RenderTask, RenderAnswer> | undefined;
  #keys = 0;

  constructor(limits: RenderLimits = {}) {
    this.#limits = { ...limits };
    this.#renderLimit = limits.renderLimit ?? 2_000;
    this.#budgetMs = limits.budgetMs ?? 60_000;
  }

  /** Renders a subject: raw text, one line. */
  async renderSubject(source: string, variables: Variables): Promise<string> {
    return (await this.#renderOne({ name: 'subject', source, kind: 'subject' }, variables)) as string;
  }

  /** Renders a plain-text field such as a from address. */
  async renderText(source: string, variables: Variables): Promise<string> {
    return (await this.#renderOne({ name: 'fromAddress', source, kind: 'plain' }, variables)) as string;
  }

  /** Renders content in a backend's format into named parts (`html`, `markdown`, `text`, or blocks). */
  async renderContent(source: string, format: ContentFormat, variables: Variables): Promise<Record<string, string>> {
    return (await this.#renderOne({ name: 'content', source, kind: format }, variables)) as Record<string, string>;
  }

  /**
   * Prepares a message template for the recipients of one fan-out: what reads only `shared`
   * variables is rendered once, and each entry renders only what reads `perRecipient` names. Once
   * a render breaks a limit, or the template has used up `limits.render.budgetMs`, the remaining
   * entries fail with `VOX_RENDER_LIMIT` without being rendered. `once`: only one batch will be
   * rendered, so the thread need not keep the template.
   */
  prepare(fields: MessageFields, shared: Variables, perRecipient: readonly string[], options: { readonly once?: boolean } = {}): PreparedMessages {
    // Kept in the thread between batches, unless it renders one batch only (a resend), which would
    // only push the fan-outs' templates out of the thread's cache.
    const key = options.once ? undefined : `${process.pid}:${++this.#keys}`;
    const tasks = fieldTasks(fields);
    const outputLimit = this.#limits.outputLimit ?? OUTPUT_LIMIT;
    // Text and plain variables only: printed on the host from the start, with no render at all.
    let printing = plainPrinting(this.#analysis(), fields, shared, new Set(perRecipient), outputLimit);
    let plan: HostPlan | undefined;
    const literals: Record<string, readonly string[]> = {};
    let failed: VoxError | undefined;
    let spentMs = 0;
    const settle = (messages: (RenderedMessage | VoxError)[]) => {
      for (const message of messages) {
        if (message instanceof VoxError) {
          if (message.code === ErrorCode.renderLimit) failed = message;
        } else if (!printing && plan) {
          // The first rendered message and the fixed text are all the host needs to print the rest.
          printing = { plan, sample: message, literals };
        }
      }
      return messages;
    };
    return {
      renderMany: async (list) => {
        if (failed) return list.map(() => failed!);
        const printed = printing ? printMany(printing, shared, list, outputLimit) : undefined;
        if (printed) {
          settle(printed.messages);
          // What the rest of the fan-out gets once a message broke a limit.
          failed = printed.stopped ?? failed;
          return printed.messages;
        }
        const answer = await this.#run({ key, fields: tasks, shared, perRecipient, list, budgetMs: this.#budgetMs - spentMs });
        if (answer instanceof VoxError) {
          failed = answer;
          return list.map(() => answer);
        }
        spentMs += answer.ms;
        plan ??= answer.plan;
        // One literals array per part for the whole fan-out, so that backends can key work on it.
        for (const [name, value] of Object.entries(answer.literals)) literals[name] ??= value;
        return settle(answer.entries.map((entry) => messageOf(entry, literals)));
      },
    };
  }

  /** Syntax problems of a template field, with line and column. Empty when it parses. */
  syntaxProblems(field: string, source: string, format: ContentFormat | 'text'): ReturnType<LiquidRenderer['syntaxProblems']> {
    return this.#analysis().syntaxProblems(field, source, format);
  }

  /** The context variables a template reads (not loop locals), with positions. Assumes it parses. */
  variables(source: string): TemplateVariable[] {
    return this.#analysis().variables(source);
  }

  /** LiquidJS on this thread, for parsing, analysis and printing (never rendering); made when first needed. */
  #analysis(): LiquidRenderer {
    return (this.#liquid ??= new LiquidRenderer(this.#limits));
  }

  /** Whether the render thread is running (it ends once idle for a while); for tests. */
  get threadRunning(): boolean {
    return (this.#made?.threads.length ?? 0) > 0;
  }

  /** Ends the render thread. Renders after this start a new one. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    this.#made = undefined;
    await (await pool)?.close({ force: true });
  }

  async #renderOne(field: FieldTask, variables: Variables): Promise<string | Record<string, string>> {
    const printed = this.#printOne(field, variables);
    if (printed !== undefined) return printed;
    const answer = await this.#run({ key: undefined, fields: [field], shared: variables, perRecipient: [], list: [{}], budgetMs: this.#budgetMs });
    if (answer instanceof VoxError) throw answer;
    const [entry] = answer.entries;
    if (!entry) throw new VoxError(ErrorCode.render, 'the render thread gave no answer');
    if ('error' in entry) throw errorOf(entry.error);
    const output = entry.fields[field.name];
    if (typeof output === 'string' || output === undefined) return output ?? '';
    return Object.fromEntries(Object.entries(output).map(([part, value]) => [part, partText(value, answer.literals[`${field.name}.${part}`])]));
  }

  /**
   * A field of text and plain variables printed on this thread, as the render thread renders it
   * (see printing.ts): saving or previewing such a template starts no thread. Undefined for any
   * other field, which the thread renders.
   */
  #printOne(field: FieldTask, variables: Variables): string | Record<string, string> | undefined {
    const fields: MessageFields =
      field.kind === 'subject' ? { subject: field.source, content: '', format: 'text' }
      : field.kind === 'plain' ? { fromAddress: field.source, content: '', format: 'text' }
      : { content: field.source, format: field.kind };
    const outputLimit = this.#limits.outputLimit ?? OUTPUT_LIMIT;
    const printing = plainPrinting(this.#analysis(), fields, variables, new Set(), outputLimit);
    const message = printing && printMany(printing, variables, [{}], outputLimit)?.messages[0];
    if (!message || message instanceof VoxError) return undefined;
    return field.kind === 'subject' ? message.subject : field.kind === 'plain' ? (message.fromAddress ?? '') : message.parts;
  }

  async #newPool(): Promise<Piscina<RenderTask, RenderAnswer>> {
    const { Piscina } = await import('piscina');
    const pool = new Piscina<RenderTask, RenderAnswer>({
      filename: THREAD,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: IDLE_MS,
      // A hostile template that gets past LiquidJS's memory limit ends its thread, not the host.
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
    });
    // A thread that dies (out of memory, stopped by the watchdog) fails its task, which says why;
    // the pool also emits the error, which must not end the host.
    pool.on('error', () => {});
    this.#made = pool;
    return pool;
  }

  /**
   * Runs a task on the render thread. A watchdog reads the task's progress counter: once the task
   * has started, a render that has not finished within the render limit and half as long again
   * (work LiquidJS cannot interrupt, such as one long filter call) ends the thread.
   */
  async #run(what: Omit<RenderTask, 'limits' | 'progress'>): Promise<RenderAnswer | VoxError> {
    const task: RenderTask = { ...what, limits: this.#limits, progress: new SharedArrayBuffer(4) };
    const pool = await (this.#pool ??= this.#newPool());
    const progress = new Int32Array(task.progress);
    const controller = new AbortController();
    const allowed = this.#renderLimit + Math.max(GRACE_MS, this.#renderLimit / 2);
    let seen = 0;
    let since = performance.now();
    const watchdog = setInterval(() => {
      const count = Atomics.load(progress, 0);
      if (count !== seen) {
        seen = count;
        since = performance.now();
      } else if (count !== 0 && performance.now() - since > allowed) {
        controller.abort();
      }
    }, Math.max(50, allowed / 4));
    try {
      return await pool.run(task, { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) {
        return new VoxError(ErrorCode.renderLimit, `a render took longer than ${this.#renderLimit} ms and was stopped (limits.render.renderLimit); the template's remaining messages in this task were not rendered`);
      }
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') return new VoxError(ErrorCode.renderLimit, 'rendering ran out of memory and was stopped', { cause: error });
      return new VoxError(ErrorCode.render, `the render thread failed: ${errorText(error)}`, { cause: error });
    } finally {
      clearInterval(watchdog);
    }
  }
}

function fieldTasks(fields: MessageFields): FieldTask[] {
  const tasks: FieldTask[] = [];
  if (fields.subject !== undefined) tasks.push({ name: 'subject', source: fields.subject, kind: 'subject' });
  tasks.push({ name: 'content', source: fields.content, kind: fields.format satisfies FieldKind });
  if (fields.fromAddress !== undefined) tasks.push({ name: 'fromAddress', source: fields.fromAddress, kind: 'plain' });
  return tasks;
}

function messageOf(entry: EntryAnswer, literals: Readonly<Record<string, readonly string[]>>): RenderedMessage | VoxError {
  if ('error' in entry) return errorOf(entry.error);
  const parts: Record<string, string> = {};
  const holes: Record<string, PartHoles> = {};
  const content = entry.fields.content;
  if (content !== undefined && typeof content !== 'string') {
    for (const [part, value] of Object.entries(content)) {
      const fixed = literals[`content.${part}`];
      parts[part] = partText(value, fixed);
      if (typeof value !== 'string' && fixed) holes[part] = { literals: fixed, values: value };
    }
  }
  const subject = entry.fields.subject;
  const from = entry.fields.fromAddress;
  return { subject: typeof subject === 'string' ? subject : '', parts, holes, ...(typeof from === 'string' ? { fromAddress: from } : {}) };
}

function errorOf(error: WireError): VoxError {
  if (error.problems) return new TemplateValidationError(error.problems, error.message);
  return new VoxError(error.code, error.message);
}
