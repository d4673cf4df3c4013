import type { InboxItem } from '../src/activitypub/index.ts';
import type { Article, Comment, Subscriber, User } from './blog.ts';
import { AUTHOR, SITE_CONTACT, SUBSCRIBER } from './blog.ts';
import { html, type Html, type HtmlValue } from './html.ts';
import type { CapturedMail } from './mailbox.ts';

/** What every page's header needs to know. */
export interface PageContext {
  /** The logged-in author, if any. */
  readonly user: User | undefined;
  /** How many mails the mail viewer holds. */
  readonly mailCount: number;
  /** Whether an admin is mounted at /admin. */
  readonly admin: boolean;
}

export const SITE_NAME = 'Vox demo blog';

function layout(ctx: PageContext, title: string, body: Html, options: { wide?: boolean; script?: Html } = {}): Html {
  const nav = [
    html`<a href="/">Articles</a>`,
    html`<a href="/mail">Mail <span class="count">${ctx.mailCount}</span></a>`,
    ctx.user && html`<a href="/articles/new">New article</a>`,
    ctx.user && ctx.admin && html`<a href="/admin/">Admin</a>`,
    ctx.user
      ? html`<form method="post" action="/logout" class="inline"><button class="link" type="submit">Log out</button></form>`
      : html`<a href="/login">Log in</a>`,
  ];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${SITE_NAME}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header class="site"><div class="bar${options.wide ? ' wide' : ''}">
<a class="brand" href="/">Vox <span>demo blog</span></a>
<nav>${nav}</nav>
</div></header>
<main${options.wide ? html` class="wide"` : ''}>
${body}
</main>
<footer>Notifications by Vox. Email goes to the <a href="/mail">mail viewer</a>; nothing leaves this machine.</footer>
${options.script}
</body>
</html>`;
}

const dateOf = (iso: string | Date) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

function paragraphs(text: string): Html {
  return html`${text
    .trim()
    .split(/\r?\n\s*\r?\n/)
    .map((p) => html`<p>${p.split(/\r?\n/).map((line, i) => html`${i > 0 && html`<br>`}${line}`)}</p>`)}`;
}

function notice(text: HtmlValue): Html {
  return html`<div class="notice" role="status">${text}</div>`;
}

function errors(problems: readonly string[]): Html {
  return html`${problems.length > 0 && html`<div class="error" role="alert">${problems.map((p) => html`<p>${p}</p>`)}</div>`}`;
}

const mailLink = html`<a href="/mail">open the mail viewer</a>`;

/** The logged-in user's in-app inbox: the newest items and how many are unread. */
export interface InboxView {
  readonly items: readonly InboxItem[];
  readonly unread: number;
}

/**
 * The in-app inbox as a small component: Vox's activity backend fills it (a comment on your
 * article), and the feed API marks it read. Summaries are shown as text: one from another server
 * is untrusted HTML.
 */
function inboxCard(inbox: InboxView): Html {
  return html`<section class="card inbox" id="inbox" aria-labelledby="inbox-title">
<h2 id="inbox-title">Your inbox <span class="count" data-unread>${inbox.unread}</span></h2>
${inbox.items.length === 0
  ? html`<p class="muted">Nothing yet. When a subscriber comments on your article, Vox's activity backend puts it here.</p>`
  : html`<ol class="inboxlist">${inbox.items.map(
      (item) => html`<li class="${item.read ? 'read' : 'unread'}"><span class="text">${item.summaryText || item.type}</span><span class="meta">${item.type} · ${dateOf(item.createdAt)}${item.remote ? ' · from another server' : ''}</span></li>`,
    )}</ol>
<button type="button" class="secondary" data-mark-read${inbox.unread === 0 ? html` disabled` : ''}>Mark all read</button>`}
<p class="muted small">Served by the feed API at <code>/activity/feed</code>; you are also an ActivityPub actor that Mastodon users can follow.</p>
</section>`;
}

/** Marks the inbox read through the feed API (a same-origin JSON POST), and keeps the count live. */
const inboxScript = html`<script>(() => {
  const count = document.querySelector('[data-unread]');
  const button = document.querySelector('[data-mark-read]');
  if (!count) return;
  button?.addEventListener('click', async () => {
    const r = await fetch('/activity/feed/read', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ all: true }) });
    if (r.ok) location.reload();
  });
  let known = Number(count.textContent);
  setInterval(async () => {
    try {
      const r = await fetch('/activity/feed/unread');
      const { unread } = await r.json();
      if (unread !== known) location.reload();
    } catch {}
  }, 2000);
})();</script>`;

/** What a form sent back, so that a form with errors keeps what was typed. */
export type FormValues = Readonly<Record<string, string>>;

export function indexPage(
  ctx: PageContext,
  data: {
    articles: readonly Article[];
    commentCounts: ReadonlyMap<string, number>;
    /** The logged-in user's inbox. */
    inbox?: InboxView | undefined;
    done?: string | undefined;
    subscribe?: { values: FormValues; problems: readonly string[] };
  },
): Html {
  const subscribe = data.subscribe ?? { values: {}, problems: [] };
  return layout(
    ctx,
    'Articles',
    html`<div class="grid">
<div>
${data.done === 'subscribed' && notice(html`Thanks, you are subscribed! Vox has told the site contact, ${SITE_CONTACT.email}: ${mailLink} to see the email.`)}
<section class="card intro">
<h1>${SITE_NAME}</h1>
<p>A small blog that uses Vox for its notifications. Every email it sends is caught by the <a href="/mail">mail viewer</a>.</p>
<ol>
<li><a href="/login">Log in</a> as <code>${AUTHOR.email}</code> with the password <code>${AUTHOR.password}</code> and post a new article.</li>
<li>Open the <a href="/mail">mail viewer</a>: the subscriber, ${SUBSCRIBER.name}, has an email with a personal link and the author's contact card.</li>
<li>Follow the link and leave a comment: the article's author gets an email.</li>
<li>Subscribe below: the site contact, ${SITE_CONTACT.email}, gets an email.</li>
</ol>
</section>
<h2>Articles</h2>
${data.articles.length === 0 && html`<p class="muted">No articles yet.</p>`}
${data.articles.map((a) => {
  const count = data.commentCounts.get(a.slug) ?? 0;
  return html`<article class="card summary">
<h3><a href="/articles/${encodeURIComponent(a.slug)}">${a.title}</a></h3>
<p class="byline">by ${a.author.name} · ${dateOf(a.createdAt)} · ${count} ${count === 1 ? 'comment' : 'comments'}</p>
</article>`;
})}
</div>
<aside>
${data.inbox && inboxCard(data.inbox)}
<section class="card" id="subscribe">
<h2>Subscribe</h2>
<p class="muted">Get an email whenever a new article is posted.</p>
${errors(subscribe.problems)}
<form method="post" action="/subscribe" class="stack">
<label for="subscribe-name">Name</label>
<input id="subscribe-name" name="name" type="text" required maxlength="100" autocomplete="name" value="${subscribe.values.name ?? ''}">
<label for="subscribe-email">Email</label>
<input id="subscribe-email" name="email" type="email" required maxlength="254" autocomplete="email" value="${subscribe.values.email ?? ''}">
<button type="submit">Subscribe</button>
</form>
</section>
</aside>
</div>`,
    data.inbox ? { script: inboxScript } : {},
  );
}

export function articlePage(
  ctx: PageContext,
  data: {
    article: Article;
    comments: readonly Comment[];
    /** The subscriber whose emailed link this is: they may comment. */
    commenter: Subscriber | undefined;
    token: string | undefined;
    done?: string | undefined;
    comment?: { values: FormValues; problems: readonly string[] };
  },
): Html {
  const { article, comments, commenter } = data;
  const form = data.comment ?? { values: {}, problems: [] };
  let commentSection: Html;
  if (commenter) {
    commentSection = html`<section class="card" id="add-comment">
<h3>Add a comment</h3>
<p class="muted">Commenting as <strong>${commenter.name}</strong> (from your email's link).</p>
${errors(form.problems)}
<form method="post" action="/articles/${encodeURIComponent(article.slug)}/comments" class="stack">
<input type="hidden" name="token" value="${data.token ?? ''}">
<label for="comment-body">Comment</label>
<textarea id="comment-body" name="body" rows="4" required maxlength="5000">${form.values.body ?? ''}</textarea>
<button type="submit">Post comment</button>
</form>
</section>`;
  } else if (data.token) {
    commentSection = html`<div class="error" role="alert"><p>This comment link is not valid. Subscribers comment through the link in their email.</p></div>`;
  } else {
    commentSection = html`<p class="muted">Subscribers comment through the personal link in their email: ${mailLink} to find one, or <a href="/#subscribe">subscribe</a>.</p>`;
  }
  return layout(
    ctx,
    article.title,
    html`${data.done === 'published' && notice(html`Published. Vox is emailing every subscriber: ${mailLink} to see what they got.`)}
${data.done === 'commented' && notice(html`Thanks, your comment is posted. Vox has emailed the article's author: ${mailLink} to see it.`)}
<article class="card">
<h1>${article.title}</h1>
<p class="byline">by ${article.author.name} · ${dateOf(article.createdAt)}</p>
<div class="body">${paragraphs(article.body)}</div>
</article>
<section id="comments">
<h2>Comments (${comments.length})</h2>
${comments.length === 0 && html`<p class="muted">No comments yet.</p>`}
${comments.map(
  (c) => html`<div class="card comment" id="comment-${c.id}">
<p class="byline"><strong>${c.poster}</strong> · ${dateOf(c.createdAt)}</p>
${paragraphs(c.body)}
</div>`,
)}
${commentSection}
</section>`,
  );
}

export function loginPage(ctx: PageContext, data: { next: string; values: FormValues; problems: readonly string[] }): Html {
  return layout(
    ctx,
    'Log in',
    html`<section class="card narrow">
<h1>Log in</h1>
<p class="muted">The demo's author is <code>${AUTHOR.email}</code>, password <code>${AUTHOR.password}</code>.</p>
${errors(data.problems)}
<form method="post" action="/login" class="stack">
<input type="hidden" name="next" value="${data.next}">
<label for="login-email">Email</label>
<input id="login-email" name="email" type="email" required autocomplete="username" value="${data.values.email ?? ''}">
<label for="login-password">Password</label>
<input id="login-password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Log in</button>
</form>
</section>`,
  );
}

export function newArticlePage(ctx: PageContext, data: { values: FormValues; problems: readonly string[] }): Html {
  return layout(
    ctx,
    'New article',
    html`<section class="card">
<h1>New article</h1>
<p class="muted">Publishing it notifies every subscriber by email.</p>
${errors(data.problems)}
<form method="post" action="/articles" class="stack">
<label for="article-title">Title</label>
<input id="article-title" name="title" type="text" required maxlength="200" value="${data.values.title ?? ''}">
<label for="article-body">Text</label>
<textarea id="article-body" name="body" rows="10" required maxlength="20000">${data.values.body ?? ''}</textarea>
<button type="submit">Publish</button>
</form>
</section>`,
  );
}

export function messagePage(ctx: PageContext, status: number, title: string, text: HtmlValue): Html {
  return layout(ctx, title, html`<section class="card narrow"><h1>${title}</h1><p>${text}</p><p><a href="/">Back to the articles</a></p><p class="muted">Error ${status}</p></section>`);
}

export type MailView = 'html' | 'text' | 'headers';

const sizeOf = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);
const timeOf = (date: Date) => date.toLocaleTimeString('en-GB');

/** The mail viewer: the list of captured mails, newest first, and the one selected. */
export function mailPage(ctx: PageContext, data: { mails: readonly CapturedMail[]; selected: CapturedMail | undefined; view: MailView }): Html {
  const { mails, selected } = data;
  const list = html`<ol class="maillist" aria-label="Mails">${mails.map(
    (m) => html`<li><a href="/mail/${m.id}"${m.id === selected?.id ? html` class="current" aria-current="page"` : ''}>
<span class="subject">${m.subject || '(no subject)'}</span>
<span class="meta"><span class="to">${m.to.join(', ')}</span><span>${m.attachments.length > 0 && html`<span class="clip">${m.attachments.length} ${m.attachments.length === 1 ? 'attachment' : 'attachments'}</span> `}${timeOf(m.receivedAt)}</span></span>
</a></li>`,
  )}</ol>`;
  let pane: Html;
  if (!selected) {
    pane = html`<div class="message empty">
<h2>${mails.length === 0 ? 'No mail yet' : 'Pick a message'}</h2>
<p class="muted">${mails.length === 0 ? html`Post an article, comment or subscribe, and the emails Vox sends appear here.` : 'Choose a message on the left to read it.'}</p>
<p class="muted">New mail shows up by itself.</p>
</div>`;
  } else {
    const view: MailView = data.view === 'html' && selected.html === undefined ? 'text' : data.view;
    const tab = (name: MailView, label: string) => html`<a href="/mail/${selected.id}${name === 'html' ? '' : `?view=${name}`}"${view === name ? html` class="current" aria-current="page"` : ''}>${label}</a>`;
    let content: Html;
    if (view === 'html') {
      content = html`<iframe class="mailhtml" title="HTML part" src="/mail/${selected.id}/html" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"></iframe>`;
    } else if (view === 'text') {
      content = html`<pre class="mailtext">${selected.text ?? '(this message has no text part)'}</pre>`;
    } else {
      content = html`<pre class="mailtext">${selected.headers.join('\n')}</pre>`;
    }
    pane = html`<div class="message">
<h2>${selected.subject || '(no subject)'}</h2>
<dl class="headers">
<dt>From</dt><dd>${selected.from}</dd>
<dt>To</dt><dd>${selected.to.join(', ')}</dd>
<dt>Received</dt><dd>${dateOf(selected.receivedAt)}</dd>
</dl>
${selected.attachments.length > 0 && html`<p class="attachments">${selected.attachments.map(
  (a, i) => html`<a class="attachment" href="/mail/${selected.id}/attachments/${i + 1}" download="${a.filename}">${a.filename} <span>${a.contentType} · ${sizeOf(a.content.length)}</span></a> `,
)}</p>`}
<nav class="tabs">${selected.html !== undefined && tab('html', 'HTML')}${tab('text', 'Text')}${tab('headers', 'Headers')}<a href="/mail/${selected.id}/source">Source</a></nav>
${content}
</div>`;
  }
  return layout(
    ctx,
    selected ? selected.subject : 'Mail',
    html`<div class="mailhead"><h1>Mail viewer</h1><p class="muted">Every email Vox sent since the demo started, newest first (${mails.length}).</p></div>
<div class="mailview">${list}${pane}</div>`,
    {
      wide: true,
      // The list is live: when a mail arrives, the page reloads to show it.
      script: html`<script>(() => { const known = ${mails.length}; setInterval(async () => { try { const r = await fetch('/mail/count'); if ((await r.json()).count !== known) location.reload(); } catch {} }, 1000); })();</script>`,
    },
  );
}

export const STYLESHEET = `
:root { --ink: #1d2433; --muted: #667085; --line: #e4e7ec; --bg: #f6f7f9; --accent: #4f46e5; --accent-soft: #eef2ff; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
code { font: 0.9em ui-monospace, "DejaVu Sans Mono", monospace; background: var(--accent-soft); padding: 0.1em 0.35em; border-radius: 4px; }
header.site { background: #fff; border-bottom: 1px solid var(--line); }
.bar { max-width: 62rem; margin: 0 auto; padding: 0.8rem 1.25rem; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; }
.bar.wide, main.wide { max-width: 80rem; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--ink); text-decoration: none; margin-right: auto; white-space: nowrap; }
.brand span { color: var(--accent); }
nav { display: flex; align-items: center; gap: 1.1rem; }
nav a { color: var(--ink); text-decoration: none; white-space: nowrap; }
nav a:hover, button.link:hover { color: var(--accent); }
.count { display: inline-block; min-width: 1.5em; padding: 0 0.4em; border-radius: 999px; background: var(--accent); color: #fff; font-size: 0.8rem; text-align: center; }
form.inline { display: inline; margin: 0; }
button.link { background: none; border: 0; padding: 0; font: inherit; color: var(--ink); cursor: pointer; }
main { max-width: 62rem; margin: 2rem auto; padding: 0 1.25rem; }
footer { text-align: center; color: var(--muted); font-size: 0.85rem; padding: 1rem 1.25rem 2rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 0.5rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.75rem; }
.card h2, .card h3 { margin-top: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.5rem; margin-bottom: 1rem; }
.card.narrow { max-width: 28rem; margin: 0 auto; }
.card.summary h3 { margin: 0 0 0.25rem; font-size: 1.15rem; }
.card.summary h3 a { color: var(--ink); text-decoration: none; }
.card.summary h3 a:hover { color: var(--accent); }
.card.summary .byline { margin: 0; }
.intro ol { padding-left: 1.25rem; margin-bottom: 0; }
.intro li { margin: 0.3rem 0; }
.byline, .muted { color: var(--muted); }
.byline { font-size: 0.9rem; }
.comment .byline { margin-top: 0; }
.comment p:last-child { margin-bottom: 0; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) 19rem; gap: 1.5rem; align-items: start; }
@media (max-width: 52rem) { .grid { grid-template-columns: minmax(0, 1fr); } }
.notice { background: #ecfdf3; border: 1px solid #abefc6; color: #054f31; border-radius: 10px; padding: 0.8rem 1.1rem; margin-bottom: 1rem; }
.error { background: #fef3f2; border: 1px solid #fecdca; color: #7a271a; border-radius: 8px; padding: 0.1rem 1rem; margin-bottom: 1rem; }
form.stack label { display: block; font-weight: 600; margin: 0.8rem 0 0.3rem; }
input[type=text], input[type=email], input[type=password], textarea { width: 100%; padding: 0.55rem 0.7rem; border: 1px solid #d0d5dd; border-radius: 8px; font: inherit; background: #fff; }
input:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: 0; border-color: var(--accent); }
form.stack button { margin-top: 1rem; }
button[type=submit]:not(.link) { background: var(--accent); color: #fff; border: 0; border-radius: 8px; padding: 0.55rem 1.1rem; font: inherit; font-weight: 600; cursor: pointer; }
button[type=submit]:not(.link):hover { background: #4338ca; }
.mailhead h1 { margin-bottom: 0; }
.mailhead p { margin-top: 0.25rem; }
.mailview { display: grid; grid-template-columns: 22rem minmax(0, 1fr); background: #fff; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; min-height: 34rem; }
@media (max-width: 52rem) { .mailview { grid-template-columns: minmax(0, 1fr); } }
.maillist { list-style: none; margin: 0; padding: 0; border-right: 1px solid var(--line); background: #fcfcfd; }
.maillist a { display: block; padding: 0.75rem 1rem; border-bottom: 1px solid var(--line); color: inherit; text-decoration: none; }
.maillist a:hover { background: #f5f6fb; }
.maillist a.current { background: var(--accent-soft); box-shadow: inset 3px 0 var(--accent); }
.maillist .subject { display: block; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.maillist .meta { display: flex; justify-content: space-between; gap: 0.5rem; color: var(--muted); font-size: 0.85rem; }
.maillist .to { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.clip { background: #f2f4f7; border-radius: 4px; padding: 0 0.3em; }
.message { padding: 1.25rem 1.5rem; }
.message h2 { margin: 0 0 0.75rem; font-size: 1.35rem; }
dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 1rem; }
dl.headers dt { color: var(--muted); }
dl.headers dd { margin: 0; overflow-wrap: anywhere; }
.attachments { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0 0 1rem; }
a.attachment { border: 1px solid var(--line); border-radius: 8px; padding: 0.35rem 0.75rem; text-decoration: none; font-weight: 600; background: #fcfcfd; }
a.attachment span { color: var(--muted); font-weight: 400; font-size: 0.85rem; margin-left: 0.3rem; }
nav.tabs { gap: 0.25rem; border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
nav.tabs a { padding: 0.4rem 0.9rem; border: 1px solid transparent; border-bottom: 0; border-radius: 8px 8px 0 0; color: var(--muted); margin-bottom: -1px; }
nav.tabs a.current { border-color: var(--line); background: #fff; color: var(--ink); }
iframe.mailhtml { width: 100%; height: 24rem; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
pre.mailtext { white-space: pre-wrap; overflow-wrap: anywhere; background: #f9fafb; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0; font: 14px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; }
.message.empty { color: var(--muted); display: flex; flex-direction: column; justify-content: center; align-items: center; text-align: center; }
.message.empty h2 { color: var(--ink); }
.inbox h2 { display: flex; align-items: center; gap: 0.5rem; }
.inboxlist { list-style: none; margin: 0 0 0.75rem; padding: 0; }
.inboxlist li { padding: 0.5rem 0; border-bottom: 1px solid var(--line); }
.inboxlist li.unread .text { font-weight: 600; }
.inboxlist .text { display: block; overflow-wrap: anywhere; }
.inboxlist .meta { display: block; color: var(--muted); font-size: 0.8rem; }
button.secondary { background: #fff; border: 1px solid #d0d5dd; border-radius: 8px; padding: 0.35rem 0.9rem; font: inherit; cursor: pointer; }
button.secondary:disabled { color: var(--muted); cursor: default; }
.small { font-size: 0.85rem; }
`;
