import type { EditorView } from '@codemirror/view';
import { useMemo, useRef, useState } from 'react';
import type { ObjectChoice, OneTimeForm, OneTimeOptions, OneTimeResult } from '../../../src/admin/api.ts';
import { ApiFailure, api, messageOf } from '../api.ts';
import { CodeEditor, insertInto } from '../components/CodeEditor.tsx';
import { ObjectsPicker } from '../components/ObjectPicker.tsx';
import { Preview } from '../components/Preview.tsx';
import { Problems } from '../components/Problems.tsx';
import { SendButton, useFormKey } from '../components/SendButton.tsx';
import { Toolbar } from '../components/Toolbar.tsx';
import { VariablePicker } from '../components/VariablePicker.tsx';
import { useLivePreview, useLoad } from '../hooks.ts';
import { Link, useRouter } from '../router.tsx';
import { useSession } from '../session.ts';

/** The seed's `notify` admin action: a one-time message to chosen objects of any model, with template variables. */
export function OneTimePage() {
  const session = useSession();
  const { location, navigate } = useRouter();
  const model = location.query.get('model') ?? session.models[0]?.name ?? '';
  const info = session.models.find((m) => m.name === model);
  const options = useLoad<OneTimeOptions>(model ? `/one-time/${encodeURIComponent(model)}` : null);
  return (
    <section className="editor-page">
      <h1>Send a message</h1>
      <p className="lead">A one-time message to chosen objects, through their own contacts, without a notification. Variables work here too.</p>
      <label className="inline">
        To objects of{' '}
        <select value={model} onChange={(e) => navigate(`/send?model=${encodeURIComponent(e.target.value)}`, true)} aria-label="Model">
          {session.models.map((m) => (
            <option key={m.name} value={m.name}>
              {m.label} ({m.name})
            </option>
          ))}
        </select>
      </label>
      {options.error && <p className="alert error">{options.error}</p>}
      {info && !info.searchable && !options.error && <p className="alert error">{info.label} objects cannot be chosen here: give the model search and load functions.</p>}
      {info?.searchable && options.data && !options.error && <Composer key={model} model={model} label={info.label} options={options.data} />}
    </section>
  );
}

function Composer({ model, label, options }: { model: string; label: string; options: OneTimeOptions }) {
  const [objects, setObjects] = useState<readonly ObjectChoice[]>([]);
  const [form, setForm] = useState({ backend: options.backends[0]?.id ?? '', fromAddress: '', subject: '', content: '' });
  const [view, setView] = useState<EditorView | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string; log?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  // An empty message is an error worth showing once the author has written or tried to send, not before.
  const [tried, setTried] = useState(false);
  const subject = useRef<HTMLInputElement>(null);
  const focused = useRef<'content' | 'subject'>('content');
  const backend = options.backends.find((b) => b.id === form.backend);
  const message: OneTimeForm = useMemo(() => ({ model, objects: objects.map((o) => o.id), ...form }), [model, objects, form]);
  const { preview, loading } = useLivePreview('/one-time/preview', message);
  const key = useFormKey([message]);
  const insert = (path: string) => {
    const text = `{{ ${path} }}`;
    if (focused.current === 'subject' && subject.current) {
      const input = subject.current;
      input.setRangeText(text, input.selectionStart ?? 0, input.selectionEnd ?? 0, 'end');
      setForm((f) => ({ ...f, subject: input.value }));
      input.focus();
    } else if (view) insertInto(view, text);
  };
  const send = async () => {
    setTried(true);
    setBusy(true);
    try {
      const result = await api<OneTimeResult>('POST', '/one-time/send', message, key);
      const queued = `${result.queued} message${result.queued === 1 ? '' : 's'}`;
      const skipped = result.skipped.length > 0 ? ` No contact for: ${result.skipped.join(', ')}.` : '';
      setStatus({ ok: true, text: result.repeated ? `Already queued ${queued}: nothing more was sent.` : `Queued ${queued}.${skipped}`, log: true });
    } catch (e) {
      setStatus({ ok: false, text: e instanceof ApiFailure && e.problems.length > 0 ? 'Not sent: fix the errors below.' : messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  const untouched = !tried && form.content === '';
  const problems = (preview?.errors ?? []).filter((p) => !(untouched && p.field === 'content' && p.message === 'the message is empty'));
  const warnings = preview?.warnings ?? [];
  return (
    <div className="editor-grid">
      <div className="editor-main">
        <ObjectsPicker model={model} label={`${label} objects`} value={objects} onChange={setObjects} />
        <div className="grid-form">
          <label>
            Backend
            <select value={form.backend} onChange={(e) => setForm({ ...form, backend: e.target.value })}>
              {options.backends.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.label} ({b.id})
                </option>
              ))}
            </select>
          </label>
          {backend?.capabilities.fromAddress && (
            <label>
              From address
              <input value={form.fromAddress} onChange={(e) => setForm({ ...form, fromAddress: e.target.value })} placeholder="the backend's default" />
            </label>
          )}
          {backend?.capabilities.subject && (
            <label className="wide">
              Subject
              <input ref={subject} value={form.subject} onFocus={() => (focused.current = 'subject')} onChange={(e) => setForm({ ...form, subject: e.target.value })} />
            </label>
          )}
        </div>
        <div className="content-field">
          <span className="label">Content</span>
          <Toolbar mode={backend?.editor ?? 'text'} view={view} />
          <CodeEditor
            label="Content"
            value={form.content}
            mode={backend?.editor ?? 'text'}
            minLines={8}
            variables={options.variables}
            problems={[...problems.filter((p) => p.field === 'content').map((p) => ({ ...p, severity: 'error' as const })), ...warnings.filter((p) => p.field === 'content').map((p) => ({ ...p, severity: 'warning' as const }))]}
            onChange={(content) => setForm((f) => ({ ...f, content }))}
            onView={setView}
            onFocus={() => (focused.current = 'content')}
          />
        </div>
        <Problems errors={problems} warnings={warnings} />
        {status && (
          <p className={`alert ${status.ok ? 'ok' : 'error'}`} role="status">
            {status.text} {status.log && <Link to="/messages">Open the message log</Link>}
          </p>
        )}
        <SendButton label={`Send to ${objects.length} ${objects.length === 1 ? 'object' : 'objects'}`} count={objects.length} noun="objects" disabled={busy} onSend={() => void send()} />
      </div>
      <VariablePicker groups={options.variables} bulk={false} onInsert={insert} />
      <div className="editor-preview">
        <p className="hint">The preview shows the message to the first chosen object.</p>
        <Preview result={preview && { ...preview, errors: problems }} loading={loading} />
      </div>
    </div>
  );
}
