import { useEffect, useState } from 'react';
import type { MessagePage, MessageSummary, NotificationSummary, SendOutcome } from '../../../src/admin/api.ts';
import { api, get, messageOf } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { Link, useRouter } from '../router.tsx';
import { backendLabel, notificationLabel, useSession, when } from '../session.ts';

const STATUSES = ['queued', 'sending', 'sent', 'retrying', 'failed', 'skipped'] as const;
const FILTERS = ['address', 'status', 'backend', 'notification', 'from', 'to'] as const;

/** The message log: filters in the address (so a filtered view can be shared), resend of failed messages. */
export function MessagesPage() {
  const session = useSession();
  const { location, navigate } = useRouter();
  const notifications = useLoad<NotificationSummary[]>('/notifications');
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = location.query.get(name);
    if (value) query.set(name, value);
  }
  const path = `/messages?${query}`;
  const [rows, setRows] = useState<readonly MessageSummary[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [outcomes, setOutcomes] = useState<readonly SendOutcome[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let live = true;
    get<MessagePage>(path).then(
      (page) => {
        if (!live) return;
        setRows(page.messages);
        setNext(page.next);
        setError(null);
      },
      (e: unknown) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [path, version]);

  // While messages are on their way, the log follows them.
  const pending = rows.some((r) => r.status === 'queued' || r.status === 'sending' || r.status === 'retrying');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => setVersion((v) => v + 1), 1500);
    return () => clearTimeout(timer);
  }, [pending, rows]);

  const setFilter = (name: (typeof FILTERS)[number], value: string) => {
    const changed = new URLSearchParams(query);
    if (value) changed.set(name, value);
    else changed.delete(name);
    setSelected(new Set());
    navigate(`/messages${changed.size > 0 ? `?${changed}` : ''}`, true);
  };
  const older = async () => {
    if (next === null) return;
    const page = await get<MessagePage>(`${path}&before=${next}`);
    setRows([...rows, ...page.messages]);
    setNext(page.next);
  };
  const toggle = (id: number) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  const failed = rows.filter((r) => r.status === 'failed');
  const resend = async () => {
    setBusy(true);
    try {
      const result = await api<{ outcomes: SendOutcome[] }>('POST', '/messages/resend', { ids: [...selected] });
      setOutcomes(result.outcomes);
      setSelected(new Set());
      setVersion((v) => v + 1);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Message log</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Recipient address
          <input type="search" value={query.get('address') ?? ''} maxLength={200} placeholder="ann@example.org" onChange={(e) => setFilter('address', e.target.value)} />
        </label>
        <label>
          Status
          <select value={query.get('status') ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Backend
          <select value={query.get('backend') ?? ''} onChange={(e) => setFilter('backend', e.target.value)}>
            <option value="">any</option>
            {session.backends.map((b) => (
              <option key={b.id} value={b.id}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Notification
          <select value={query.get('notification') ?? ''} onChange={(e) => setFilter('notification', e.target.value)}>
            <option value="">any</option>
            {notifications.data?.map((n) => (
              <option key={n.key} value={n.key}>
                {`${n.modelLabel}: ${n.codename}`}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (UTC)
          <input type="date" value={query.get('from') ?? ''} onChange={(e) => setFilter('from', e.target.value)} />
        </label>
        <label>
          To (UTC)
          <input type="date" value={query.get('to') ?? ''} onChange={(e) => setFilter('to', e.target.value)} />
        </label>
        <button type="button" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </form>
      {error && <p className="alert error">{error}</p>}
      {outcomes && (
        <div className="alert ok" role="status" aria-label="Resend outcome">
          <p>
            Resent {outcomes.filter((o) => o.status === 'sent').length} of {outcomes.length}:
          </p>
          <ul>
            {outcomes.map((o) => (
              <li key={o.id}>
                Message {o.id} to {o.to.join(', ') || 'nobody'}: {o.status === 'not_resent' ? 'not resent' : o.status}
                {o.error ? ` (${o.error})` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="buttons">
        <button type="button" className="primary" disabled={busy || selected.size === 0} onClick={() => void resend()}>
          Resend selected ({selected.size})
        </button>
        {failed.length > 0 && (
          <button type="button" onClick={() => setSelected(new Set(failed.map((f) => f.id)))}>
            Select all failed ({failed.length})
          </button>
        )}
      </div>
      <table className="log">
        <thead>
          <tr>
            <th />
            <th>Id</th>
            <th>Created</th>
            <th>Notification</th>
            <th>Backend</th>
            <th>To</th>
            <th>Subject</th>
            <th>Status</th>
            <th className="num">Attempts</th>
            <th>Error or reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.id} className={`status-${m.status}`}>
              <td>{m.status === 'failed' && <input type="checkbox" aria-label={`Select message ${m.id}`} checked={selected.has(m.id)} onChange={() => toggle(m.id)} />}</td>
              <td>
                <Link to={`/messages/${m.id}`}>{m.id}</Link>
              </td>
              <td>{when(m.createdAt)}</td>
              <td title={m.notification ?? undefined}>{m.notification ? notificationLabel(session, m.notification) : <span className="hint">{m.issueId === null ? 'one-time / test' : 'deleted'}</span>}</td>
              <td title={m.backend}>{backendLabel(session, m.backend)}</td>
              <td>{m.to.map((c) => c.address).join(', ')}</td>
              <td>{m.subject}</td>
              <td>
                <span className={`badge ${m.status}`}>{m.status}</span>
              </td>
              <td className="num">{m.attempts}</td>
              <td className="error-cell" title={m.error ?? ''}>
                {m.errorCode && <code>{m.errorCode}</code>} {m.error}
              </td>
            </tr>
          ))}
          {rows.length === 0 && !error && (
            <tr>
              <td colSpan={10} className="hint">
                No messages{query.size > 0 ? ' match these filters' : ' yet'}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {next !== null && (
        <button type="button" onClick={() => void older()}>
          Older messages
        </button>
      )}
    </section>
  );
}
