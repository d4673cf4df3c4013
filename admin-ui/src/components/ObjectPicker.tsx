import { useEffect, useState } from 'react';
import type { ObjectChoice } from '../../../src/admin/api.ts';
import { get, messageOf } from '../api.ts';

/** Objects of a model found through its `search`, while the user types. */
function useSearch(model: string, query: string) {
  const [results, setResults] = useState<readonly ObjectChoice[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      get<ObjectChoice[]>(`/models/${encodeURIComponent(model)}/objects?q=${encodeURIComponent(query)}`).then(
        (found) => live && (setResults(found), setError(null)),
        (e: unknown) => live && setError(messageOf(e)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [model, query]);
  return { results, error };
}

/** Picks one object, for previews. */
export function ObjectPicker({ model, label, value, onChange }: { model: string; label: string; value: ObjectChoice | null; onChange(choice: ObjectChoice | null): void }) {
  const [query, setQuery] = useState('');
  const { results, error } = useSearch(model, query);
  if (value) {
    return (
      <div className="object-picker chosen">
        <span>
          {label}: <strong>{value.label}</strong>
        </span>
        <button type="button" className="link" onClick={() => onChange(null)}>
          change
        </button>
      </div>
    );
  }
  return (
    <div className="object-picker">
      <input type="search" aria-label={`Search ${label}`} placeholder={`Search ${label}`} value={query} onChange={(e) => setQuery(e.target.value)} />
      {error && <p className="alert error">{error}</p>}
      <ul className="results">
        {results.map((r) => (
          <li key={r.id}>
            <button type="button" className="link" onClick={() => onChange(r)}>
              {r.label}
            </button>
          </li>
        ))}
        {results.length === 0 && !error && <li className="hint">Nothing found.</li>}
      </ul>
    </div>
  );
}

/** Picks several objects, for issuing a notification or sending a one-time message. */
export function ObjectsPicker({ model, label, value, onChange }: { model: string; label: string; value: readonly ObjectChoice[]; onChange(choices: readonly ObjectChoice[]): void }) {
  const [query, setQuery] = useState('');
  const { results, error } = useSearch(model, query);
  const chosen = new Set(value.map((v) => v.id));
  const toggle = (choice: ObjectChoice) => onChange(chosen.has(choice.id) ? value.filter((v) => v.id !== choice.id) : [...value, choice]);
  const shown = [...value.filter((v) => !results.some((r) => r.id === v.id)), ...results];
  return (
    <fieldset className="object-picker many">
      <legend>{label}</legend>
      <input type="search" aria-label={`Search ${label}`} placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
      {error && <p className="alert error">{error}</p>}
      <ul className="results">
        {shown.map((r) => (
          <li key={r.id}>
            <label>
              <input type="checkbox" checked={chosen.has(r.id)} onChange={() => toggle(r)} /> {r.label}
            </label>
          </li>
        ))}
        {shown.length === 0 && !error && <li className="hint">Nothing found.</li>}
      </ul>
      <p className="hint">{value.length === 0 ? 'None chosen.' : `${value.length} chosen.`}</p>
    </fieldset>
  );
}
