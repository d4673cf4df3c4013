// Builds the <vox-inbox> element into dist/inbox-element/vox-inbox.js: one ES module with Lit inside,
// which the inbox handler serves (GET {basePath}/vox-inbox.js) and `vox/inbox-element` exports.
// Like admin-ui/build.ts: builds only when the sources changed; `--force` always builds.
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = join(root, 'dist/inbox-element');
const entry = join(root, 'inbox-element/src/vox-inbox.ts');
const built = join(output, 'vox-inbox.js');

const DECLARATIONS = `/** The <vox-inbox> element: a bell with the unread count and a dropdown of in-app items. */
export declare class VoxInbox extends HTMLElement {
  /** Where the inbox handler is mounted, e.g. "/inbox". */
  src: string;
  /** A recipient token, for a page on another origin than the handler. */
  token: string | undefined;
  /** The bell's accessible name. */
  label: string;
  /** Seconds between polls when Server-Sent Events are not available. */
  pollInterval: number;
  /** Whether the dropdown is open. */
  open: boolean;
}
declare global {
  interface HTMLElementTagNameMap {
    'vox-inbox': VoxInbox;
  }
}
`;

/** Whether the built file is older than its sources (or missing). */
export async function inboxElementIsStale(): Promise<boolean> {
  if (!existsSync(built)) return true;
  const time = (await stat(built)).mtimeMs;
  const src = join(root, 'inbox-element/src');
  const sources = [join(root, 'inbox-element/build.ts'), ...(await readdir(src)).map((name) => join(src, name))];
  return (await Promise.all(sources.map((source) => stat(source)))).some((info) => info.mtimeMs > time);
}

/** Builds into a fresh directory and swaps it in, so a server reading the old build never sees half of the new one. */
export async function buildInboxElement(): Promise<void> {
  const { build } = await import('vite');
  const staging = `${output}.${process.pid}`;
  await build({
    configFile: false,
    root: join(root, 'inbox-element'),
    logLevel: 'warn',
    build: {
      outDir: staging,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      lib: { entry, formats: ['es'], fileName: () => 'vox-inbox.js' },
    },
  });
  // The element's public face for TypeScript users of `vox/inbox-element`.
  await writeFile(join(staging, 'vox-inbox.d.ts'), DECLARATIONS);
  await rm(output, { recursive: true, force: true });
  await rename(staging, output);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  if (process.argv.includes('--force') || (await inboxElementIsStale())) {
    await buildInboxElement();
    console.log(`<vox-inbox> built into dist/inbox-element in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    console.log('<vox-inbox> is up to date (dist/inbox-element)');
  }
}
