import { createContext, useContext } from 'react';
import type { BackendInfo, SessionInfo } from '../../src/admin/api.ts';

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside of the session provider');
  return session;
}

export function backendOf(session: SessionInfo, id: string): BackendInfo | undefined {
  return session.backends.find((b) => b.id === id);
}

export function modelLabel(session: SessionInfo, name: string | null): string {
  if (name === null) return '';
  return session.models.find((m) => m.name === name)?.label ?? name;
}

/** `2026-11-23T14:52:38.625Z` → `23 Nov 2026, 14:52`. */
export function when(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
