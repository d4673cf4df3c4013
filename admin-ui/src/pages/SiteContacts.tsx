import { useState, type FormEvent } from 'react';
import type { NotificationSummary, SiteContactForm, SiteContactRecord } from '../../../src/admin/api.ts';
import { api, messageOf } from '../api.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { useLoad } from '../hooks.ts';
import { useSession } from '../session.ts';

/** Addresses managed here that templates reach through "Site Contacts", with per-notification settings. */
export function SiteContactsPage() {
  const contacts = useLoad<SiteContactRecord[]>('/site-contacts');
  const notifications = useLoad<NotificationSummary[]>('/notifications');
  const [editing, setEditing] = useState<SiteContactRecord | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const remove = async (id: number) => {
    try {
      await api('DELETE', `/site-contacts/${id}`);
      contacts.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const label = (key: string) => notifications.data?.find((n) => n.key === key)?.description ?? key;
  return (
    <section>
      <h1>Site contacts</h1>
      <p className="lead">Addresses your staff manage, such as the site administrator. Templates reach them when “Site Contacts” is among their recipients.</p>
      {(contacts.error ?? error) && <p className="alert error">{contacts.error ?? error}</p>}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Protocol</th>
            <th>Address</th>
            <th>Receives</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {contacts.data?.map((c) => {
            const off = Object.entries(c.settings).filter(([, on]) => !on).map(([k]) => label(k));
            const on = Object.entries(c.settings).filter(([, enabled]) => enabled).map(([k]) => label(k));
            return (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.protocol}</td>
                <td>{c.address}</td>
                <td>{c.enableFilter === 'blacklist' ? (off.length === 0 ? 'every notification' : `every notification except: ${off.join('; ')}`) : on.length === 0 ? 'nothing' : `only: ${on.join('; ')}`}</td>
                <td className="actions">
                  <button type="button" onClick={() => setEditing(c)}>
                    Edit
                  </button>
                  <ConfirmButton confirm={`Delete ${c.name}`} onConfirm={() => void remove(c.id)}>
                    Delete
                  </ConfirmButton>
                </td>
              </tr>
            );
          })}
          {contacts.data?.length === 0 && (
            <tr>
              <td colSpan={5} className="hint">
                No site contacts yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {editing === null ? (
        <p>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Add a site contact
          </button>
        </p>
      ) : (
        <ContactForm
          key={editing === 'new' ? 'new' : editing.id}
          contact={editing === 'new' ? undefined : editing}
          notifications={notifications.data ?? []}
          onDone={() => {
            setEditing(null);
            contacts.reload();
          }}
        />
      )}
    </section>
  );
}

function ContactForm({ contact, notifications, onDone }: { contact: SiteContactRecord | undefined; notifications: readonly NotificationSummary[]; onDone(): void }) {
  const session = useSession();
  const protocols = [...new Set(session.backends.map((b) => b.protocol))];
  const [form, setForm] = useState<SiteContactForm>({
    name: contact?.name ?? '',
    protocol: contact?.protocol ?? protocols[0] ?? '',
    address: contact?.address ?? '',
    enableFilter: contact?.enableFilter ?? 'blacklist',
    settings: contact?.settings ?? {},
  });
  const [error, setError] = useState<string | null>(null);
  const enabled = (key: string) => (form.enableFilter === 'whitelist' ? form.settings[key] === true : form.settings[key] !== false);
  const setEnabled = (key: string, on: boolean) => setForm({ ...form, settings: { ...form.settings, [key]: on } });
  const setFilter = (enableFilter: SiteContactForm['enableFilter']) => {
    // Keep what is ticked when switching: store the ticks in the form the new filter reads.
    const ticked = notifications.filter((n) => enabled(n.key)).map((n) => n.key);
    const settings = Object.fromEntries(notifications.map((n) => [n.key, ticked.includes(n.key)]));
    setForm({ ...form, enableFilter, settings });
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // Only the exceptions are stored: unticked under a blacklist, ticked under a whitelist.
    const settings = Object.fromEntries(notifications.flatMap((n) => (form.enableFilter === 'blacklist' ? (enabled(n.key) ? [] : [[n.key, false]]) : enabled(n.key) ? [[n.key, true]] : [])));
    try {
      await api(contact ? 'PUT' : 'POST', contact ? `/site-contacts/${contact.id}` : '/site-contacts', { ...form, settings });
      onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="card grid-form" onSubmit={(e) => void submit(e)} aria-label={contact ? `Edit ${contact.name}` : 'New site contact'}>
      <h2 className="wide">{contact ? `Edit ${contact.name}` : 'New site contact'}</h2>
      <label>
        Name
        <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required />
      </label>
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
      <label className="wide">
        Address
        <input value={form.address} onChange={(e) => setForm({ ...form, address: e.target.value })} required />
      </label>
      <fieldset className="wide">
        <legend>Notifications</legend>
        <label>
          <input type="radio" name="filter" checked={form.enableFilter === 'blacklist'} onChange={() => setFilter('blacklist')} /> Every notification except those unticked: notifications added later are on
        </label>
        <label>
          <input type="radio" name="filter" checked={form.enableFilter === 'whitelist'} onChange={() => setFilter('whitelist')} /> Only the ticked notifications: notifications added later are off
        </label>
        <div className="checkboxes columns">
          {notifications.map((n) => (
            <label key={n.key}>
              <input type="checkbox" checked={enabled(n.key)} onChange={(e) => setEnabled(n.key, e.target.checked)} /> {n.modelLabel}: {n.description}
            </label>
          ))}
        </div>
      </fieldset>
      {error && <p className="alert error wide">{error}</p>}
      <div className="wide buttons">
        <button type="submit" className="primary">
          {contact ? 'Save' : 'Add site contact'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
