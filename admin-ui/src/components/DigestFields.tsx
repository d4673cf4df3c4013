import type { TemplateDigest } from '../../../src/vocabulary/digest.ts';

type Choice = 'follow' | 'off' | 'own';
type Own = Exclude<TemplateDigest, false>;

const MINUTE = 60_000;
const minutes = (ms: number | undefined) => (ms === undefined ? '' : String(ms / MINUTE));
const ms = (text: string) => (text.trim() === '' ? undefined : Math.round(Number(text) * MINUTE));
const count = (text: string) => (text.trim() === '' ? undefined : Number(text));

/**
 * A template's digest: as its notification declares, off, or its own window, key and limits. Times
 * are typed in minutes; the server checks them when the template is saved.
 */
export function DigestFields({ value, declared, onChange }: { value: TemplateDigest | null; declared: string | null; onChange: (value: TemplateDigest | null) => void }) {
  const choice: Choice = value === null ? 'follow' : value === false ? 'off' : 'own';
  const own: Own = value === null || value === false ? { window: 30 * MINUTE } : value;
  const change = (patch: Partial<Own>) => {
    const next: Record<string, unknown> = { ...own, ...patch };
    for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
    onChange(next as Own);
  };
  return (
    <fieldset className="wide digest">
      <legend>Digest</legend>
      <label>
        Messages of this template
        <select value={choice} onChange={(e) => onChange(e.target.value === 'follow' ? null : e.target.value === 'off' ? false : own)}>
          <option value="follow">{declared ? `As the notification declares: ${declared}` : 'As the notification declares: each at once'}</option>
          <option value="off">Each sent at once</option>
          <option value="own">Gathered into a digest</option>
        </select>
      </label>
      {choice === 'own' && (
        <div className="grid-form">
          <label>
            Window (minutes)
            <input type="number" min="0" step="any" value={minutes(own.window)} onChange={(e) => change({ window: ms(e.target.value) ?? 0 })} />
          </label>
          <label>
            The window runs
            <select value={own.mode ?? 'fixed'} onChange={(e) => change({ mode: e.target.value === 'sliding' ? 'sliding' : 'fixed', ...(e.target.value === 'sliding' ? {} : { maxWait: undefined }) })}>
              <option value="fixed">from the first event</option>
              <option value="sliding">from the latest event</option>
            </select>
          </label>
          {own.mode === 'sliding' && (
            <label>
              Longest wait (minutes)
              <input type="number" min="0" step="any" value={minutes(own.maxWait)} onChange={(e) => change({ maxWait: ms(e.target.value) })} />
            </label>
          )}
          <label>
            One digest per
            <select value={own.key ?? ''} onChange={(e) => change({ key: e.target.value === 'object' || e.target.value === 'actor' || e.target.value === 'target' ? e.target.value : undefined })}>
              <option value="">recipient</option>
              <option value="object">recipient and object</option>
              <option value="actor">recipient and actor</option>
              <option value="target">recipient and target</option>
            </select>
          </label>
          <label>
            Close early at (events) <span className="hint">(empty: at the window's end)</span>
            <input type="number" min="2" step="1" value={own.maxItems ?? ''} onChange={(e) => change({ maxItems: count(e.target.value) })} />
          </label>
          <label>
            The message lists the
            <select value={own.items?.keep ?? 'last'} onChange={(e) => change({ items: { keep: e.target.value === 'first' ? 'first' : 'last', count: own.items?.count ?? 10 } })}>
              <option value="last">latest events</option>
              <option value="first">first events</option>
            </select>
          </label>
          <label>
            How many events it lists
            <input type="number" min="1" step="1" value={own.items?.count ?? 10} onChange={(e) => change({ items: { keep: own.items?.keep ?? 'last', count: count(e.target.value) ?? 0 } })} />
          </label>
        </div>
      )}
    </fieldset>
  );
}
