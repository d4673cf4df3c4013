/**
 * HTTP requests that fetch() cannot make, for the tests of what Vox's handlers refuse: a body
 * streamed in chunks without a Content-Length, a Content-Length whose body is never sent, and a
 * chosen source address on the loopback network (127.0.0.2, …) to play several clients.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

/** What the body of a raw request is. */
export type RawBody =
  /** Sent whole, with its Content-Length. */
  | string
  /** `count` chunks of `bytes` bytes, streamed without a Content-Length (chunked), until the server answers. */
  | { readonly chunks: number; readonly bytes: number }
  /** Nothing: the headers go (a Content-Length among them, if given) and the body never follows. */
  | 'withheld';

/** What the server answered, and how much of the body had been handed to the socket by then. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly bytesSent: number;
}

/** Options of {@link rawRequest}. */
export interface RawOptions {
  /** @default 'POST' */
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** @default '' */
  readonly body?: RawBody;
  /** The client's address, such as 127.0.0.2. @default the system's choice */
  readonly localAddress?: string;
  /** How long to wait for the answer before failing (a server that waits for a withheld body never answers). @default 10000 */
  readonly timeoutMs?: number;
}

/** Sends one request and resolves with the server's answer; what is left of a streamed body is dropped once it arrives. */
export function rawRequest(url: string, options: RawOptions = {}): Promise<RawAnswer> {
  const body = options.body ?? '';
  const headers = { ...(typeof body === 'string' && body !== 'withheld' ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    let bytesSent = 0;
    let answered = false;
    const req = request(url, { method: options.method ?? 'POST', headers, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), bytesSent });
        req.destroy();
      });
    });
    // Writing into a socket the server closed after answering fails; the answer is what counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 10_000} ms`)));
    if (body === 'withheld') {
      req.flushHeaders();
    } else if (typeof body === 'string') {
      bytesSent = Buffer.byteLength(body);
      req.end(body);
    } else {
      const chunk = Buffer.alloc(body.bytes, 0x20);
      let sent = 0;
      const write = () => {
        while (sent < body.chunks && !answered) {
          sent++;
          bytesSent += chunk.byteLength;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        if (!answered) req.end();
      };
      write();
    }
  });
}
