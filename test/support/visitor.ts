import assert from 'node:assert/strict';

/** A browser-less visitor of the demo: keeps its session cookie and sends forms as a same-origin browser would. */
export class Visitor {
  readonly #base: string;
  #cookie = '';
  /** The session cookie, for requests made without the visitor. */
  get cookie(): string {
    return this.#cookie;
  }
  constructor(base: string) {
    this.#base = base;
  }
  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(new URL(path, this.#base), { redirect: 'manual', headers: { cookie: this.#cookie, ...headers } });
  }
  /** Sends a form; `headers` replace the same-origin `Origin` a browser sends (to test other origins). */
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = { origin: this.#base }): Promise<Response> {
    const response = await fetch(new URL(path, this.#base), { method: 'POST', redirect: 'manual', body: new URLSearchParams(form), headers: { cookie: this.#cookie, ...headers } });
    const session = response.headers.getSetCookie().find((c) => c.startsWith('vox_demo_session='));
    if (session) this.#cookie = session.split(';')[0] ?? '';
    return response;
  }
  async page(path: string): Promise<string> {
    const response = await this.get(path);
    assert.equal(response.status, 200, `GET ${path}`);
    return response.text();
  }
}

/** The links of an HTML text, entities in them decoded. */
export const hrefsOf = (html: string | undefined): string[] => [...(html ?? '').matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&'));
