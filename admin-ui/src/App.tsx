import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../src/admin/api.ts';
import { get, messageOf } from './api.ts';
import { config } from './config.ts';
import { MessagePage } from './pages/Message.tsx';
import { MessagesPage } from './pages/Messages.tsx';
import { NotificationPage } from './pages/Notification.tsx';
import { NotificationsPage } from './pages/Notifications.tsx';
import { OneTimePage } from './pages/OneTime.tsx';
import { SiteContactsPage } from './pages/SiteContacts.tsx';
import { SuppressionsPage } from './pages/Suppressions.tsx';
import { TemplatePage } from './pages/Template.tsx';
import { Link, Router, match, useRouter } from './router.tsx';
import { SessionContext, useSession } from './session.ts';

export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<SessionInfo>('/session').then(setSession, (e: unknown) => setError(messageOf(e)));
  }, []);
  if (error) return <p className="alert error">The admin could not start: {error}</p>;
  if (!session) return <p className="loading">Loading…</p>;
  return (
    <SessionContext.Provider value={session}>
      <Router>
        <Shell />
      </Router>
    </SessionContext.Provider>
  );
}

const SECTIONS = [
  { to: '/', label: 'Notifications', active: (path: string) => path === '/' || path.startsWith('/notifications') },
  { to: '/send', label: 'Send a message', active: (path: string) => path.startsWith('/send') },
  { to: '/site-contacts', label: 'Site contacts', active: (path: string) => path.startsWith('/site-contacts') },
  { to: '/suppressions', label: 'Suppression list', active: (path: string) => path.startsWith('/suppressions') },
  { to: '/messages', label: 'Message log', active: (path: string) => path.startsWith('/messages') },
];

function Shell() {
  const { location } = useRouter();
  useEffect(() => {
    document.title = config.title;
  }, [location.path]);
  return (
    <div className="layout">
      <header className="top">
        <Link to="/" className="brand">
          {config.title}
        </Link>
        <nav aria-label="Admin sections">
          {SECTIONS.map((s) => (
            <Link key={s.to} to={s.to} aria-current={s.active(location.path) ? 'page' : undefined}>
              {s.label}
            </Link>
          ))}
        </nav>
        <SignedIn />
      </header>
      <main>
        <Page path={location.path} />
      </main>
    </div>
  );
}

function SignedIn() {
  const { user } = useSession();
  return <span className="user">Signed in as {user.name}</span>;
}

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/' || path === '') return <NotificationsPage />;
  if ((params = match('/notifications/:key/templates/new', path))) return <TemplatePage key={`${params.key}/new`} notificationKey={params.key ?? ''} templateId={undefined} />;
  if ((params = match('/notifications/:key/templates/:id', path))) return <TemplatePage key={`${params.key}/${params.id}`} notificationKey={params.key ?? ''} templateId={Number(params.id)} />;
  if ((params = match('/notifications/:key', path))) return <NotificationPage key={params.key} notificationKey={params.key ?? ''} />;
  if (match('/send', path)) return <OneTimePage />;
  if (match('/site-contacts', path)) return <SiteContactsPage />;
  if (match('/suppressions', path)) return <SuppressionsPage />;
  if ((params = match('/messages/:id', path))) return <MessagePage key={params.id} id={Number(params.id)} />;
  if (match('/messages', path)) return <MessagesPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the notifications</Link>
      </p>
    </section>
  );
}
