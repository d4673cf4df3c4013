import { createServer, type IncomingHttpHeaders } from 'node:http';

/** A request the peer received. */
export interface PeerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the peer answers. */
export interface PeerReply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A local HTTP server on 127.0.0.1 that keeps the requests it gets and answers as told. */
export interface HttpPeer {
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  /** Every request, answered or not. */
  readonly requests: PeerRequest[];
  /** Requests answered 2xx. */
  readonly accepted: PeerRequest[];
  /** Answers the next requests with these replies, in order, before going back to the default. */
  replyNext(...replies: PeerReply[]): void;
  /** Replaces how requests not scripted with `replyNext` are answered; undefined restores the default. */
  answerWith(answer: ((request: PeerRequest) => PeerReply) | undefined): void;
  close(): Promise<void>;
}

/** Starts a peer; `answer` decides the reply of each request not scripted with `replyNext`. */
export async function startHttpPeer(defaultAnswer: (request: PeerRequest) => PeerReply = () => ({ status: 200, body: 'ok' })): Promise<HttpPeer> {
  let answer = defaultAnswer;
  const requests: PeerRequest[] = [];
  const accepted: PeerRequest[] = [];
  const scripted: PeerReply[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: PeerRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(request);
      const reply = scripted.shift() ?? answer(request);
      if (reply.status >= 200 && reply.status < 300) accepted.push(request);
      res.writeHead(reply.status, { 'Content-Type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    accepted,
    replyNext(...replies) {
      scripted.push(...replies);
    },
    answerWith(next) {
      answer = next ?? defaultAnswer;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
