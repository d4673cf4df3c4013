// The admin's security promises of docs/admin.md, each with a host app of its own: CSRF tokens bound
// to the staff user, the 401 page, unexpected errors, headers, the secret, and missing built files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SessionInfo } from '../src/admin/api.ts';
import { createVox, ErrorCode, type VoxError } from '../src/index.ts';
import { adminAppsForSuite, type AdminApp } from './support/admin-app.ts';

const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

describe('admin security', () => {
  const start = adminAppsForSuite();
  async function sessionOf(app: AdminApp, cookie: string): Promise<SessionInfo> {
    const response = await fetch(`${app.url}/admin/api/session`, { headers: { cookie } });
    assert.equal(response.status, 200);
    return (await response.json()) as SessionInfo;
  }
  const addContact = (app: AdminApp, cookie: string, token: string, name: string) =>
    fetch(`${app.url}/admin/api/site-contacts`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ name, protocol: 'email', address: 'x@example.org' }),
    });

  test("another staff user's CSRF token is refused with 403 VOX_CSRF, and nothing changes", async () => {
    const app = await start();
    app.blog.data.users.push({ id: 2, name: 'Eve Editor', email: 'eve@example.org', passwordHash: 'x' });
    const alan = `session=${app.signIn(1)}`;
    const eve = `session=${app.signIn(2)}`;
    const alanToken = (await sessionOf(app, alan)).csrfToken;
    const eveToken = (await sessionOf(app, eve)).csrfToken;
    assert.notEqual(alanToken, eveToken);

    const refused = await addContact(app, alan, eveToken, 'With Eve token');
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'VOX_CSRF');
    assert.equal((await addContact(app, alan, alanToken, 'With own token')).status, 201);
    assert.deepEqual((await app.blog.vox.siteContacts.list()).map((c) => c.name), ['Site admin', 'With own token']);
  });

  test('a token made with the same secret by another process is accepted for the same session; another secret is refused', async () => {
    const first = await start({ secret: 'one secret shared by all processes' });
    const second = await start({ secret: 'one secret shared by all processes' });
    const other = await start({ secret: 'a different secret, also long' });
    const session = first.signIn();
    const token = (await sessionOf(first, `session=${session}`)).csrfToken;
    assert.equal((await addContact(second, `session=${second.signIn(1, session)}`, token, 'Shared')).status, 201);
    assert.equal((await addContact(other, `session=${other.signIn(1, session)}`, token, 'Other')).status, 403);
  });

  test('without loginUrl, a signed-out visitor of a page gets a 401 page; API calls get a 401', async () => {
    const app = await start({ loginUrl: undefined });
    const page = await fetch(`${app.url}/admin/templates`, { redirect: 'manual' });
    assert.equal(page.status, 401);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /Sign in as staff to use the admin/);
    const api = await fetch(`${app.url}/admin/api/session`, { redirect: 'manual' });
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'VOX_UNAUTHORIZED');
  });

  test('an unexpected error is answered 500 without its details, and handed to onError with the request', async () => {
    const reported: { message: string; url: string }[] = [];
    const app = await start({
      authorize: () => {
        throw new Error('the session store is down: password=hunter2');
      },
      onError: (error, request) => reported.push({ message: (error as Error).message, url: request.url }),
    });
    const response = await fetch(`${app.url}/admin/api/notifications`);
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.doesNotMatch(text, /hunter2|session store/);
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, 'VOX_INTERNAL');
    assert.deepEqual(reported, [{ message: 'the session store is down: password=hunter2', url: `${app.url}/admin/api/notifications` }]);
  });

  test('pages, API answers and refusals carry the security headers, Cross-Origin-Opener-Policy and no-store included', async () => {
    const app = await start();
    const cookie = `session=${app.signIn()}`;
    const answers = {
      page: await fetch(`${app.url}/admin/notifications`, { headers: { cookie } }),
      api: await fetch(`${app.url}/admin/api/notifications`, { headers: { cookie } }),
      unauthorized: await fetch(`${app.url}/admin/api/messages`),
      csrf: await addContact(app, cookie, 'wrong', 'x'),
    };
    assert.deepEqual(Object.values(answers).map((r) => r.status), [200, 200, 401, 403]);
    for (const [name, response] of Object.entries(answers)) {
      for (const [header, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers.get(header), value, `${header} of the ${name} answer`);
      assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, name);
    }
  });

  test('a secret under 16 bytes is refused when the admin is created', async () => {
    const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [], worker: false });
    try {
      assert.throws(
        () => vox.admin({ authorize: () => null, secret: '15 bytes secret' }),
        (error: VoxError) => error.code === ErrorCode.configuration && /at least 16 bytes/.test(error.message),
      );
      assert.doesNotThrow(() => vox.admin({ authorize: () => null, secret: '16 bytes secret!' }));
      assert.throws(() => vox.admin({ authorize: () => null, secret: new Uint8Array(8) }), /at least 16 bytes/);
    } finally {
      await vox.close();
    }
  });

  test('without the built files, pages answer 503 naming the build command, and the API still works', async () => {
    // A copy of the package without dist/: the admin cannot find its browser app there.
    const root = await mkdtemp(join(tmpdir(), 'vox-unbuilt-'));
    try {
      await cp(join(import.meta.dirname, '../src'), join(root, 'src'), { recursive: true, filter: (path) => !path.endsWith('.test.ts') });
      await cp(join(import.meta.dirname, '../package.json'), join(root, 'package.json'));
      await symlink(join(import.meta.dirname, '../node_modules'), join(root, 'node_modules'));
      const script = `
        import { createVox } from './src/index.ts';
        const vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends: [], worker: false });
        await vox.migrate();
        const admin = vox.admin({ basePath: '/admin', authorize: () => ({ id: 1, name: 'Staff' }) });
        const answers = [];
        for (const path of ['/admin/', '/admin/notifications', '/admin/api/session']) {
          const response = await admin.fetch(new Request('http://admin.test' + path));
          answers.push({ path, status: response.status, body: await response.text() });
        }
        await vox.close();
        console.log(JSON.stringify(answers));
      `;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise((resolve) => child.once('close', resolve));
      assert.equal(code, 0, stderr);
      const answers = JSON.parse(stdout) as { path: string; status: number; body: string }[];
      assert.deepEqual(answers.map((a) => [a.path, a.status]), [['/admin/', 503], ['/admin/notifications', 503], ['/admin/api/session', 200]]);
      for (const page of answers.slice(0, 2)) assert.match(page.body, /npm run build:admin/);
      assert.equal((JSON.parse(answers[2]!.body) as SessionInfo).user.name, 'Staff');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
