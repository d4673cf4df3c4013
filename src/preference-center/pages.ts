/**
 * The preference center's pages: plain HTML forms that work without JavaScript, with labels,
 * fieldsets and legends, a visible focus ring and text at WCAG AA contrast. Every value printed is
 * escaped.
 */
import type { PreferenceCell, PreferenceGrid } from './port.ts';

/** Markup already escaped; anything else interpolated into {@link html} is escaped. */
class Safe {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type Value = Safe | string | number | null | undefined | false | readonly Value[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function print(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Safe) return value.text;
  if (Array.isArray(value)) return value.map(print).join('');
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function html(strings: TemplateStringsArray, ...values: Value[]): Safe {
  return new Safe(strings.reduce((out, literal, i) => out + print(values[i - 1] ?? null) + literal));
}

/** Black on white, a dark blue accent (contrast above 7:1), and a thick focus ring on every control. */
const STYLE = `
body{font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}
main{max-width:42rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 1rem}
a{color:#0b4f9c}
fieldset{border:1px solid #767676;border-radius:.4rem;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.row{border:0;border-top:1px solid #ddd;border-radius:0;margin:0;padding:.5rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
.row legend{float:left;width:100%;padding:0;font-weight:400}
.hint{color:#4a4a4a;font-size:.9rem}
label{cursor:pointer}
input[type=checkbox]{width:1.2rem;height:1.2rem;vertical-align:middle;margin-right:.35rem}
input:disabled+span{color:#4a4a4a}
button{font:inherit;color:#fff;background:#0b4f9c;border:0;border-radius:.4rem;padding:.55rem 1.1rem;cursor:pointer}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.notice{border-left:4px solid #1d6b2f;background:#eef7ef;padding:.5rem .75rem}
`;

/** A whole page. */
export function page(title: string, body: Safe): string {
  return `<!doctype html>${print(html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${new Safe(STYLE)}</style></head><body><main>${body}</main></body></html>`)}`;
}

/** What a link with a bad token shows: nothing about whom or what it was for. */
export function invalidLinkPage(): string {
  return page('Link not valid', html`<h1>This link is not valid</h1><p>It may have been copied incompletely. Use the link from a recent message, or sign in to the site to manage your notifications.</p>`);
}

/** Asked to sign in, when neither a token nor the host's session names a recipient. */
export function signInPage(): string {
  return page('Sign in', html`<h1>Sign in to manage your notifications</h1><p>Use the link at the bottom of one of our messages, or sign in to the site first.</p>`);
}

/** A plain message page. */
export function messagePage(title: string, text: string, link?: { href: string; label: string }): string {
  return page(title, html`<h1>${title}</h1><p role="status">${text}</p>${link ? html`<p><a href="${link.href}">${link.label}</a></p>` : ''}`);
}

/** The page an unsubscribe link opens (GET): it changes nothing, and asks with a button. */
export function confirmPage(what: string, address: string, action: string, preferences: string, everything: string | undefined): string {
  return page(
    'Unsubscribe',
    html`<h1>Unsubscribe</h1>
<p>Stop sending <strong>${what}</strong> to <strong>${address}</strong>?</p>
<form method="post" action="${action}"><input type="hidden" name="confirm" value="1"><button type="submit">Unsubscribe</button></form>
<p><a href="${preferences}">Choose what you receive instead</a></p>
${everything ? html`<p><a href="${everything}">Stop everything sent to this address</a></p>` : ''}`,
  );
}

/** A checkbox's form name: `<level>:<protocol>:<key>` (the global row has the key `''`). */
export function cellName(level: 'global' | 'category' | 'notification', protocol: string, key: string): string {
  return `${level}:${protocol}:${key}`;
}

const PROTOCOL_LABELS: Readonly<Record<string, string>> = { email: 'Email', sms: 'Text message', slack: 'Slack', xmpp: 'XMPP', activity: 'Fediverse', x: 'X' };
const protocolLabel = (protocol: string) => PROTOCOL_LABELS[protocol] ?? protocol;

function cell(name: string, protocol: string, value: PreferenceCell | undefined): Safe {
  if (!value) return html``;
  const id = `c-${name.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
  return html`<label for="${id}"><input type="checkbox" id="${id}" name="${name}" value="on"${new Safe(value.enabled ? ' checked' : '')}${new Safe(value.locked ? ' disabled' : '')}><span>${protocolLabel(protocol)}${value.locked ? ' (required)' : ''}</span></label>`;
}

/** One row: a fieldset whose legend names it, so that a screen reader says "Weekly newsletter, Email, checkbox". */
function row(label: string, hint: string | undefined, cells: Safe[]): Safe {
  return html`<fieldset class="row"><legend class="name">${label}${hint ? html` <span class="hint">(${hint})</span>` : ''}</legend>${cells}</fieldset>`;
}

/**
 * The grid: everything, then each category with its notifications, then notifications of no
 * category, each with a checkbox per protocol. Required notifications are shown checked and
 * disabled. `address` is the address the link was sent to, when the page was opened by a link.
 */
export function preferencesPage(
  grid: PreferenceGrid,
  action: string,
  options: { readonly saved?: boolean; readonly address?: string; readonly siteName?: string; readonly siteUrl?: string; readonly unsubscribedFromAll?: boolean },
): string {
  const cellsOf = (level: 'global' | 'category' | 'notification', key: string, cells: Readonly<Record<string, PreferenceCell>>) =>
    grid.protocols.map((protocol) => cell(cellName(level, protocol, key), protocol, cells[protocol]));
  const notificationRows = (category: string | null) =>
    grid.notifications
      .filter((n) => n.category === category)
      .map((n) => row(n.description || n.key, n.required ? 'Required: always sent' : undefined, cellsOf('notification', n.key, n.cells)));
  // A category whose notifications are all required has nothing to switch off as a whole.
  const optional = (key: string) => grid.notifications.some((n) => n.category === key && !n.required);
  const categories = grid.categories.map(
    (c) => html`<fieldset><legend>${c.label}</legend>${optional(c.key) ? row(`All of ${c.label}`, undefined, cellsOf('category', c.key, c.cells)) : ''}${notificationRows(c.key)}</fieldset>`,
  );
  const others = notificationRows(null);
  const title = options.siteName ? `Your notifications from ${options.siteName}` : 'Your notifications';
  return page(
    title,
    html`<h1>${title}</h1>
${options.saved ? html`<p class="notice" role="status">Your choices are saved.</p>` : ''}
${options.address ? html`<p>For <strong>${options.address}</strong>. Tick what you want to receive.</p>` : html`<p>Tick what you want to receive.</p>`}
${options.unsubscribedFromAll
  ? html`<form method="post" action="${action}" class="notice"><p>This address is unsubscribed from everything: it gets only what is required, whatever is ticked below.</p><input type="hidden" name="resubscribe" value="1"><button type="submit">Receive messages again</button></form>`
  : ''}
<form method="post" action="${action}">
<fieldset><legend>Everything</legend>${row('Any notification', 'Untick to receive only what is required', cellsOf('global', '', grid.global))}</fieldset>
${categories}
${others.length > 0 ? html`<fieldset><legend>Other notifications</legend>${others}</fieldset>` : ''}
<button type="submit">Save my choices</button>
</form>
${options.siteUrl ? html`<p><a href="${options.siteUrl}">Back to ${options.siteName ?? 'the site'}</a></p>` : ''}`,
  );
}
