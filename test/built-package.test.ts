// The package as npm users get it: compiled to JavaScript with the package's build settings, built
// once for this file. Its renderer must find the render thread's compiled module (thread.js, not
// thread.ts) and render there, as it does from the TypeScript sources that the other tests use.
// Installed beside the lowest and the highest kysely of its peer range (the `kysely-lowest` alias
// and the `kysely` dev dependency, both installed by `npm install`, so no network at test time), it
// migrates, notifies in the application's transaction and delivers over SMTP with either. Its
// declarations, imported from every entry point of package.json's "exports", type-check with
// `skipLibCheck: false` under the newest TypeScript and @types/node (the `typescript-latest` and
// `types-node-latest` aliases) and under the TypeScript and @types/node Vox is built with.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type * as Index from '../src/index.ts';
import type * as Email from '../src/backends/email/index.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { createSchema } from './support/databases.ts';
import { addressesOf, startSmtp } from './support/smtp.ts';

const root = join(import.meta.dirname, '..');
const postgresUrl = process.env.VOX_TEST_POSTGRES_URL;
let out: string;

before(async () => {
  // Inside the repository, so that the compiled modules find node_modules as an installed package does.
  await mkdir(join(root, '.vox-test'), { recursive: true });
  out = await mkdtemp(join(root, '.vox-test', 'built-'));
  await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(out, 'dist')]);
  // `npm run build` also bundles the browser parts into dist/: the admin's app and <vox-inbox>. Their
  // builds (npm test's pretest) are reused, made first when stale, as a package ships them.
  for (const part of ['admin-ui', 'inbox-element']) {
    await promisify(execFile)(process.execPath, [join(root, part, 'build.ts')]);
    await cp(join(root, 'dist', part), join(out, 'dist', part), { recursive: true });
  }
});

after(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

test('the built package renders templates on its render thread and sends them', { timeout: 120_000 }, async () => {
  const { createVox } = (await import(join(out, 'dist/index.js'))) as typeof Index;
  const { htmlEmail } = (await import(join(out, 'dist/backends/email/index.js'))) as typeof Email;
  const sent: Email.MailMessage[] = [];
  const transport: Email.MailTransport = {
    sendMail: async (mail) => {
      if ('raw' in mail) throw new Error('a raw message was not expected');
      sent.push(mail);
      return { messageId: '<1@example.org>' };
    },
  };
  const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [htmlEmail({ transport, from: 'a@example.org' })], worker: { sweepIntervalMs: 50 } });
  try {
    const Member = vox.model('club.member', { id: (m: { id: number; name: string }) => m.id, notifications: { joined: 'Joined' }, channels: { self: true }, contacts: { email: (m) => `m${m.id}@example.org` } });
    await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'club.member.joined', backend: 'email-html', recipients: ['c'], subject: 'Welcome {{ recipient.name }}', content: '<p>Hi {{ recipient.name | upcase }}</p>' });
    const result = await (await Member.notify({ id: 1, name: 'Ann' }, 'joined')).settled();
    assert.equal(result.messages[0]?.status, 'sent');
    assert.deepEqual(sent.map((m) => [m.subject, m.html]), [['Welcome Ann', '<p>Hi ANN</p>']]);
  } finally {
    await vox.close();
  }
});

/** What the application below reports. */
interface AppRun {
  readonly kysely: { readonly module: string; readonly version: string };
  readonly applied: readonly string[];
  readonly statuses: readonly string[];
  readonly issuesInTable: number;
}

// An application as a user writes it, in plain JavaScript: its own Kysely over SQLite or PostgreSQL,
// Vox given that instance, a notification issued inside the application's transaction.
const APP = `
import { existsSync, readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createVox, nodeSqliteDialect } from 'vox';
import { htmlEmail } from 'vox/backends/email';

export async function run({ postgres, transport }) {
  const kysely = { module: import.meta.resolve('kysely'), version: JSON.parse(readFileSync(new URL('node_modules/kysely/package.json', import.meta.url), 'utf8')).version };
  const pool = postgres ? new pg.Pool({ connectionString: postgres.url, options: '-c search_path=' + postgres.schema, max: 3 }) : undefined;
  const db = new Kysely({ dialect: pool ? new PostgresDialect({ pool }) : nodeSqliteDialect(':memory:') });
  const vox = createVox({ database: db, backends: [htmlEmail({ transport, from: 'shop@example.org' })] });
  try {
    const Member = vox.model('club.member', { id: (m) => m.id, notifications: { joined: 'Joined' }, channels: { self: true }, contacts: { email: (m) => m.email } });
    const applied = await vox.migrate();
    await vox.sync();
    await vox.templates.save({ notification: 'club.member.joined', backend: 'email-html', recipients: ['c'], subject: 'Welcome {{ recipient.name }}', content: '<p>Hi {{ recipient.name }}</p>' });
    await db.schema.createTable('members').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    const ticket = await db.transaction().execute(async (trx) => {
      await trx.insertInto('members').values({ id: 1, name: 'Ann' }).execute();
      return Member.notify({ id: 1, name: 'Ann', email: 'ann@example.org' }, 'joined', { trx });
    });
    const result = await ticket.settled();
    const { rows } = await sql\`select count(*) as n from vox_issues\`.execute(db);
    return { kysely, applied, statuses: result.messages.map((m) => m.status), issuesInTable: Number(rows[0].n) };
  } finally {
    await vox.close();
    await db.destroy();
  }
}
`;

/** The built package installed as `vox` in an app whose `kysely` is the copy in `node_modules/<kyselyDir>`. */
async function appWith(kyselyDir: string): Promise<string> {
  const app = await mkdtemp(join(out, `app-${kyselyDir}-`));
  const vox = join(app, 'node_modules', 'vox');
  await mkdir(vox, { recursive: true });
  // A copy, not a link: modules resolve from their real path, and the built files must find the app's kysely.
  await cp(join(out, 'dist'), join(vox, 'dist'), { recursive: true });
  await writeFile(join(vox, 'package.json'), await readFile(join(root, 'package.json')));
  await symlink(join(root, 'node_modules', kyselyDir), join(app, 'node_modules', 'kysely'), 'dir');
  // Its own package.json, or `vox` would resolve to the repository itself (a package importing its own name).
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }));
  return app;
}

/** The application above, installed beside the built package and the kysely in `node_modules/<kyselyDir>`. */
async function runnableApp(kyselyDir: string): Promise<{ run(options: { postgres?: { url: string; schema: string }; transport: Email.MailTransport }): Promise<AppRun> }> {
  const app = await appWith(kyselyDir);
  await writeFile(join(app, 'app.mjs'), APP);
  return (await import(join(app, 'app.mjs'))) as { run(options: { postgres?: { url: string; schema: string }; transport: Email.MailTransport }): Promise<AppRun> };
}

const kyselies = [
  { name: 'lowest', dir: 'kysely-lowest' },
  { name: 'highest', dir: 'kysely' },
] as const;

for (const { name, dir } of kyselies) {
  const installed = (JSON.parse(readFileSync(join(root, 'node_modules', dir, 'package.json'), 'utf8')) as { version: string }).version;
  for (const database of ['sqlite', 'postgres'] as const) {
    const skip = database === 'postgres' && !postgresUrl ? 'VOX_TEST_POSTGRES_URL is not set' : false;
    test(`with the ${name} kysely of its peer range (${installed}) and the app's own Kysely on ${database}, the built package migrates, notifies in the app's transaction and delivers`, { skip, timeout: 120_000 }, async () => {
      const app = await runnableApp(dir);
      const schema = database === 'postgres' ? await createSchema(postgresUrl as string, 'vox_kysely') : undefined;
      const smtp = await startSmtp();
      try {
        const run = await app.run({ ...(schema ? { postgres: { url: postgresUrl as string, schema: schema.schema } } : {}), transport: smtp.transport });
        assert.equal(run.kysely.version, installed);
        assert.match(run.kysely.module, new RegExp(`/node_modules/${dir}/`), 'the app (and so Vox beside it) resolves kysely to the copy under test');
        assert.deepEqual(run.applied, Object.keys(migrations(database)));
        assert.deepEqual(run.statuses, ['sent']);
        assert.equal(run.issuesInTable, 1);
        assert.deepEqual(
          smtp.received.map((mail) => [addressesOf(mail.parsed.from), addressesOf(mail.parsed.to), mail.parsed.subject, String(mail.parsed.html).trim()]),
          [[['shop@example.org'], ['ann@example.org'], 'Welcome Ann', '<p>Hi Ann</p>']],
        );
      } finally {
        await smtp.close();
        await schema?.drop();
      }
    });
  }
}

test("every entry point of package.json's exports loads from the built package, and vox/express serves the admin", { timeout: 120_000 }, async () => {
  const app = await appWith('kysely');
  const exportsMap = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
  // vox/inbox-element is a custom element for browsers (it extends HTMLElement): Node cannot load it,
  // so here it is only looked up; its declarations are checked below and the browser tests run it.
  const BROWSER_ONLY = new Set(['vox/inbox-element']);
  const entryNames = Object.keys(exportsMap)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? 'vox' : `vox/${key.slice(2)}`));
  const entryPoints = entryNames.filter((entry) => !BROWSER_ONLY.has(entry));
  await writeFile(
    join(app, 'entries.mjs'),
    `export const loaded = await Promise.all(${JSON.stringify(entryPoints)}.map(async (entry) => [entry, Object.keys(await import(entry)).length]));
export const browserEntries = ${JSON.stringify([...BROWSER_ONLY])}.map((entry) => import.meta.resolve(entry));
import express from 'express';
import { createVox } from 'vox';
import { toExpress } from 'vox/express';
export async function adminSession() {
  const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' } });
  await vox.migrate();
  const app = express().use(express.json()).use('/admin', toExpress(vox.admin({ basePath: '/admin', authorize: () => ({ id: 1, name: 'Sam' }) })));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch('http://127.0.0.1:' + server.address().port + '/admin/api/session');
    return { status: response.status, user: (await response.json()).user.name };
  } finally {
    server.close();
    await vox.close();
  }
}
`,
  );
  const module = (await import(join(app, 'entries.mjs'))) as { loaded: [string, number][]; browserEntries: string[]; adminSession(): Promise<{ status: number; user: string }> };
  assert.deepEqual(
    module.loaded.filter(([, names]) => names === 0),
    [],
    'every entry point exports something',
  );
  assert.deepEqual(module.loaded.map(([entry]) => entry), entryPoints);
  assert.equal(module.browserEntries.length, BROWSER_ONLY.size);
  for (const url of module.browserEntries) assert.ok(existsSync(fileURLToPath(url)), `${url} is in the package`);
  assert.deepEqual(await module.adminSession(), { status: 200, user: 'Sam' });
});

/** A consumer's file: every entry point of package.json's "exports", and Vox given the app's own Kysely. */
function consumerSource(entryPoints: readonly string[]): string {
  const imports = entryPoints.map((entry, i) => `import * as entry${i} from '${entry}';`);
  return `${imports.join('\n')}
import { Kysely } from 'kysely';
import { createVox, nodeSqliteDialect } from 'vox';

interface AppDatabase { readonly orders: { readonly id: number } }
const db = new Kysely<AppDatabase>({ dialect: nodeSqliteDialect(':memory:') });
export const vox = createVox({ database: db });
export const entryPoints = [${entryPoints.map((_, i) => `entry${i}`).join(', ')}];
`;
}

const compilers = [
  // vox/activity declares Fedify's types, and Fedify's own declarations need TypeScript 6 or later (lib esnext.temporal).
  { typescript: 'typescript-latest', typesNode: 'types-node-latest', kysely: 'kysely', skipLibCheck: false, without: [] },
  { typescript: 'typescript', typesNode: '@types/node', kysely: 'kysely', skipLibCheck: false, without: ['vox/activity'] },
  // The oldest kysely's own declarations fail skipLibCheck: false (TS2344 in its query-creator.d.ts),
  // with or without Vox: here the point is that an app's Kysely of that version fits createVox().
  { typescript: 'typescript', typesNode: '@types/node', kysely: 'kysely-lowest', skipLibCheck: true, without: ['vox/activity'] },
] as const;

for (const { typescript, typesNode, kysely, skipLibCheck, without } of compilers) {
  const version = (dir: string) => (JSON.parse(readFileSync(join(root, 'node_modules', dir, 'package.json'), 'utf8')) as { version: string }).version;
  const versions = `TypeScript ${version(typescript)}, @types/node ${version(typesNode)}, kysely ${version(kysely)}`;
  test(`the published declarations type-check with skipLibCheck: ${skipLibCheck} under ${versions}`, { timeout: 120_000 }, async () => {
    const app = await appWith(kysely);
    await mkdir(join(app, 'node_modules', '@types'));
    await symlink(join(root, 'node_modules', typesNode), join(app, 'node_modules', '@types', 'node'), 'dir');
    const exportsMap = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
    const entryPoints = Object.keys(exportsMap)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? 'vox' : `vox/${key.slice(2)}`))
      .filter((entry) => !(without as readonly string[]).includes(entry));
    assert.ok(entryPoints.length >= 10, `entry points: ${entryPoints.join(', ')}`);
    await writeFile(join(app, 'consumer.ts'), consumerSource(entryPoints));
    const options = { target: 'ES2023', lib: ['ES2023', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck, noEmit: true, types: ['node'] };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['consumer.ts'] }));
    const tsc = join(root, 'node_modules', typescript, 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', app], { cwd: app }).catch((error: { stdout?: string; stderr?: string }) => error);
    assert.equal(`${result.stdout ?? ''}${result.stderr ?? ''}`.trim(), '', 'tsc reports no error');
  });
}
