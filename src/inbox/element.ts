/** Serving the `<vox-inbox>` element's bundled script (built by `node inbox-element/build.ts` into dist/inbox-element). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/inbox-element, beside dist/inbox (built) or two levels up from src/inbox. */
const CANDIDATES = ['../inbox-element', '../../dist/inbox-element'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
export const ELEMENT_FILE = 'vox-inbox.js';

let cached: Promise<Uint8Array | undefined> | undefined;

async function load(): Promise<Uint8Array | undefined> {
  const dir = CANDIDATES.find((candidate) => existsSync(join(candidate, ELEMENT_FILE)));
  return dir === undefined ? undefined : new Uint8Array(await readFile(join(dir, ELEMENT_FILE)));
}

/** The script as a response: public, so any origin may load it as a module. */
export async function elementScript(): Promise<Response> {
  cached ??= load();
  const body = await cached;
  if (!body) {
    cached = undefined;
    return new Response(JSON.stringify({ error: { code: 'VOX_NOT_FOUND', message: 'the <vox-inbox> script is not built: run node inbox-element/build.ts (npm run build does)' } }), {
      status: 404,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
  }
  return new Response(body as BodyInit, {
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*', 'X-Content-Type-Options': 'nosniff' },
  });
}
