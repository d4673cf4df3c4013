import { useState, type FormEvent } from 'react';
import type { NotificationDetail, NotificationSummary } from '../../../src/admin/api.ts';
import { api, messageOf } from '../api.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { useLoad } from '../hooks.ts';
import { Link, useRouter } from '../router.tsx';
import { useSession, when } from '../session.ts';

/** Notifications grouped by model, with their template counts; admin-created ones can be added and deleted. */
export function NotificationsPage() {
  const { data, error, reload } = useLoad<NotificationSummary[]>('/notifications');
  const [failure, setFailure] = useState<string | null>(null);
  const groups = new Map<string, NotificationSummary[]>();
  for (const n of data ?? []) groups.set(n.modelLabel, [...(groups.get(n.modelLabel) ?? []), n]);
  const remove = async (key: string) => {
    try {
      await api('DELETE', `/notifications/${encodeURIComponent(key)}`);
      setFailure(null);
      reload();
    } catch (e) {
      setFailure(messageOf(e));
    }
  };
  return (
    <section>
      <h1>Notifications</h1>
      <p className="lead">What your application can notify people about. Open one to write its templates: one per backend.</p>
      {(error ?? failure) && <p className="alert error">{error ?? failure}</p>}
      {data?.length === 0 && <p className="hint">No notifications yet: declare them in code and run sync, or add one below.</p>}
      {[...groups].map(([label, notifications]) => (
        <div key={label} className="group">
          <h2>{label}</h2>
          <table>
            <thead>
              <tr>
                <th>Notification</th>
                <th>Description</th>
                <th>Category</th>
                <th className="num">Templates</th>
                <th>Last change</th>
                <th>Defined in</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {notifications.map((n) => (
                <tr key={n.key}>
                  <td>
                    <Link to={`/notifications/${encodeURIComponent(n.key)}`}>{n.codename}</Link>
                  </td>
                  <td>{n.description}</td>
                  <td>
                    {n.category?.label ?? <span className="hint">none</span>}
                    {n.required && <> <span className="badge">required</span></>}
                  </td>
                  <td className="num">{n.templateCount}</td>
                  <td>{when(n.lastChange)}</td>
                  <td>{n.fromCode ? <span className="badge">{n.orphan ? 'code (removed)' : 'code'}</span> : <span className="badge admin">admin</span>}</td>
                  <td className="actions">
                    {!n.fromCode && (
                      <ConfirmButton confirm={`Delete ${n.codename} and its templates`} onConfirm={() => void remove(n.key)}>
                        Delete
                      </ConfirmButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      <AddNotification />
    </section>
  );
}

function AddNotification() {
  const session = useSession();
  const { navigate } = useRouter();
  const [form, setForm] = useState({ model: session.models[0]?.name ?? '', codename: '', description: '', actorModel: '', targetModel: '' });
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const created = await api<NotificationDetail>('POST', '/notifications', form);
      navigate(`/notifications/${encodeURIComponent(created.notification.key)}`);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [field]: event.target.value });
  const models = session.models.map((m) => (
    <option key={m.name} value={m.name}>
      {m.label} ({m.name})
    </option>
  ));
  return (
    <details className="card add">
      <summary>Add a notification</summary>
      <p className="hint">Notifications added here exist only in the database. Staff issue them from the admin (they have no actor or target unless you choose one, and code cannot issue them).</p>
      <form onSubmit={(e) => void submit(e)} className="grid-form">
        <label>
          Model
          <select value={form.model} onChange={set('model')}>
            {models}
          </select>
        </label>
        <label>
          Codename
          <input value={form.codename} onChange={set('codename')} placeholder="newsletter" required pattern="[A-Za-z0-9_]+" />
        </label>
        <label className="wide">
          Description
          <input value={form.description} onChange={set('description')} placeholder="What happened, for template authors" required />
        </label>
        <label>
          Actor model
          <select value={form.actorModel} onChange={set('actorModel')}>
            <option value="">none</option>
            {models}
          </select>
        </label>
        <label>
          Target model
          <select value={form.targetModel} onChange={set('targetModel')}>
            <option value="">none</option>
            {models}
          </select>
        </label>
        {error && <p className="alert error wide">{error}</p>}
        <div className="wide">
          <button type="submit" className="primary">
            Add notification
          </button>
        </div>
      </form>
    </details>
  );
}
