import { useState, type FormEvent } from 'react';
import type { IssuedNotifications, NotificationDetail, ObjectChoice } from '../../../src/admin/api.ts';
import { api, messageOf } from '../api.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { ObjectsPicker } from '../components/ObjectPicker.tsx';
import { SendButton, useFormKey } from '../components/SendButton.tsx';
import { useLoad } from '../hooks.ts';
import { Link, useRouter } from '../router.tsx';
import { backendOf, modelLabel, useSession, when } from '../session.ts';

/** A notification with its templates, and the seed's "Send Notification" for notifications without actor or target. */
export function NotificationPage({ notificationKey }: { notificationKey: string }) {
  const session = useSession();
  const { data, error, reload } = useLoad<NotificationDetail>(`/notifications/${encodeURIComponent(notificationKey)}`);
  if (error) return <p className="alert error">{error}</p>;
  if (!data) return <p className="loading">Loading…</p>;
  const { notification: n, templates, channels } = data;
  const channelLabel = (key: string) => channels.find((c) => c.key === key)?.label ?? key;
  const base = `/notifications/${encodeURIComponent(n.key)}`;
  return (
    <section>
      <p className="crumbs">
        <Link to="/">Notifications</Link> / {n.modelLabel}
      </p>
      <h1>
        {n.modelLabel}: {n.codename}
      </h1>
      {n.fromCode ? <CodeFields detail={data} /> : <AdminFields detail={data} onSaved={reload} />}
      <h2>Templates</h2>
      {templates.length === 0 ? (
        <p className="hint">No templates yet, so this notification sends nothing.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Backend</th>
              <th>Recipients</th>
              <th>Subject</th>
              <th>Bulk</th>
              <th>Enabled</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {templates.map((t) => (
              <tr key={t.id}>
                <td>
                  <Link to={`${base}/templates/${t.id}`}>{backendOf(session, t.backend)?.label ?? t.backend}</Link>
                </td>
                <td>{t.recipients.length === 0 ? <span className="hint">none</span> : t.recipients.map(channelLabel).join(', ')}</td>
                <td>{t.subject}</td>
                <td>{t.bulk ? 'yes' : 'no'}</td>
                <td>{t.enabled ? 'yes' : <span className="badge off">disabled</span>}</td>
                <td>{when(t.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <Link to={`${base}/templates/new`} className="button">
          Add a template
        </Link>
      </p>
      <SendNotification detail={data} />
    </section>
  );
}

function CodeFields({ detail }: { detail: NotificationDetail }) {
  const session = useSession();
  const n = detail.notification;
  return (
    <dl className="fields">
      <dt>Id</dt>
      <dd>
        <code>{n.key}</code> <span className="badge">{n.orphan ? 'from code, no longer declared there' : 'defined in code: read-only'}</span>
      </dd>
      <dt>Description</dt>
      <dd>{n.description}</dd>
      <dt>Actor</dt>
      <dd>{n.actorModel ? modelLabel(session, n.actorModel) : <span className="hint">none</span>}</dd>
      <dt>Target</dt>
      <dd>{n.targetModel ? modelLabel(session, n.targetModel) : <span className="hint">none</span>}</dd>
      <dt>Preference category</dt>
      <dd>{n.category ? `${n.category.label} (${n.category.key})` : <span className="hint">none</span>}</dd>
      <dt>Opting out</dt>
      <dd>{n.required ? <span className="badge">required: nobody can opt out</span> : <DefaultsText defaults={n.defaults} />}</dd>
    </dl>
  );
}

/** What a recipient who set no preference gets: every protocol, or all but those opted out by default. */
function DefaultsText({ defaults }: { defaults: Readonly<Record<string, boolean>> }) {
  const off = Object.entries(defaults).filter(([, on]) => !on).map(([protocol]) => protocol);
  return <>{off.length === 0 ? 'recipients may opt out; opted in by default' : `recipients may opt out; opted out by default for ${off.join(', ')} (they must opt in)`}</>;
}

function AdminFields({ detail, onSaved }: { detail: NotificationDetail; onSaved(): void }) {
  const session = useSession();
  const { navigate } = useRouter();
  const n = detail.notification;
  const [form, setForm] = useState({ description: n.description, actorModel: n.actorModel ?? '', targetModel: n.targetModel ?? '' });
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api('PUT', `/notifications/${encodeURIComponent(n.key)}`, form);
      setStatus({ ok: true, text: 'Saved.' });
      onSaved();
    } catch (e) {
      setStatus({ ok: false, text: messageOf(e) });
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', `/notifications/${encodeURIComponent(n.key)}`);
      navigate('/');
    } catch (e) {
      setStatus({ ok: false, text: messageOf(e) });
    }
  };
  const models = session.models.map((m) => (
    <option key={m.name} value={m.name}>
      {m.label}
    </option>
  ));
  return (
    <form className="grid-form card" onSubmit={(e) => void save(e)}>
      <p className="wide">
        <code>{n.key}</code> <span className="badge admin">created in the admin</span>
      </p>
      <label className="wide">
        Description
        <input value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} required />
      </label>
      <label>
        Actor model
        <select value={form.actorModel} onChange={(e) => setForm({ ...form, actorModel: e.target.value })}>
          <option value="">none</option>
          {models}
        </select>
      </label>
      <label>
        Target model
        <select value={form.targetModel} onChange={(e) => setForm({ ...form, targetModel: e.target.value })}>
          <option value="">none</option>
          {models}
        </select>
      </label>
      {status && <p className={`alert ${status.ok ? 'ok' : 'error'} wide`}>{status.text}</p>}
      <div className="wide buttons">
        <button type="submit" className="primary">
          Save
        </button>
        <ConfirmButton confirm="Delete it and its templates" onConfirm={() => void remove()}>
          Delete notification
        </ConfirmButton>
      </div>
    </form>
  );
}

/** Issues the notification about chosen objects, when it needs no actor or target. */
function SendNotification({ detail }: { detail: NotificationDetail }) {
  const session = useSession();
  const n = detail.notification;
  const [objects, setObjects] = useState<readonly ObjectChoice[]>([]);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useFormKey([objects]);
  const model = session.models.find((m) => m.name === n.model);
  if (n.actorModel || n.targetModel) {
    return (
      <p className="hint">
        This notification has {n.actorModel ? 'an actor' : 'a target'}, so only your application, which knows {n.actorModel ? 'who acted' : 'what was affected'}, can send it.
      </p>
    );
  }
  if (!model?.searchable) {
    return <p className="hint">To send this notification from here, give the {n.modelLabel} model search and load functions.</p>;
  }
  const send = async () => {
    setBusy(true);
    try {
      const result = await api<IssuedNotifications>('POST', `/notifications/${encodeURIComponent(n.key)}/issue`, { objects: objects.map((o) => o.id) }, key);
      const sent = `${result.issues.length === 1 ? 'the notification' : `${result.issues.length} notifications`}`;
      setStatus({ ok: true, text: result.repeated ? `Already sent ${sent}: nothing more was sent.` : `Sent ${sent}. The message log shows how delivery goes.` });
      setObjects([]);
    } catch (e) {
      setStatus({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card send-notification">
      <h2>Send notification</h2>
      <p className="hint">Issue “{n.description}” now, once per chosen {n.modelLabel.toLowerCase()}, as if your application had.</p>
      <ObjectsPicker model={n.model} label={n.modelLabel} value={objects} onChange={setObjects} />
      {status && (
        <p className={`alert ${status.ok ? 'ok' : 'error'}`} role="status">
          {status.text} {status.ok && <Link to={`/messages?notification=${encodeURIComponent(n.key)}`}>Open the message log</Link>}
        </p>
      )}
      <SendButton label="Send notification" count={objects.length} noun={`${n.modelLabel.toLowerCase()} objects`} disabled={busy} onSend={() => void send()} />
    </section>
  );
}
