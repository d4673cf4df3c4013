import type { EditorView } from '@codemirror/view';
import { useMemo, useRef, useState } from 'react';
import type { NotificationDetail, ObjectChoice, PreviewSource, SendOutcome, TemplateForm, TemplateProblem, TemplateRecord } from '../../../src/admin/api.ts';
import { ApiFailure, api, messageOf } from '../api.ts';
import { CodeEditor, insertInto } from '../components/CodeEditor.tsx';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { DigestFields } from '../components/DigestFields.tsx';
import { ObjectPicker } from '../components/ObjectPicker.tsx';
import { Preview } from '../components/Preview.tsx';
import { Problems } from '../components/Problems.tsx';
import { Toolbar } from '../components/Toolbar.tsx';
import { VariablePicker } from '../components/VariablePicker.tsx';
import { useLivePreview, useLoad } from '../hooks.ts';
import { Link, useRouter } from '../router.tsx';
import { backendOf, useSession } from '../session.ts';

type Field = 'content' | 'subject' | 'fromAddress';
type Role = 'object' | 'actor' | 'target';

/** Problems without repeats: the preview and a refused save often report the same one. */
function distinct(problems: readonly TemplateProblem[]): TemplateProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\u0000${p.line ?? ''}\u0000${p.column ?? ''}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function formOf(template: TemplateRecord): TemplateForm {
  const { id, notification, backend, recipients, subject, content, fromAddress, attachments, bulk, enabled, digest } = template;
  return { id, notification, backend, recipients, subject, content, fromAddress, attachments, bulk, enabled, digest };
}

/** The template editor: fields by backend capability, CodeMirror, the variable picker and a live preview. */
export function TemplatePage({ notificationKey, templateId }: { notificationKey: string; templateId: number | undefined }) {
  const { data, error } = useLoad<NotificationDetail>(`/notifications/${encodeURIComponent(notificationKey)}`);
  if (error) return <p className="alert error">{error}</p>;
  if (!data) return <p className="loading">Loading…</p>;
  const template = templateId === undefined ? undefined : data.templates.find((t) => t.id === templateId);
  if (templateId !== undefined && !template) return <p className="alert error">Template {templateId} does not exist.</p>;
  return <Editor detail={data} template={template} />;
}

function Editor({ detail, template }: { detail: NotificationDetail; template: TemplateRecord | undefined }) {
  const session = useSession();
  const { navigate } = useRouter();
  const n = detail.notification;
  const base = `/notifications/${encodeURIComponent(n.key)}`;
  const [form, setForm] = useState<TemplateForm>(() =>
    template
      ? formOf(template)
      : { notification: n.key, backend: session.backends[0]?.id ?? '', recipients: [], subject: '', content: '', fromAddress: '', attachments: [], bulk: false, enabled: true, digest: null },
  );
  const [saved, setSaved] = useState<TemplateForm | null>(template ? formOf(template) : null);
  const [chosen, setChosen] = useState<Partial<Record<Role, ObjectChoice | null>>>({});
  const [mode, setMode] = useState<PreviewSource['mode']>('sample');
  // A failure names the form it was about, and is shown only while the form is unchanged.
  const [status, setStatus] = useState<{ ok: boolean; text: string; form?: string } | null>(null);
  // A refused save's errors belong to the form as it was sent: once the author changes it, they go.
  const [refused, setRefused] = useState<{ readonly form: string; readonly problems: readonly TemplateProblem[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState<EditorView | null>(null);
  const focused = useRef<Field>('content');
  const inputs = { subject: useRef<HTMLInputElement>(null), fromAddress: useRef<HTMLInputElement>(null) };

  const backend = backendOf(session, form.backend);
  const caps = backend?.capabilities;
  const source: PreviewSource = useMemo(
    () => ({ mode, ...Object.fromEntries(Object.entries(chosen).flatMap(([role, choice]) => (choice ? [[role, choice.id]] : []))) }),
    [mode, chosen],
  );
  const { preview, loading } = useLivePreview('/templates/preview', useMemo(() => ({ template: form, source }), [form, source]));

  const set = <K extends keyof TemplateForm>(field: K, value: TemplateForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const toggle = (field: 'recipients' | 'attachments', key: string) => setForm((f) => ({ ...f, [field]: f[field].includes(key) ? f[field].filter((k) => k !== key) : [...f[field], key] }));

  const insert = (path: string) => {
    const text = `{{ ${path} }}`;
    const target = focused.current;
    const input = target === 'content' ? null : inputs[target].current;
    if (input) {
      const start = input.selectionStart ?? input.value.length;
      input.setRangeText(text, start, input.selectionEnd ?? start, 'end');
      set(target as 'subject' | 'fromAddress', input.value);
      input.focus();
    } else if (view) {
      insertInto(view, text);
    }
  };

  const completions = useMemo(
    () => detail.variables.filter((g) => (form.bulk ? g.inBulk : true) && (g.channel === undefined || form.recipients.includes(g.channel))),
    [detail.variables, form.bulk, form.recipients],
  );
  const current = JSON.stringify(form);
  const saveProblems = refused?.form === current ? refused.problems : [];
  const problems = distinct([...(preview?.errors ?? []), ...saveProblems]);
  const warnings = preview?.warnings ?? [];
  const marked = (field: Field) => [
    ...problems.filter((p) => p.field === field).map((p) => ({ ...p, severity: 'error' as const })),
    ...warnings.filter((p) => p.field === field).map((p) => ({ ...p, severity: 'warning' as const })),
  ];
  const dirty = current !== JSON.stringify(saved);

  const save = async () => {
    setBusy(true);
    try {
      const result = await api<{ template: TemplateRecord; warnings: TemplateProblem[] }>(form.id === undefined ? 'POST' : 'PUT', form.id === undefined ? '/templates' : `/templates/${form.id}`, form);
      const next = formOf(result.template);
      setForm(next);
      setSaved(next);
      setRefused(null);
      // A template that cannot render sends nothing: said as an error, not counted among warnings.
      const failing = result.warnings.find((w) => w.message.startsWith('messages will fail'));
      const count = result.warnings.length;
      setStatus(failing ? { ok: false, text: `Saved, but ${failing.message}.` } : { ok: true, text: count > 0 ? `Saved, with ${count} warning${count === 1 ? '' : 's'}.` : 'Saved.' });
      if (form.id === undefined) navigate(`${base}/templates/${result.template.id}`, true);
    } catch (e) {
      const failed = e instanceof ApiFailure && e.problems.length > 0;
      setRefused({ form: JSON.stringify(form), problems: failed ? e.problems : [] });
      setStatus({ ok: false, text: failed ? 'Not saved: fix the errors listed above.' : messageOf(e), form: JSON.stringify(form) });
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (form.id === undefined) return;
    try {
      await api('DELETE', `/templates/${form.id}`);
      navigate(base);
    } catch (e) {
      setStatus({ ok: false, text: messageOf(e) });
    }
  };
  const sendTest = async () => {
    setBusy(true);
    setStatus({ ok: true, text: 'Sending a test…' });
    try {
      const outcome = await api<SendOutcome>('POST', '/templates/test', { template: form, source });
      const to = outcome.to.join(', ');
      setStatus(
        outcome.status === 'sent'
          ? { ok: true, text: `Test sent to ${to}.` }
          : outcome.status === 'failed' || outcome.status === 'retrying'
            ? { ok: false, text: `The test to ${to} failed: ${outcome.error ?? 'unknown error'}` }
            : { ok: true, text: `The test to ${to} is ${outcome.status}; the message log will show when it goes out.` },
      );
    } catch (e) {
      setStatus({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };

  const roles: { role: Role; model: string | null; label: string }[] = [
    { role: 'object', model: n.model, label: n.modelLabel },
    { role: 'actor', model: n.actorModel, label: 'Actor' },
    { role: 'target', model: n.targetModel, label: 'Target' },
  ];
  const me = backend && session.user.contacts.find((c) => c.protocol === backend.protocol);

  return (
    <section className="editor-page">
      <p className="crumbs">
        <Link to="/">Notifications</Link> / <Link to={base}>{`${n.modelLabel}: ${n.codename}`}</Link> / {form.id === undefined ? 'New template' : `Template ${form.id}`}
      </p>
      <h1>{form.id === undefined ? 'New template' : `${backend?.label ?? form.backend} template`}</h1>
      <p className="lead">{n.description}</p>
      <div className="editor-grid">
        <div className="editor-main">
          <div className="grid-form">
            <label>
              Backend
              <select value={form.backend} onChange={(e) => set('backend', e.target.value)}>
                {!backend && <option value={form.backend}>{form.backend} (not configured)</option>}
                {session.backends.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.label} ({b.id})
                  </option>
                ))}
              </select>
            </label>
            <div className="toggles">
              <label title="One message to all recipients together, instead of one each">
                <input type="checkbox" checked={form.bulk} onChange={(e) => set('bulk', e.target.checked)} /> Bulk
              </label>
              <label title="A disabled template sends nothing">
                <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
              </label>
            </div>
            <fieldset className="wide checkboxes">
              <legend>Recipients</legend>
              {detail.channels.map((c) => (
                <label key={c.key}>
                  <input type="checkbox" checked={form.recipients.includes(c.key)} onChange={() => toggle('recipients', c.key)} /> {c.label}
                </label>
              ))}
            </fieldset>
            {caps?.subject && (
              <label className="wide">
                Subject
                <input ref={inputs.subject} value={form.subject} onFocus={() => (focused.current = 'subject')} onChange={(e) => set('subject', e.target.value)} aria-invalid={marked('subject').some((p) => p.severity === 'error')} />
              </label>
            )}
            {caps?.fromAddress && (
              <label className="wide">
                From address <span className="hint">(empty: the backend's default)</span>
                <input ref={inputs.fromAddress} value={form.fromAddress} onFocus={() => (focused.current = 'fromAddress')} onChange={(e) => set('fromAddress', e.target.value)} />
              </label>
            )}
            {!form.bulk && <DigestFields value={form.digest} declared={n.digest} onChange={(digest) => set('digest', digest)} />}
            {caps?.attachments && detail.attachments.length > 0 && (
              <fieldset className="wide checkboxes">
                <legend>Attachments</legend>
                {detail.attachments.map((a) => (
                  <label key={a.key}>
                    <input type="checkbox" checked={form.attachments.includes(a.key)} onChange={() => toggle('attachments', a.key)} /> {a.label}
                  </label>
                ))}
              </fieldset>
            )}
          </div>
          <div className="content-field">
            <span className="label">
              Content <span className="hint">({backend?.format === 'blocks' ? 'Liquid blocks' : (backend?.format ?? 'text')})</span>
            </span>
            <Toolbar mode={backend?.editor ?? 'text'} view={view} />
            <CodeEditor
              label="Content"
              value={form.content}
              mode={backend?.editor ?? 'text'}
              problems={marked('content')}
              variables={completions}
              onChange={(content) => set('content', content)}
              onView={setView}
              onFocus={() => (focused.current = 'content')}
            />
          </div>
          <Problems errors={problems} warnings={warnings} />
          {status && (status.form === undefined || status.form === current) && (
            <p className={`alert ${status.ok ? 'ok' : 'error'}`} role="status">
              {status.text}
            </p>
          )}
          <div className="buttons">
            <button type="button" className="primary" disabled={busy} onClick={() => void save()}>
              {form.id === undefined ? 'Create template' : 'Save'}
            </button>
            <button type="button" disabled={busy || !me} title={me ? `Send this template, as it is now, to ${me.address}` : 'You have no address for this protocol'} onClick={() => void sendTest()}>
              Send test to me
            </button>
            {dirty && form.id !== undefined && <span className="hint">Unsaved changes</span>}
            {form.id !== undefined && (
              <ConfirmButton confirm="Delete this template" onConfirm={() => void remove()}>
                Delete
              </ConfirmButton>
            )}
          </div>
        </div>
        <VariablePicker groups={detail.variables} bulk={form.bulk} channels={form.recipients} onInsert={insert} />
        <div className="editor-preview">
          <fieldset className="source">
            <legend>Preview with</legend>
            <label>
              <input type="radio" name="preview-source" checked={mode === 'sample'} onChange={() => setMode('sample')} /> Sample data
            </label>
            <label>
              <input type="radio" name="preview-source" checked={mode === 'object'} onChange={() => setMode('object')} /> Real objects
            </label>
            {mode === 'object' &&
              roles.map(({ role, model, label }) => {
                if (!model) return null;
                const info = session.models.find((m) => m.name === model);
                if (!info?.searchable) return <p key={role} className="hint">{`${info?.label ?? model} objects cannot be searched; sample data is used.`}</p>;
                return <ObjectPicker key={role} model={model} label={role === 'object' ? label : `${label} (${info.label})`} value={chosen[role] ?? null} onChange={(choice) => setChosen((c) => ({ ...c, [role]: choice }))} />;
              })}
          </fieldset>
          <Preview result={preview} loading={loading} />
        </div>
      </div>
    </section>
  );
}
