/** Finding and serving the admin's built browser app (Vite's output and manifest). */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:admin` writes the browser app: dist/admin-ui, beside dist/admin (built) or two levels up from src/admin. */
const CANDIDATES = ['../admin-ui', '../../dist/admin-ui'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));

/** The entry of the browser app in Vite's manifest. */
const ENTRY = 'src/main.tsx';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The built browser app: its entry script and styles, and its files by name. */
export interface AdminAssets {
  readonly script: string;
  readonly styles: readonly string[];
  /** A file under assets/, or undefined when there is none. */
  file(name: string): Promise<{ readonly body: Uint8Array; readonly type: string } | undefined>;
}

/** Finds the built assets; undefined when they were not built (the admin then explains how to build them). */
export async function loadAssets(): Promise<AdminAssets | undefined> {
  const dir = CANDIDATES.find((candidate) => existsSync(join(candidate, '.vite/manifest.json')));
  if (!dir) return undefined;
  const manifest = JSON.parse(await readFile(join(dir, '.vite/manifest.json'), 'utf8')) as Record<string, { file: string; css?: string[] }>;
  const entry = manifest[ENTRY];
  if (!entry) return undefined;
  const root = join(dir, 'assets') + sep;
  const cache = new Map<string, { body: Uint8Array; type: string }>();
  return {
    script: entry.file,
    styles: entry.css ?? [],
    async file(name) {
      const cached = cache.get(name);
      if (cached) return cached;
      const path = normalize(join(root, name));
      if (!path.startsWith(root) || !TYPES[extname(path)]) return undefined;
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      const file = { body: new Uint8Array(await readFile(path)), type: TYPES[extname(path)] as string };
      cache.set(name, file);
      return file;
    },
  };
}
