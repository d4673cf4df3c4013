/**
 * Printing messages on the host, without a render. When every output of a template that reads a
 * recipient's variables is a plain variable (`{{ recipient.name }}`: no filters), a message is the
 * template's fixed text with each variable's printed value between: only property reads and
 * escaping, whose cost is bounded by the variables' size, which no template author controls. So
 * the host makes a fan-out's messages itself once it has the fixed text: from the first rendered
 * message, or at once when the whole template is text and plain variables.
 */
import type { ContentFormat } from '../vocabulary/format.ts';
import type { PartHoles } from '../vocabulary/payload.ts';
import { VoxError } from '../vocabulary/errors.ts';
import { PRINT, foldLines } from './escape.ts';
import type { LiquidRenderer } from './liquid.ts';
import { checkOutput, type HostPlan } from './tasks.ts';

type Variables = Readonly<Record<string, unknown>>;

/** The fields of a message template to render. */
export interface MessageFields {
  /** The subject, when the backend has one. */
  readonly subject?: string;
  readonly content: string;
  readonly format: ContentFormat;
  /** The from address, when the template gives one. */
  readonly fromAddress?: string;
}

/** One message's rendered fields. `holes` describe the parts that have them (see {@link PartHoles}). */
export interface RenderedMessage {
  readonly subject: string;
  readonly parts: Record<string, string>;
  readonly holes: Record<string, PartHoles>;
  readonly fromAddress?: string;
}

/** A value the host does not print itself: the entry goes to the render thread, which prints it as Liquid does. */
const UNPRINTABLE = Symbol('unprintable');

/**
 * The messages of `list` made on the host from `plan` (see {@link HostPlan}): `sample`'s subject,
 * from address and constant parts, and each holey part's literals with the entry's values printed
 * between. Only property reads and escaping, bounded by the variables' size, which no template
 * author controls. Once a message breaks the output limit, the rest fail (`stopped`, which the rest
 * of the fan-out gets too). Undefined when an entry has a value the host does not print (anything but a
 * string, number, boolean or nothing, or reached through anything but a plain object, a string, a
 * number or a boolean).
 */
export function printMany({ plan, sample, literals }: Printing, shared: Variables, list: readonly Variables[], outputLimit: number): { messages: (RenderedMessage | VoxError)[]; stopped: VoxError | undefined } | undefined {
  // The parts that differ per entry; constant parts are the sample's, within the output limit since it rendered.
  const holey: { readonly name: string; readonly label: string; readonly fixed: readonly string[]; readonly print: (value: unknown) => string; readonly lookups: readonly (readonly string[])[] }[] = [];
  for (const [key, part] of Object.entries(plan.parts)) {
    if (part === 'constant') continue;
    const fixed = literals[key];
    if (!fixed) return undefined;
    const [field = '', name = ''] = key.split('.');
    holey.push({ name, label: `${field} (${name})`, fixed, print: PRINT[part.print], lookups: part.lookups });
  }
  const messages: (RenderedMessage | VoxError)[] = [];
  let stopped: VoxError | undefined;
  for (const own of list) {
    if (stopped) {
      messages.push(stopped);
      continue;
    }
    const parts = { ...sample.parts };
    const holes = { ...sample.holes };
    let failure: VoxError | undefined;
    for (const { name, label, fixed, print, lookups } of holey) {
      const values: string[] = [];
      for (const path of lookups) {
        const value = valueAt(own, shared, path);
        if (value === UNPRINTABLE) return undefined;
        values.push(print(value));
      }
      const text = partText(values, fixed);
      try {
        checkOutput(label, text.length, outputLimit);
      } catch (error) {
        failure ??= error as VoxError;
      }
      parts[name] = text;
      holes[name] = { literals: fixed, values };
    }
    if (failure) stopped = new VoxError(failure.code, `${failure.message}; the template's remaining messages in this fan-out were not rendered`);
    messages.push(failure ?? { ...sample, parts, holes });
  }
  return { messages, stopped };
}

/** The value at `path` of an entry's variables (its own over the shared ones), read as Liquid reads own properties. */
function valueAt(own: Variables, shared: Variables, path: readonly string[]): unknown {
  const [root = '', ...rest] = path;
  let value: unknown = Object.hasOwn(own, root) ? own[root] : Object.hasOwn(shared, root) ? shared[root] : undefined;
  for (const name of rest) {
    if (value === null || value === undefined) return value;
    // A string's own properties are its length and characters; a number or boolean has none.
    if (isPrintable(value)) {
      const boxed = Object(value) as Record<string, unknown>;
      value = Object.hasOwn(boxed, name) ? boxed[name] : undefined;
      continue;
    }
    if (!isPlainObject(value)) return UNPRINTABLE;
    value = Object.hasOwn(value, name) ? value[name] : undefined;
  }
  return value === null || value === undefined || isPrintable(value) ? value : UNPRINTABLE;
}

function isPrintable(value: unknown): value is string | number | boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A part's text: itself, or its fixed text with its hole values between. */
export function partText(value: string | readonly string[], literals: readonly string[] | undefined): string {
  if (typeof value === 'string') return value;
  let text = literals?.[0] ?? '';
  for (let i = 0; i < value.length; i++) text += value[i]! + (literals?.[i + 1] ?? '');
  return text;
}

/** What the host prints a fan-out's messages from: the plan, a message for what is the same in all, and the fixed text of each part. */
export interface Printing {
  readonly plan: HostPlan;
  readonly sample: RenderedMessage;
  readonly literals: Readonly<Record<string, readonly string[]>>;
}

/**
 * The printing of a template that is text and plain variables only, in a format printed as it
 * renders (not Markdown or blocks), whose subject and from address read no recipient's variables:
 * made on the host, with no render at all. Undefined for any other template, or when a shared value
 * is one the host does not print or a fixed part is over the output limit (the render thread then
 * renders it and says why).
 */
export function plainPrinting(liquid: LiquidRenderer, fields: MessageFields, shared: Variables, perRecipient: ReadonlySet<string>, outputLimit: number): Printing | undefined {
  if (fields.format === 'blocks' || fields.format === 'markdown') return undefined;
  const content = holesOf(liquid.plainPieces(fields.content, fields.format), PRINT[fields.format], shared, perRecipient);
  // The subject and from address must be the same for everyone: one literal, no holes.
  const fixed = (source: string | undefined) => (source === undefined ? { literals: [''], lookups: [] } : holesOf(liquid.plainPieces(source, 'text'), PRINT.text, shared, perRecipient));
  const subject = fixed(fields.subject);
  const from = fixed(fields.fromAddress);
  if (!content || subject?.lookups.length !== 0 || from?.lookups.length !== 0) return undefined;
  const subjectText = subject.literals[0] ?? '';
  const fromText = from.literals[0] ?? '';
  const sample: RenderedMessage = { subject: foldLines(subjectText), parts: {}, holes: {}, ...(fields.fromAddress === undefined ? {} : { fromAddress: fromText.trim() }) };
  if (sample.subject.length > outputLimit || fromText.length > outputLimit || content.literals.join('').length > outputLimit) return undefined;
  const key = `content.${fields.format}`;
  return { plan: { parts: { [key]: { print: fields.format, lookups: content.lookups } } }, sample, literals: { [key]: content.literals } };
}

/**
 * A plain template's pieces as fixed text with holes: text and shared variables (printed now) make
 * the literals, and each per-recipient variable a hole. Undefined when the template is not plain or
 * a shared value is one the host does not print.
 */
function holesOf(pieces: readonly (string | readonly string[])[] | undefined, print: (value: unknown) => string, shared: Variables, perRecipient: ReadonlySet<string>): { literals: string[]; lookups: (readonly string[])[] } | undefined {
  if (!pieces) return undefined;
  const literals = [''];
  const lookups: (readonly string[])[] = [];
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      literals[literals.length - 1] += piece;
    } else if (perRecipient.has(piece[0]!)) {
      lookups.push(piece);
      literals.push('');
    } else {
      const value = valueAt({}, shared, piece);
      if (value === UNPRINTABLE) return undefined;
      literals[literals.length - 1] += print(value);
    }
  }
  return { literals, lookups };
}
