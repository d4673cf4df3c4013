/**
 * The render thread: Piscina runs this module's default export in a worker thread, one task at a
 * time, so that a slow or hostile template costs this thread's time and never the host's. A
 * template prepared for a fan-out is kept here between its tasks; once it breaks a limit or uses
 * up its budget, the rest of its entries fail without being rendered.
 */
import { ErrorCode, TemplateValidationError, VoxError, errorText } from '../vocabulary/errors.ts';
import { LiquidRenderer, type PreparedContent, type PreparedText } from './liquid.ts';
import { OUTPUT_LIMIT, checkOutput, type EntryAnswer, type FieldOutput, type FieldTask, type HostPlan, type PartPlan, type RenderAnswer, type RenderLimits, type RenderTask, type WireError } from './tasks.ts';

type Variables = Record<string, unknown>;
type PreparedField = { readonly text: PreparedText } | { readonly content: PreparedContent } | { readonly error: WireError };

/** A template prepared for the entries of one fan-out, with what it has cost so far. */
interface Prepared {
  readonly fields: readonly (readonly [FieldTask, PreparedField])[];
  readonly plan: HostPlan | undefined;
  spentMs: number;
  failed?: EntryAnswer;
}

/** Fan-outs kept prepared at once; the oldest is dropped (and prepared again if it comes back). */
const KEPT = 32;
const kept = new Map<string, Prepared>();
let liquid: { readonly key: string; readonly renderer: LiquidRenderer } | undefined;

export default function renderTask(task: RenderTask): RenderAnswer {
  const progress = new Int32Array(task.progress);
  Atomics.add(progress, 0, 1);
  const started = performance.now();
  const prepared = preparedFor(task);
  const outputLimit = task.limits.outputLimit ?? OUTPUT_LIMIT;
  const literals: Record<string, readonly string[]> = {};
  const entries: EntryAnswer[] = [];
  for (const own of task.list) {
    if (!prepared.failed && prepared.spentMs + (performance.now() - started) > task.budgetMs) {
      prepared.failed = failure('content', new VoxError(ErrorCode.renderLimit, `rendering this template used up its budget of ${task.budgetMs} ms for one fan-out; its remaining messages were not rendered (limits.render.budgetMs)`));
    }
    if (prepared.failed) {
      entries.push(prepared.failed);
      continue;
    }
    const answer = renderEntry(prepared, { ...task.shared, ...own }, literals, outputLimit);
    if ('error' in answer && answer.error.code === ErrorCode.renderLimit) {
      prepared.failed = { field: answer.field, error: { code: ErrorCode.renderLimit, message: `${answer.error.message}; the template's remaining messages in this fan-out were not rendered` } };
    }
    entries.push(answer);
    Atomics.add(progress, 0, 1);
  }
  const ms = performance.now() - started;
  prepared.spentMs += ms;
  return { literals, entries, ms, ...(prepared.plan ? { plan: prepared.plan } : {}) };
}

function rendererFor(limits: RenderLimits): LiquidRenderer {
  const key = JSON.stringify(limits);
  if (liquid?.key !== key) liquid = { key, renderer: new LiquidRenderer(limits) };
  return liquid.renderer;
}

function preparedFor(task: RenderTask): Prepared {
  const found = task.key === undefined ? undefined : kept.get(task.key);
  if (found) return found;
  const renderer = rendererFor(task.limits);
  const perRecipient = new Set(task.perRecipient);
  const fields = task.fields.map((field): readonly [FieldTask, PreparedField] => {
    try {
      if (field.kind === 'subject' || field.kind === 'plain') return [field, { text: renderer.prepareText(field.source, field.kind === 'subject', task.shared, perRecipient) }];
      return [field, { content: renderer.prepareContent(field.source, field.kind, task.shared, perRecipient) }];
    } catch (error) {
      return [field, { error: wireError(error) }];
    }
  });
  const prepared: Prepared = { fields, plan: planOf(fields), spentMs: 0 };
  if (task.key !== undefined) {
    if (kept.size >= KEPT) kept.delete(kept.keys().next().value as string);
    kept.set(task.key, prepared);
  }
  return prepared;
}

/** Renders every field for one entry; a part over the output limit fails the entry. */
function renderEntry(prepared: Prepared, variables: Variables, literals: Record<string, readonly string[]>, outputLimit: number): EntryAnswer {
  const fields: Record<string, FieldOutput> = {};
  for (const [field, ready] of prepared.fields) {
    if ('error' in ready) return { field: field.name, error: ready.error };
    try {
      if ('text' in ready) {
        const text = ready.text.render(variables);
        checkOutput(field.name, text.length, outputLimit);
        fields[field.name] = text;
        continue;
      }
      const { parts, holes } = ready.content.render(variables);
      const output: Record<string, string | readonly string[]> = {};
      for (const [part, text] of Object.entries(parts)) {
        checkOutput(part === field.name ? field.name : `${field.name} (${part})`, text.length, outputLimit);
        const hole = holes[part];
        if (!hole) {
          output[part] = text;
          continue;
        }
        literals[`${field.name}.${part}`] ??= hole.literals;
        output[part] = hole.values;
      }
      fields[field.name] = output;
    } catch (error) {
      return failure(field.name, error);
    }
  }
  return { fields };
}

/** The host's plan for the template (see {@link HostPlan}): when its text fields are constant and its content has a plan. */
function planOf(fields: readonly (readonly [FieldTask, PreparedField])[]): HostPlan | undefined {
  const parts: Record<string, PartPlan> = {};
  for (const [field, ready] of fields) {
    if ('error' in ready) return undefined;
    if ('text' in ready) {
      if (!ready.text.constant) return undefined;
      continue;
    }
    if (!ready.content.plan) return undefined;
    for (const [part, plan] of Object.entries(ready.content.plan)) parts[`${field.name}.${part}`] = plan;
  }
  return { parts };
}

function failure(field: string, error: unknown): EntryAnswer {
  return { field, error: wireError(error) };
}

function wireError(error: unknown): WireError {
  if (error instanceof TemplateValidationError) return { code: error.code, message: error.message, problems: error.problems };
  if (error instanceof VoxError) return { code: error.code, message: error.message };
  return { code: ErrorCode.render, message: `template failed to render: ${errorText(error)}` };
}
