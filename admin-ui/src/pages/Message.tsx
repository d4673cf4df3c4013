import { useState } from 'react';
import type { MessageDetail, SendOutcome } from '../../../src/admin/api.ts';
import { api, messageOf } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { Link } from '../router.tsx';
import { backendLabel, notificationLabel, useSession, when } from '../session.ts';

/** One message of the log as it was rendered, with its outcome, and resend when it failed. */
export function MessagePage({ id }: { id: number }) {
  const session = useSession();
  const { data: m, error, reload } = useLoad<MessageDetail>(`/messages/${id}`);
  const [tab, setTab] = useState<'html' | 'text'>('html');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  if (error) return <p className="alert error">{error}</p>;
  if (!m) return <p className="loading">Loading…</p>;
  const resend = async () => {
    try {
      const { outcomes } = await api<{ outcomes: SendOutcome[] }>('POST', '/messages/resend', { ids: [m.id] });
      const [first] = outcomes;
      setOutcome(
        first?.status === 'sent'
          ? { ok: true, text: `Resent to ${first.to.join(', ')}.` }
          : { ok: false, text: `${first?.status === 'not_resent' ? 'Not resent' : 'Not sent'}: ${first?.error ?? 'unknown error'}` },
      );
      reload();
    } catch (e) {
      setOutcome({ ok: false, text: messageOf(e) });
    }
  };
  const payload = m.payload;
  return (
    <section>
      <p className="crumbs">
        <Link to="/messages">Message log</Link> / Message {m.id}
      </p>
      <h1>{m.subject || `Message ${m.id}`}</h1>
      <dl className="fields">
        <dt>Status</dt>
        <dd>
          <span className={`badge ${m.status}`}>{m.status}</span> after {m.attempts} attempt{m.attempts === 1 ? '' : 's'}
          {m.sentAt && `, sent ${when(m.sentAt)}`}
          {m.nextAttemptAt && m.status !== 'sent' && m.status !== 'failed' && `, next attempt ${when(m.nextAttemptAt)}`}
        </dd>
        {m.error && (
          <>
            <dt>Error</dt>
            <dd className="alert error">
              {m.errorCode && <code>{m.errorCode}</code>} {m.error} {m.permanent && <span className="hint">(permanent: retrying cannot help)</span>}
            </dd>
          </>
        )}
        <dt>Notification</dt>
        <dd>{m.notification ? <Link to={`/notifications/${encodeURIComponent(m.notification)}`}>{notificationLabel(session, m.notification)}</Link> : <span className="hint">none (one-time message or test)</span>}</dd>
        <dt>Backend</dt>
        <dd>{backendLabel(session, m.backend)}</dd>
        {m.from && (
          <>
            <dt>From</dt>
            <dd>{m.from}</dd>
          </>
        )}
        <dt>To</dt>
        <dd>{m.to.map((c) => (c.name ? `${c.name} <${c.address}>` : c.address)).join(', ') || <span className="hint">nobody</span>}</dd>
        <dt>Created</dt>
        <dd>{when(m.createdAt)}</dd>
        {m.providerMessageId && (
          <>
            <dt>Provider id</dt>
            <dd>
              <code>{m.providerMessageId}</code>
            </dd>
          </>
        )}
        {payload?.attachments && payload.attachments.length > 0 && (
          <>
            <dt>Attached</dt>
            <dd>{payload.attachments.map((a) => `${a.filename} (${a.contentType})`).join(', ')}</dd>
          </>
        )}
      </dl>
      {m.status === 'failed' && (
        <p>
          <button type="button" className="primary" onClick={() => void resend()}>
            Resend
          </button>
        </p>
      )}
      {outcome && (
        <p className={`alert ${outcome.ok ? 'ok' : 'error'}`} role="status">
          {outcome.text}
        </p>
      )}
      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        {m.events.length === 0 ? (
          <p className="hint">The provider has reported nothing about this message (yet).</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Event</th>
                <th>Recipient</th>
                <th>Provider says</th>
              </tr>
            </thead>
            <tbody>
              {m.events.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.occurredAt)}</td>
                  <td>
                    <span className={`badge ${e.event}`}>{e.event}</span>
                  </td>
                  <td>{e.recipient ?? ''}</td>
                  <td>
                    {e.code && <code>{e.code}</code>} {e.description}
                    <details>
                      <summary>{e.provider} payload</summary>
                      <pre className="text-part">{e.payload}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {payload ? (
        <section className="preview">
          <div className="tabs" role="tablist">
            {payload.html !== undefined && (
              <button type="button" role="tab" aria-selected={tab === 'html'} onClick={() => setTab('html')}>
                HTML
              </button>
            )}
            {payload.text !== undefined && (
              <button type="button" role="tab" aria-selected={tab === 'text' || payload.html === undefined} onClick={() => setTab('text')}>
                Text
              </button>
            )}
          </div>
          {tab === 'html' && payload.html !== undefined ? (
            <iframe title="HTML part" className="html-part" sandbox="" srcDoc={payload.html} />
          ) : payload.text !== undefined ? (
            <pre className="text-part">{payload.text}</pre>
          ) : null}
          {payload.data !== undefined && <pre className="text-part">{JSON.stringify(payload.data, null, 2)}</pre>}
        </section>
      ) : (
        <p className="hint">Nothing was rendered for this message: it failed before it could be.</p>
      )}
    </section>
  );
}
