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

/** A notification as the admin names it elsewhere: `blog.subscriber.created` → `Subscriber: created`. */
export function notificationLabel(session: SessionInfo, key: string): string {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? key : `${modelLabel(session, key.slice(0, dot))}: ${key.slice(dot + 1)}`;
}

/** A backend by its label (`Markdown email`), or its id when it is no longer configured. */
export function backendLabel(session: SessionInfo, id: string): string {
  return backendOf(session, id)?.label ?? id;
}

/** `2026-11-23T14:52:38.625Z` → `23 Nov 2026, 14:52`. */
export function when(iso: string | null): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
