import { useCallback, useEffect, useRef, useState } from 'react';
import type { PreviewResult } from '../../src/admin/api.ts';
import { api, get, messageOf } from './api.ts';

/** Loads JSON from the API; `reload()` loads it again. */
export function useLoad<T>(path: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    get<T>(path).then(
      (loaded) => live && (setData(loaded), setError(null)),
      (e: unknown) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [path, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, reload, setData };
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * A live preview: posts `body` to `path` once it has stopped changing for a quarter second; only
 * the latest request's answer is shown, and a failure shows as the preview's render error.
 */
export function useLivePreview(path: string, body: unknown): { preview: PreviewResult | null; loading: boolean } {
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [loading, setLoading] = useState(false);
  const request = useDebounced(body, 250);
  const sequence = useRef(0);
  useEffect(() => {
    const current = ++sequence.current;
    setLoading(true);
    api<PreviewResult>('POST', path, request).then(
      (result) => current === sequence.current && (setPreview(result), setLoading(false)),
      (e: unknown) => current === sequence.current && (setPreview({ errors: [], warnings: [], message: null, renderError: messageOf(e), notes: [] }), setLoading(false)),
    );
  }, [path, request]);
  return { preview, loading };
}
