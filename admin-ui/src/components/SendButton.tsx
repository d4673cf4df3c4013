import { useMemo, useState, type DependencyList } from 'react';

/**
 * A key for one state of a send form, sent as the `Idempotency-Key` header: the server carries out
 * a send once per key, so a double click (or a retried request) sends once. It changes with `deps`,
 * so that a changed form is a new send.
 */
export function useFormKey(deps: DependencyList): string {
  // getRandomValues, unlike randomUUID, works on plain-http admins too.
  return useMemo(() => [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''), deps);
}

/**
 * The button that sends: to one object it sends at once; to more, it first asks, with the count
 * ("Send to 12 subscribers?"), away from where the first click landed.
 */
export function SendButton({ label, count, noun, disabled, onSend }: { label: string; count: number; noun: string; disabled?: boolean; onSend(): void }) {
  const [asking, setAsking] = useState(false);
  if (asking) {
    return (
      <span className="confirm" role="group" aria-label="Confirm sending">
        <span>{`Send to ${count} ${noun}?`}</span>{' '}
        <button type="button" onClick={() => setAsking(false)}>
          Cancel
        </button>{' '}
        <button type="button" className="primary" disabled={disabled} onClick={() => (setAsking(false), onSend())}>
          {`Yes, send to ${count} ${noun}`}
        </button>
      </span>
    );
  }
  return (
    <button type="button" className="primary" disabled={disabled || count === 0} onClick={() => (count > 1 ? setAsking(true) : onSend())}>
      {label}
    </button>
  );
}
