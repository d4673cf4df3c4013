// `npm run demo`: the blog from the seed's "Running the Demo", with everything Vox does in a browser.
import { parseArgs } from 'node:util';
import { followableAt } from './addresses.ts';
import { AUTHOR, SITE_CONTACT, SUBSCRIBER } from './blog.ts';
import { startDemo } from './server.ts';

const USAGE = `Usage: npm run demo -- [--db FILE] [--port PORT] [--host HOST] [--base-url URL] [--public] [--comment-digest SECONDS]

  --db FILE       keep the blog's data in this SQLite file (default: in memory, gone when you stop)
  --port PORT     default 8000
  --host HOST     default 127.0.0.1; another address than loopback needs --public
  --base-url URL  the blog's public address, when an https proxy serves it there: Mastodon can
                  follow the author only at a public https host name; needs --public
  --public        let other machines reach the demo: its mail viewer shows every email, with each
                  subscriber's comment token, to anybody who can reach it
  --comment-digest SECONDS
                  comments on one article within this many seconds reach its author as one
                  email (default 30; 0 sends each comment at once)`;

let values: { db?: string; port?: string; host?: string; 'base-url'?: string; public?: boolean; 'comment-digest'?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { db: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'base-url': { type: 'string' }, public: { type: 'boolean' }, 'comment-digest': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const port = values.port === undefined ? 8000 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${JSON.stringify(values.port)}`);
  process.exit(2);
}

const digestSeconds = values['comment-digest'] === undefined ? 30 : Number(values['comment-digest']);
if (!Number.isFinite(digestSeconds) || digestSeconds < 0 || digestSeconds > 86_400) {
  console.error(`--comment-digest must be a number of seconds from 0 to 86400, not ${JSON.stringify(values['comment-digest'])}`);
  process.exit(2);
}

let demo: Awaited<ReturnType<typeof startDemo>>;
try {
  demo = await startDemo({
    port,
    // The admin at /admin, for the logged-in author.
    admin: ({ vox, basePath, staffOf }) => vox.admin({ basePath, authorize: staffOf, loginUrl: '/login', title: 'Vox demo admin' }),
    ...(values.db === undefined ? {} : { db: values.db }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values['base-url'] === undefined ? {} : { baseUrl: values['base-url'] }),
    public: values.public === true,
    commentDigestMs: Math.round(digestSeconds * 1000),
  });
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') console.error(`Port ${port} is in use: stop what runs there, or pick another port with --port.`);
  else if (error instanceof Error && error.message.startsWith('refusing to listen')) console.error(`The demo is ${error.message}`);
  else console.error(error);
  process.exit(1);
}

const handle = `@${AUTHOR.username}@${new URL(demo.url).host}`;
console.log(`
Vox demo blog: ${demo.url}/${demo.listening === demo.url ? '' : ` (listening on ${demo.listening})`}
  Mail viewer  ${demo.url}/mail   (every email Vox sends lands here)
  Log in       ${demo.url}/login  as ${AUTHOR.email} / ${AUTHOR.password}
  Admin        ${demo.url}/admin/ (templates, site contacts, the message log)
  Database     ${values.db ? `${values.db} (kept across restarts)` : 'in memory (use --db FILE to keep the data)'}
  Fediverse    the author is ${handle}; ${followableAt(demo.url) ? 'Mastodon users can follow them' : 'no Mastodon server can follow them at this address (it takes a public https host name: --base-url)'}

Try it: log in and post an article; ${SUBSCRIBER.name} (${SUBSCRIBER.email}) gets an email, whose link lets
them comment, which emails the author and rings the bell of the author's in-app inbox; subscribing
on the front page emails ${SITE_CONTACT.email}.
Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(130);
  stopping = true;
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
