/**
 * What the host and a render thread say to each other: a task renders one template's fields for a
 * list of recipients, and its answer holds each recipient's output or a coded error. Only plain
 * data crosses, so that it survives the structured clone between threads.
 */
import type { ContentFormat } from '../vocabulary/format.ts';
import { ErrorCode, VoxError, type TemplateProblem } from '../vocabulary/errors.ts';
import type { PrintFormat } from './escape.ts';

/** Limits that keep untrusted template authors from exhausting the process. */
export interface RenderLimits {
  /** Most characters a template may have. @default 100000 */
  readonly parseLimit?: number;
  /**
   * Most milliseconds one render may take. LiquidJS checks it as it renders, and the host stops the
   * render thread when a render runs this long (plus a second) without finishing. @default 2000
   */
  readonly renderLimit?: number;
  /** Most memory (in LiquidJS's units: characters and array items) one render may allocate. @default 10000000 */
  readonly memoryLimit?: number;
  /** Most characters one rendered part (a subject, an HTML or text body) may have. @default 500000 */
  readonly outputLimit?: number;
  /**
   * Most milliseconds of rendering one template may use in one fan-out. Past it, or after one
   * render broke a limit, the rest of that fan-out's messages for the template fail without being
   * rendered. @default 60000
   */
  readonly budgetMs?: number;
}

/** The default of {@link RenderLimits.outputLimit}. */
export const OUTPUT_LIMIT = 500_000;

/** Throws `VOX_RENDER_LIMIT` when a rendered part (`name`) of `length` characters is over the output limit. */
export function checkOutput(name: string, length: number, limit: number): void {
  if (length > limit) {
    throw new VoxError(ErrorCode.renderLimit, `the rendered ${name} has ${length} characters, over the limit of ${limit} (limits.render.outputLimit)`);
  }
}

/** How a field is rendered: `subject` is one line of text, `plain` a trimmed plain-text field (a from address), the others content formats. */
export type FieldKind = 'subject' | 'plain' | ContentFormat;

/** One field of a template to render. */
export interface FieldTask {
  readonly name: string;
  readonly source: string;
  readonly kind: FieldKind;
}

/** A failure as it crosses threads. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly problems?: readonly TemplateProblem[];
}

/** A render task: the fields of one template, rendered for each entry of `list`. */
export interface RenderTask {
  /** Keeps the prepared template in the thread under this key, for the next task of the same fan-out. */
  readonly key: string | undefined;
  readonly limits: RenderLimits;
  readonly fields: readonly FieldTask[];
  /** Variables every entry has. */
  readonly shared: Readonly<Record<string, unknown>>;
  /** Top-level names of the variables that differ per entry; pieces that read none are rendered once. */
  readonly perRecipient: readonly string[];
  /** Each entry's own variables, merged over `shared`. */
  readonly list: readonly Readonly<Record<string, unknown>>[];
  /** Milliseconds of rendering this task may still use before its remaining entries fail. */
  readonly budgetMs: number;
  /** One Int32 the thread bumps after each entry, so that the host can tell a stuck render. */
  readonly progress: SharedArrayBuffer;
}

/**
 * One field's output for one entry: a string, or for content, its parts; a part is a string, or
 * the values of its holes when the task's `literals` hold the part's fixed text.
 */
export type FieldOutput = string | Readonly<Record<string, string | readonly string[]>>;

/** One entry's output: every field, or the first failure. */
export type EntryAnswer = { readonly fields: Readonly<Record<string, FieldOutput>> } | { readonly error: WireError; readonly field: string };

/**
 * How the host makes one content part for further entries: the same text for every entry, or the
 * part's literals with the printed value of variable `lookups[i]` in hole i.
 */
export type PartPlan = 'constant' | { readonly print: PrintFormat; readonly lookups: readonly (readonly string[])[] };

/**
 * Given when every output of a template that reads a recipient's variables is a plain variable
 * (`{{ recipient.name }}`) and its text fields (subject, from address) read none: the host can
 * then make further entries itself from a rendered entry, the literals and each entry's variables,
 * without a render. By `field.part`.
 */
export interface HostPlan {
  readonly parts: Readonly<Record<string, PartPlan>>;
}

/** The answer to a {@link RenderTask}. */
export interface RenderAnswer {
  /** The fixed text around each holey part's values, by `field.part`. */
  readonly literals: Readonly<Record<string, readonly string[]>>;
  readonly entries: readonly EntryAnswer[];
  /** Milliseconds the thread spent rendering. */
  readonly ms: number;
  readonly plan?: HostPlan;
}
