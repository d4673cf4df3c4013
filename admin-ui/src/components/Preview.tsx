import { useState } from 'react';
import type { PreviewResult } from '../../../src/admin/api.ts';

/**
 * A rendered message: subject, from, to, the HTML part in a sandboxed frame (no script, no access
 * to the admin), the text part and the attachments.
 */
export function Preview({ result, loading }: { result: PreviewResult | null; loading: boolean }) {
  const [tab, setTab] = useState<'html' | 'text'>('html');
  const message = result?.message;
  const showHtml = tab === 'html' && message?.html !== undefined;
  return (
    <section className="preview" aria-label="Preview" aria-busy={loading}>
      <h3>Preview {loading && <span className="hint">updating…</span>}</h3>
      {result?.renderError && <p className="alert error">The template does not render: {result.renderError}</p>}
      {result && result.errors.length > 0 && !message && <p className="alert error">Fix the errors to see the preview.</p>}
      {result?.notes.map((note) => (
        <p key={note} className="note">
          {note}
        </p>
      ))}
      {message && (
        <>
          <dl className="headers">
            {message.subject !== undefined && (
              <>
                <dt>Subject</dt>
                <dd data-testid="preview-subject">{message.subject}</dd>
              </>
            )}
            {message.from !== undefined && (
              <>
                <dt>From</dt>
                <dd>{message.from}</dd>
              </>
            )}
            {message.to.length > 0 && (
              <>
                <dt>To</dt>
                <dd>{message.to.map((c) => (c.name ? `${c.name} <${c.address}>` : c.address)).join(', ')}</dd>
              </>
            )}
            {message.recipient && (
              <>
                <dt>Recipient</dt>
                <dd>{message.recipient}</dd>
              </>
            )}
            {message.attachments.length > 0 && (
              <>
                <dt>Attached</dt>
                <dd>{message.attachments.map((a) => `${a.filename} (${a.contentType}, ${a.size} bytes)`).join(', ')}</dd>
              </>
            )}
          </dl>
          <div className="tabs" role="tablist">
            {message.html !== undefined && (
              <button type="button" role="tab" aria-selected={tab === 'html'} onClick={() => setTab('html')}>
                HTML
              </button>
            )}
            {message.text !== undefined && (
              <button type="button" role="tab" aria-selected={tab === 'text' || message.html === undefined} onClick={() => setTab('text')}>
                Text
              </button>
            )}
          </div>
          {showHtml ? (
            <iframe title="HTML part" className="html-part" sandbox="" srcDoc={message.html} />
          ) : message.text !== undefined ? (
            <pre className="text-part" data-testid="preview-text">
              {message.text}
            </pre>
          ) : null}
          {message.data !== undefined && <pre className="text-part">{JSON.stringify(message.data, null, 2)}</pre>}
        </>
      )}
    </section>
  );
}
