import { SMTPServer } from 'smtp-server';

/** An SMTP server on 127.0.0.1 that accepts everything and only counts deliveries per recipient. */
export interface SmtpSink {
  readonly port: number;
  /** Deliveries per recipient address. */
  readonly counts: Map<string, number>;
  /** Messages accepted in all. */
  delivered(): number;
  /** Messages received whole and not answered yet: in flight at the server. */
  answering(): number;
  /** When the last message was accepted (`Date.now()` as the reply went out); 0 before the first. */
  lastDeliveryAt(): number;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /**
   * Milliseconds to wait after a message's final dot before answering it, as a remote provider
   * does; `Infinity` never answers (a tarpit), with no timer left behind. @default 0 (answer at once)
   */
  readonly replyDelayMs?: number;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const counts = new Map<string, number>();
  const replyDelayMs = options.replyDelayMs ?? 0;
  let delivered = 0;
  let answering = 0;
  let lastDeliveryAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 64,
    // A tarpit's connections have nothing to finish: closing does not wait for them (30 s by default).
    ...(replyDelayMs === Number.POSITIVE_INFINITY ? { closeTimeout: 100 } : {}),
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        answering++;
        const accept = () => {
          answering--;
          delivered++;
          lastDeliveryAt = Date.now();
          for (const r of session.envelope.rcptTo) counts.set(r.address, (counts.get(r.address) ?? 0) + 1);
          callback();
        };
        if (replyDelayMs === Number.POSITIVE_INFINITY) return;
        if (replyDelayMs > 0) setTimeout(accept, replyDelayMs);
        else accept();
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
    answering: () => answering,
    lastDeliveryAt: () => lastDeliveryAt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
