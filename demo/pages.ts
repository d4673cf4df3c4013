import type { FediverseView } from './addresses.ts';
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
    // The in-app inbox: Vox's <vox-inbox> element, live through the inbox handler at /inbox.
    ctx.user && html`<vox-inbox src="/inbox" label="Notifications"></vox-inbox>`,
    ctx.user && html`<a href="/notifications/">Notification settings</a>`,
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
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/style.css">
${ctx.user && html`<script type="module" src="/inbox/vox-inbox.js"></script>`}
</head>
<body>
<header class="site"><div class="bar${options.wide ? ' wide' : ''}">
<a class="brand" href="/">Vox <span>demo blog</span></a>
<nav>${nav}</nav>
</div></header>
<main${options.wide ? html` class="wide"` : ''}>
${body}
</main>
<footer>Notifications by Vox. Email goes to the <a href="/mail">mail viewer</a>; no email leaves this machine.</footer>
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

/** What the front page tells the logged-in user about their inbox: where it is, and who they are on the fediverse. */
export interface InboxView {
  readonly fediverse: FediverseView;
}

/** Who the user is on the fediverse, and what it takes for Mastodon to follow them: the blog at a public https host name. */
function fediverseNote(fediverse: FediverseView): Html {
  const handle = html`<a href="${fediverse.profile}"><code>${fediverse.handle}</code></a>`;
  return fediverse.followable
    ? html`On the fediverse you are ${handle}: Mastodon users who follow you there get your notifications as your posts.`
    : html`On the fediverse you are ${handle}, but no Mastodon server can follow you at this address. Mastodon reaches a blog only at a public https host name: serve the demo at one (behind an https proxy, with <code>--base-url https://your.host --public</code>).`;
}

/**
 * Where the in-app inbox is: the bell at the top of every page (Vox's <vox-inbox> element, fed by
 * the in-app backend), and who the user is on the fediverse, where the activity backend posts.
 */
function inboxCard(inbox: InboxView): Html {
  return html`<section class="card inbox" id="inbox" aria-labelledby="inbox-title">
<h2 id="inbox-title">Your inbox</h2>
<p class="muted">The bell at the top of every page is your in-app inbox: when a subscriber comments on your article, Vox's in-app backend puts it there, live.</p>
<p class="muted small" data-fediverse>${fediverseNote(inbox.fediverse)}</p>
</section>`;
}

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
${data.done === 'confirm-sent' && notice(html`Almost done: Vox has sent a confirmation email to the address you gave. ${mailLink} and follow its link; until then the address gets nothing else.`)}
${data.done === 'subscribed' && notice(html`Thanks, you are subscribed! Vox has told the site contact, ${SITE_CONTACT.email}: ${mailLink} to see the email.`)}
<section class="card intro">
<h1>${SITE_NAME}</h1>
<p>A small blog that uses Vox for its notifications. Every email it sends is caught by the <a href="/mail">mail viewer</a>.</p>
<ol>
<li><a href="/login">Log in</a> as <code>${AUTHOR.email}</code> with the password <code>${AUTHOR.password}</code> and post a new article.</li>
<li>Open the <a href="/mail">mail viewer</a>: the subscriber, ${SUBSCRIBER.name}, has an email with a personal link and the author's contact card.</li>
<li>Follow the link and leave a comment: the article's author gets an email.</li>
<li>Subscribe below: you get a confirmation email, and once you confirm, the site contact, ${SITE_CONTACT.email}, gets an email. Every article email has an unsubscribe link.</li>
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

/** A user's profile, the page their actor document links to. */
export function profilePage(ctx: PageContext, data: { user: User; articles: readonly Article[]; fediverse: FediverseView }): Html {
  const { user, articles, fediverse } = data;
  return layout(
    ctx,
    user.name,
    html`<section class="card">
<h1>${user.name}</h1>
<p class="byline"><code>${fediverse.handle}</code></p>
<p>${user.name} writes the ${SITE_NAME}.</p>
<p class="muted small">${fediverseNote(fediverse)}</p>
</section>
<h2>Articles</h2>
${articles.length === 0 && html`<p class="muted">No articles yet.</p>`}
${articles.map((a) => html`<article class="card summary"><h3><a href="/articles/${encodeURIComponent(a.slug)}">${a.title}</a></h3><p class="byline">${dateOf(a.createdAt)}</p></article>`)}`,
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

/** The page a confirmation email links to: it asks with a button, so that a mail scanner opening the link confirms nothing. */
export function confirmSubscriptionPage(ctx: PageContext, data: { token: string; email: string | undefined }): Html {
  if (!data.email) return messagePage(ctx, 404, 'Link not valid', 'This confirmation link is not valid, or the subscription is confirmed already.');
  return layout(
    ctx,
    'Confirm your subscription',
    html`<section class="card"><h1>Confirm your subscription</h1>
<p>Send new articles of ${SITE_NAME} to <strong>${data.email}</strong>?</p>
<form method="post" action="/subscribe/confirm"><input type="hidden" name="token" value="${data.token}"><button type="submit">Confirm my subscription</button></form></section>`,
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
