// Builds the admin's browser app into dist/admin-ui, where the admin serves it from.
// `node admin-ui/build.ts` builds only when the sources changed since the last build (npm's
// pretest runs it); `--force` always builds (npm run build:admin).
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = join(root, 'dist/admin-ui');
const manifest = join(output, '.vite/manifest.json');
const sources = [join(root, 'admin-ui/src'), join(root, 'admin-ui/build.ts'), join(root, 'src/admin/api.ts')];

async function newest(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  return Math.max(info.mtimeMs, ...(await Promise.all(entries.map((entry) => newest(join(path, entry))))));
}

/** Whether the built app is older than its sources (or missing). */
export async function adminUiIsStale(): Promise<boolean> {
  if (!existsSync(manifest)) return true;
  const built = (await stat(manifest)).mtimeMs;
  return (await Promise.all(sources.map(newest))).some((time) => time > built);
}

/** Builds into a fresh directory and swaps it in, so a server reading the old build never sees half of the new one. */
export async function buildAdminUi(): Promise<void> {
  const { build } = await import('vite');
  const staging = `${output}.${process.pid}`;
  await build({
    configFile: false,
    root: join(root, 'admin-ui'),
    base: './',
    logLevel: 'warn',
    esbuild: { jsx: 'automatic' },
    build: {
      outDir: staging,
      emptyOutDir: true,
      manifest: true,
      target: 'es2022',
      chunkSizeWarningLimit: 2048,
      rollupOptions: { input: join(root, 'admin-ui/src/main.tsx') },
    },
  });
  await rm(output, { recursive: true, force: true });
  await rename(staging, output);
}

/** Builds when stale; quick when not. */
export async function ensureAdminUi(): Promise<void> {
  if (await adminUiIsStale()) await buildAdminUi();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  if (process.argv.includes('--force') || (await adminUiIsStale())) {
    await buildAdminUi();
    console.log(`admin UI built into dist/admin-ui in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    console.log('admin UI is up to date (dist/admin-ui)');
  }
}
