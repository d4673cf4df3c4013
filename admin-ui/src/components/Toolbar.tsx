import type { EditorView } from '@codemirror/view';
import type { EditorMode } from './CodeEditor.tsx';
import { insertInto } from './CodeEditor.tsx';

interface Tool {
  readonly label: string;
  readonly title: string;
  readonly before: string;
  readonly after?: string;
}

const LIQUID: readonly Tool[] = [
  { label: 'if', title: 'If: show something only when a variable is set', before: '{% if object.', after: ' %}\n\n{% endif %}' },
  { label: 'for', title: 'For: repeat for each item of a list', before: '{% for item in object.', after: ' %}\n  {{ item }}\n{% endfor %}' },
];

const TOOLS: Readonly<Record<EditorMode, readonly Tool[]>> = {
  html: [
    { label: 'B', title: 'Bold', before: '<strong>', after: '</strong>' },
    { label: 'I', title: 'Italic', before: '<em>', after: '</em>' },
    { label: 'Link', title: 'Link', before: '<a href="{{ site.baseUrl }}/">', after: '</a>' },
    { label: 'P', title: 'Paragraph', before: '<p>', after: '</p>' },
    { label: 'H2', title: 'Heading', before: '<h2>', after: '</h2>' },
    { label: 'List', title: 'Bulleted list', before: '<ul>\n  <li>', after: '</li>\n</ul>' },
  ],
  markdown: [
    { label: 'B', title: 'Bold', before: '**', after: '**' },
    { label: 'I', title: 'Italic', before: '_', after: '_' },
    { label: 'Link', title: 'Link', before: '[', after: ']({{ site.baseUrl }}/)' },
    { label: 'H2', title: 'Heading', before: '## ' },
    { label: 'List', title: 'Bulleted list', before: '- ' },
    { label: 'Quote', title: 'Quote', before: '> ' },
  ],
  blocks: [
    { label: 'subject', title: 'The subject block', before: '{% block subject %}', after: '{% endblock %}\n' },
    { label: 'text_body', title: 'The plain-text body block', before: '{% block text_body %}\n', after: '\n{% endblock %}\n' },
    { label: 'html_body', title: 'The HTML body block', before: '{% block html_body %}\n<p>', after: '</p>\n{% endblock %}\n' },
  ],
  text: [],
  fields: [{ label: 'Field', title: 'A key: value line of the payload', before: 'key: ' }],
  json: [],
};

/** The buttons above a content editor: formatting for its format, and Liquid tags. */
export function Toolbar({ mode, view }: { mode: EditorMode; view: EditorView | null }) {
  return (
    <div className="toolbar" role="toolbar" aria-label="Formatting">
      {[...TOOLS[mode], ...LIQUID].map((tool) => (
        <button key={tool.label} type="button" title={tool.title} aria-label={tool.title} disabled={!view} onClick={() => view && insertInto(view, tool.before, tool.after)}>
          {tool.label}
        </button>
      ))}
    </div>
  );
}
