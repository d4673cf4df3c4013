import { createServer, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word: a peer that hangs. */
export interface SilentServer {
  readonly port: number;
  /** Connections accepted so far: a hang, not a refusal. */
  connections(): number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of open) socket.destroy();
        // Closing twice is harmless: the second call's error only says it is closed.
        server.close(() => done());
      }),
  };
}
