/**
 * `<vox-inbox>`: a bell with the unread count that updates live, and a dropdown of the recipient's
 * in-app items (Vox's inbox handler). Framework-free (a Lit custom element); themable with CSS
 * custom properties; keyboard-usable: the bell is a button, the dropdown a dialog that keeps focus
 * inside until Escape or the bell closes it.
 *
 * ```html
 * <script type="module" src="/inbox/vox-inbox.js"></script>
 * <vox-inbox src="/inbox"></vox-inbox>
 * ```
 *
 * Attributes: `src` (where the handler is mounted), `token` (a recipient token, for a page on
 * another origin), `poll-interval` (seconds between polls when Server-Sent Events are not
 * available; default 30), `label` (the bell's name; default "Notifications").
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { inboxStyles } from './styles.ts';

interface Item {
  readonly id: number;
  readonly title: string;
  /** Sanitized by the server. */
  readonly html: string;
  readonly link: string | null;
  readonly actor: { readonly name: string; readonly avatar: string | null } | null;
  readonly createdAt: string;
  readonly readAt: string | null;
  readonly seenAt: string | null;
}
interface Counts {
  readonly unread: number;
  readonly unseen: number;
}

const FOCUSABLE = 'a[href], button:not([disabled]), [tabindex]:not([tabindex="-1"])';

export class VoxInbox extends LitElement {
  static override properties = {
    src: { type: String },
    token: { type: String },
    label: { type: String },
    pollInterval: { type: Number, attribute: 'poll-interval' },
    open: { type: Boolean, reflect: true },
    items: { state: true },
    counts: { state: true },
    error: { state: true },
    loading: { state: true },
    nextCursor: { state: true },
  };

  declare src: string;
  declare token: string | undefined;
  declare label: string;
  declare pollInterval: number;
  declare open: boolean;
  declare items: Item[];
  declare counts: Counts;
  declare error: string;
  declare loading: boolean;
  declare nextCursor: string | null;
  #events: EventSource | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #failures = 0;
  #loaded = false;
  /** The address and token the stream was opened with. */
  #listeningWith = '';

  static override styles = inboxStyles;


  constructor() {
    super();
    this.src = '';
    this.label = 'Notifications';
    this.pollInterval = 30;
    this.open = false;
    this.items = [];
    this.counts = { unread: 0, unseen: 0 };
    this.error = '';
    this.loading = false;
    this.nextCursor = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#refreshCounts();
    this.#listen();
    document.addEventListener('click', this.#outside);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#events?.close();
    this.#events = undefined;
    clearInterval(this.#poll);
    document.removeEventListener('click', this.#outside);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('open') && this.open) this.renderRoot.querySelector<HTMLElement>('.panel')?.focus();
    // A new token (the old one is about to expire) or address: listen again with it.
    if (this.isConnected && this.#listeningWith !== this.#source()) {
      this.#events?.close();
      clearInterval(this.#poll);
      this.#failures = 0;
      this.#listen();
    }
  }

  override render() {
    const unread = this.counts.unread;
    const name = `${this.label}, ${unread} unread`;
    return html`
      <button class="bell" part="bell" type="button" aria-label=${name} aria-haspopup="dialog" aria-expanded=${this.open ? 'true' : 'false'} @click=${this.#toggle}>
        <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.73 21a2 2 0 0 1-3.46 0" />
        </svg>
        <span class="badge" part="badge" aria-hidden="true" ?hidden=${unread === 0}>${unread > 99 ? '99+' : unread}</span>
      </button>
      <span class="count" aria-live="polite" style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)">${unread} unread</span>
      ${this.open ? this.#panel() : nothing}
    `;
  }

  #panel() {
    return html`
      <div class="panel" part="panel" role="dialog" aria-modal="true" aria-labelledby="vox-inbox-heading" tabindex="-1" @keydown=${this.#keydown}>
        <header>
          <h2 id="vox-inbox-heading">${this.label}</h2>
          <button type="button" @click=${this.#markAllRead} ?disabled=${this.counts.unread === 0}>Mark all as read</button>
        </header>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        ${this.items.length === 0 && !this.loading ? html`<p class="empty">Nothing here yet.</p>` : nothing}
        <ul aria-label=${this.label}>
          ${this.items.map((item) => this.#item(item))}
        </ul>
        ${this.nextCursor ? html`<button type="button" class="more" @click=${() => this.#load(false)}>Show older</button>` : nothing}
      </div>
    `;
  }

  #item(item: Item) {
    const when = new Date(item.createdAt);
    return html`
      <li class=${item.readAt ? 'read' : 'unread'} part="item">
        <div class="title">${item.title}</div>
        <div class="body">${unsafeHTML(item.html)}</div>
        <div class="meta">
          <time datetime=${item.createdAt}>${when.toLocaleString()}</time>
          ${item.link ? html`<a href=${item.link} @click=${() => this.#mark(item, 'read')}>Open<span class="visually-hidden" style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)">: ${item.title}</span></a>` : nothing}
          <span class="actions">
            ${item.readAt
              ? html`<button type="button" aria-label=${`Mark as unread: ${item.title}`} @click=${() => this.#mark(item, 'unread')}>Mark unread</button>`
              : html`<button type="button" aria-label=${`Mark as read: ${item.title}`} @click=${() => this.#mark(item, 'read')}>Mark read</button>`}
            <button type="button" aria-label=${`Archive: ${item.title}`} @click=${() => this.#mark(item, 'archived')}>Archive</button>
          </span>
        </div>
      </li>
    `;
  }

  #url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.src.replace(/\/+$/, '')}${path}`, document.baseURI);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.toString();
  }

  async #request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('Authorization', `Bearer ${this.token}`);
    const response = await fetch(this.#url(path), { ...init, headers, credentials: this.token ? 'omit' : 'same-origin' });
    const body = (await response.json().catch(() => ({}))) as T & { error?: { message?: string } };
    if (!response.ok) throw new Error(body.error?.message ?? `the inbox answered ${response.status}`);
    return body;
  }

  async #refreshCounts(): Promise<void> {
    try {
      this.counts = await this.#request<Counts>('/counts');
    } catch {
      // The stream or the next poll tries again.
    }
  }

  /** Server-Sent Events; after repeated failures (or without EventSource), polling. */
  #source(): string {
    return `${this.src}\n${this.token ?? ''}`;
  }

  #listen(): void {
    this.#listeningWith = this.#source();
    if (typeof EventSource === 'undefined') return this.#startPolling();
    const events = new EventSource(this.#url('/stream', this.token ? { token: this.token } : {}), { withCredentials: false });
    this.#events = events;
    events.addEventListener('counts', (event) => {
      this.#failures = 0;
      this.counts = JSON.parse((event as MessageEvent<string>).data) as Counts;
    });
    events.addEventListener('item', (event) => {
      const item = JSON.parse((event as MessageEvent<string>).data) as Item;
      if (this.#loaded && !this.items.some((i) => i.id === item.id)) {
        this.items = [item, ...this.items];
        // Open, the dropdown shows it: it is read as it arrives.
        if (this.open) void this.#markMany([item.id], 'read').catch(() => {});
      }
      this.dispatchEvent(new CustomEvent('vox-inbox-item', { detail: item, bubbles: true, composed: true }));
    });
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED || ++this.#failures >= 5) {
        events.close();
        this.#events = undefined;
        this.#startPolling();
      }
    });
  }

  #startPolling(): void {
    clearInterval(this.#poll);
    this.#poll = setInterval(() => void this.#refreshCounts(), Math.max(5, this.pollInterval) * 1000);
  }

  async #load(first: boolean): Promise<void> {
    this.loading = true;
    try {
      const page = await this.#request<{ items: Item[]; nextCursor: string | null; counts: Counts }>(`/items${first || !this.nextCursor ? '' : `?cursor=${encodeURIComponent(this.nextCursor)}`}`);
      this.items = first ? page.items : [...this.items, ...page.items];
      this.nextCursor = page.nextCursor;
      this.counts = page.counts;
      this.#loaded = true;
      this.error = '';
      // Opening the inbox reads what it shows.
      const unread = page.items.filter((item) => !item.readAt).map((item) => item.id);
      if (unread.length > 0) await this.#markMany(unread, 'read');
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loading = false;
    }
  }

  async #markMany(ids: number[] | 'all', as: string): Promise<void> {
    const body = ids === 'all' ? { as, all: true } : { as, ids };
    const result = await this.#request<{ counts: Counts }>('/mark', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    this.counts = result.counts;
    const now = new Date().toISOString();
    if (as === 'read') this.items = this.items.map((item) => (ids === 'all' || ids.includes(item.id) ? { ...item, readAt: item.readAt ?? now, seenAt: item.seenAt ?? now } : item));
  }

  async #mark(item: Item, as: 'read' | 'unread' | 'archived'): Promise<void> {
    try {
      const result = await this.#request<{ counts: Counts }>(`/items/${item.id}/${as}`, { method: 'POST' });
      this.counts = result.counts;
      if (as === 'archived') {
        const index = this.items.indexOf(item);
        this.items = this.items.filter((i) => i.id !== item.id);
        await this.updateComplete;
        const buttons = [...this.renderRoot.querySelectorAll<HTMLElement>('li button')];
        (buttons[Math.min(index * 2, buttons.length - 1)] ?? this.renderRoot.querySelector<HTMLElement>('.panel'))?.focus();
      } else {
        this.items = this.items.map((i) => (i.id === item.id ? { ...i, readAt: as === 'read' ? (i.readAt ?? new Date().toISOString()) : null } : i));
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  readonly #markAllRead = async (): Promise<void> => {
    try {
      await this.#markMany('all', 'read');
    } catch (error) {
      this.error = (error as Error).message;
    }
  };

  readonly #toggle = (): void => {
    this.open = !this.open;
    if (this.open) void this.#load(true);
  };

  #close(): void {
    this.open = false;
    this.renderRoot.querySelector<HTMLElement>('.bell')?.focus();
  }

  readonly #outside = (event: MouseEvent): void => {
    if (this.open && !event.composedPath().includes(this)) this.open = false;
  };

  /** Escape closes; Tab and Shift+Tab go round the dropdown's controls and stay inside it. */
  readonly #keydown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.#close();
      return;
    }
    if (event.key !== 'Tab') return;
    const panel = this.renderRoot.querySelector<HTMLElement>('.panel');
    const focusable = [...(panel?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])];
    if (focusable.length === 0) return;
    const active = (this.renderRoot as ShadowRoot).activeElement;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && (active === first || active === panel)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };
}

if (!customElements.get('vox-inbox')) customElements.define('vox-inbox', VoxInbox);

declare global {
  interface HTMLElementTagNameMap {
    'vox-inbox': VoxInbox;
  }
}
