import { SMTPServer } from 'smtp-server';

/** An SMTP server on 127.0.0.1 that accepts everything and only counts deliveries per recipient. */
export interface SmtpSink {
  readonly port: number;
  /** Deliveries per recipient address. */
  readonly counts: Map<string, number>;
  /** Messages accepted in all. */
  delivered(): number;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const counts = new Map<string, number>();
  let delivered = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 64,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        delivered++;
        for (const r of session.envelope.rcptTo) counts.set(r.address, (counts.get(r.address) ?? 0) + 1);
        callback();
      });
    },
  });
  // A client killed mid-session resets its connection; that is the client's failure, not the server's.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as { port: number }).port,
    counts,
    delivered: () => delivered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
