import { useState, type FormEvent } from 'react';
import type { SuppressionForm, SuppressionPage, SuppressionReason, SuppressionRecord } from '../../../src/admin/api.ts';
import { api, get, messageOf } from '../api.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { useDebounced, useLoad } from '../hooks.ts';
import { useSession, when } from '../session.ts';

const REASONS: Record<SuppressionReason, string> = {
  unsubscribed: 'unsubscribed from everything',
  bounced: 'bounced for good',
  complained: 'reported as spam',
  admin: 'added by staff',
};

/** The suppression list: addresses no message goes to, why, who added them and when; staff add and remove them. */
export function SuppressionsPage() {
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const list = useLoad<SuppressionPage>(`/suppressions${q ? `?q=${encodeURIComponent(q)}` : ''}`);
  const [older, setOlder] = useState<{ rows: readonly SuppressionRecord[]; next: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const rows = [...(list.data?.suppressions ?? []), ...(older?.rows ?? [])];
  const next = older ? older.next : (list.data?.next ?? null);
  const reload = () => {
    setOlder(null);
    list.reload();
  };
  const remove = async (s: SuppressionRecord) => {
    try {
      await api('DELETE', `/suppressions?protocol=${encodeURIComponent(s.protocol)}&address=${encodeURIComponent(s.address)}`);
      setStatus(`${s.address} was taken off the list: messages may go to it again.`);
      reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const more = async () => {
    if (next === null) return;
    const page = await get<SuppressionPage>(`/suppressions?before=${next}${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    setOlder({ rows: [...(older?.rows ?? []), ...page.suppressions], next: page.next });
  };
  return (
    <section>
      <h1>Suppression list</h1>
      <p className="lead">Addresses no message goes to, whatever their preferences: checked before preferences. A required notification still goes to an address that unsubscribed from everything, never to one that bounced, complained or was added here.</p>
      <AddSuppression
        onAdded={(text) => {
          setStatus(text);
          setError(null);
          reload();
        }}
      />
      {status && (
        <p className="alert ok" role="status">
          {status}
        </p>
      )}
      {(list.error ?? error) && <p className="alert error">{list.error ?? error}</p>}
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Search the suppression list">
        <label>
          Search addresses
          <input type="search" value={search} maxLength={200} onChange={(e) => setSearch(e.target.value)} />
        </label>
      </form>
      <table aria-label="Suppressed addresses">
        <thead>
          <tr>
            <th>Address</th>
            <th>Protocol</th>
            <th>Why</th>
            <th>Added by</th>
            <th>When</th>
            <th>Note</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id}>
              <td>{s.address}</td>
              <td>{s.protocol}</td>
              <td>{REASONS[s.reason] ?? s.reason}</td>
              <td>{s.source}</td>
              <td>{when(s.createdAt)}</td>
              <td>{s.note}</td>
              <td className="actions">
                <ConfirmButton confirm={`Remove ${s.address}`} onConfirm={() => void remove(s)}>
                  Remove
                </ConfirmButton>
              </td>
            </tr>
          ))}
          {list.data && rows.length === 0 && (
            <tr>
              <td colSpan={7} className="hint">
                {q ? 'No suppressed address matches.' : 'No address is suppressed.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {next !== null && (
        <button type="button" onClick={() => void more()}>
          Older entries
        </button>
      )}
    </section>
  );
}

function AddSuppression({ onAdded }: { onAdded(text: string): void }) {
  const session = useSession();
  const protocols = [...new Set(session.backends.map((b) => b.protocol))];
  const [form, setForm] = useState<SuppressionForm>({ protocol: protocols.includes('email') ? 'email' : (protocols[0] ?? 'email'), address: '', note: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const result = await api<{ added: boolean }>('POST', '/suppressions', form);
      onAdded(result.added ? `${form.address.trim()} is suppressed: no message goes to it.` : `${form.address.trim()} was already on the list.`);
      setForm({ ...form, address: '', note: '' });
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card grid-form" onSubmit={(e) => void submit(e)} aria-label="Suppress an address">
      <h2 className="wide">Suppress an address</h2>
      <label>
        Protocol
        <select value={form.protocol} onChange={(e) => setForm({ ...form, protocol: e.target.value })}>
          {protocols.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label>
        Address
        <input value={form.address} maxLength={2048} onChange={(e) => setForm({ ...form, address: e.target.value })} required />
      </label>
      <label className="wide">
        Note (optional)
        <input value={form.note} maxLength={1000} onChange={(e) => setForm({ ...form, note: e.target.value })} />
      </label>
      {error && <p className="alert error wide">{error}</p>}
      <div className="wide buttons">
        <button type="submit" className="primary" disabled={busy}>
          Add to the suppression list
        </button>
      </div>
    </form>
  );
}
