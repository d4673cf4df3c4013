import { html } from '@codemirror/lang-html';
import type { Completion } from '@codemirror/autocomplete';
import { liquid } from '@codemirror/lang-liquid';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { markdown } from '@codemirror/lang-markdown';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorSelection, EditorState, Prec, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { EditorType, TemplateProblem, VariableGroup } from '../../../src/admin/api.ts';

/** What the editor highlights: Liquid on top of the backend's editor type. */
export type EditorMode = EditorType;

/** Liquid stands out from the markup around it: delimiters, variables, tags and filters each have a colour. */
const highlight = HighlightStyle.define([
  { tag: tags.brace, color: '#b4451f', fontWeight: '600' },
  { tag: [tags.variableName, tags.propertyName], color: '#1a55c4' },
  { tag: tags.function(tags.variableName), color: '#0a7f6f' },
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.operatorKeyword, tags.moduleKeyword], color: '#8a2be2' },
  { tag: [tags.string, tags.attributeValue], color: '#a11' },
  { tag: [tags.number, tags.bool, tags.atom], color: '#164' },
  { tag: [tags.tagName, tags.angleBracket], color: '#176b3a' },
  { tag: tags.attributeName, color: '#7a5c00' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: '#6a737d', fontStyle: 'italic' },
  { tag: tags.heading, fontWeight: '700' },
  { tag: tags.strong, fontWeight: '700' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.link, color: '#1a55c4', textDecoration: 'underline' },
  { tag: tags.invalid, color: '#b42318' },
]);

/** Liquid over the content format, completing `{{ object.` from the models' schemas. */
function languageOf(mode: EditorMode, groups: readonly VariableGroup[]): Extension {
  const roots = [...new Set(groups.map((g) => g.root))];
  const variables: Completion[] = roots.map((root) => ({ label: root, type: 'variable', detail: groups.find((g) => g.root === root)?.label ?? '' }));
  const properties = (path: readonly string[]): readonly Completion[] => {
    const [root, ...rest] = path;
    const prefix = rest.join('.');
    const seen = new Set<string>();
    const completions: Completion[] = [];
    for (const group of groups.filter((g) => g.root === root)) {
      for (const field of group.fields) {
        const parts = field.path.split('.');
        if (parts.length !== rest.length + 1 || parts.slice(0, -1).join('.') !== prefix) continue;
        const label = parts.at(-1) ?? '';
        if (seen.has(label)) continue;
        seen.add(label);
        completions.push({ label, type: 'property', detail: field.type });
      }
    }
    return completions;
  };
  const config = { variables, properties };
  if (mode === 'html' || mode === 'blocks') return liquid({ ...config, base: html() });
  if (mode === 'markdown') return liquid({ ...config, base: markdown() });
  return liquid(config);
}

/**
 * Typing the `%}` that the editor already put after `{%` steps over it, as typing `}}` does for
 * `{{`: lang-liquid's `%` handler and closeBrackets would otherwise leave a stray `%}`.
 */
const overtypeTagClose = Prec.high(
  EditorView.inputHandler.of((view, from, to, text) => {
    if (from !== to || (text !== '%' && text !== '}')) return false;
    const { doc } = view.state;
    const steps = text === '%' ? doc.sliceString(from, from + 2) === '%}' : doc.sliceString(from - 1, from + 1) === '%}';
    if (!steps) return false;
    view.dispatch({ selection: EditorSelection.cursor(from + 1), scrollIntoView: true, userEvent: 'input.type' });
    return true;
  }),
);

/** Problems of one field as CodeMirror diagnostics, at their line and column. */
function diagnosticsOf(view: EditorView, problems: readonly (TemplateProblem & { severity: 'error' | 'warning' })[]): Diagnostic[] {
  const doc = view.state.doc;
  return problems.map((p) => {
    const line = doc.line(Math.min(Math.max(p.line ?? 1, 1), doc.lines));
    const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
    const name = /unknown variable ([^\s:]+)/.exec(p.message)?.[1];
    const to = Math.min(line.to, from + (name?.length ?? Math.max(line.to - from, 1)));
    return { from, to: Math.max(to, from), severity: p.severity, message: p.message, source: 'Vox' };
  });
}

export interface CodeEditorProps {
  readonly label: string;
  readonly value: string;
  readonly mode: EditorMode;
  readonly problems: readonly (TemplateProblem & { severity: 'error' | 'warning' })[];
  /** The variable picker's groups, offered as completions. */
  readonly variables?: readonly VariableGroup[];
  onChange(value: string): void;
  /** Gives the parent the view, so that toolbars and the variable picker can insert text. */
  onView?(view: EditorView | null): void;
  onFocus?(): void;
  readonly minLines?: number;
}

/** CodeMirror 6 with Liquid highlighting, line numbers and problems marked in place. */
export function CodeEditor({ label, value, mode, problems, variables = [], onChange, onView, onFocus, minLines = 12 }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const language = useRef(new Compartment());
  const callbacks = useRef({ onChange, onFocus });
  callbacks.current = { onChange, onFocus };

  useEffect(() => {
    if (!host.current) return;
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          overtypeTagClose,
          syntaxHighlighting(highlight),
          language.current.of(languageOf(mode, variables)),
          lintGutter(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.theme({ '&': { minHeight: `${minLines * 1.4 + 0.5}em` }, '.cm-scroller': { minHeight: `${minLines * 1.4 + 0.5}em` } }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange(update.state.doc.toString());
            if (update.focusChanged && update.view.hasFocus) callbacks.current.onFocus?.();
          }),
        ],
      }),
    });
    view.current = created;
    onView?.(created);
    return () => {
      onView?.(null);
      created.destroy();
      view.current = null;
    };
    // The editor is created once; value and mode changes are applied below.
  }, []);

  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value) {
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(languageOf(mode, variables)) });
  }, [mode, variables]);

  useEffect(() => {
    const current = view.current;
    if (current) current.dispatch(setDiagnostics(current.state, diagnosticsOf(current, problems)));
  }, [problems, value]);

  return <div className="code-editor" ref={host} data-mode={mode} />;
}

/** Puts text at the cursor (replacing the selection), or wraps the selection in `before` and `after`. */
export function insertInto(view: EditorView, before: string, after = ''): void {
  const { from, to } = view.state.selection.main;
  const selected = view.state.sliceDoc(from, to);
  view.dispatch({
    changes: { from, to, insert: before + selected + after },
    selection: { anchor: from + before.length, head: from + before.length + selected.length },
    scrollIntoView: true,
  });
  view.focus();
}
