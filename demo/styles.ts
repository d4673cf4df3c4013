/** The demo blog's one stylesheet, served at /style.css. */
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

/** The blog's icon: a speech bubble in the accent colour. */
export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#2456c8" d="M4 4h24a2 2 0 0 1 2 2v15a2 2 0 0 1-2 2H13l-7 6v-6H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/><text x="16" y="18" font-family="sans-serif" font-size="12" font-weight="700" fill="#fff" text-anchor="middle">V</text></svg>`;
