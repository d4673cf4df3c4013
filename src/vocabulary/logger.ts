/** The logger Vox reports to: the slice of pino's interface it uses, silent unless one is given. */

/**
 * Where Vox says what an operator should know (a queue it cannot reach, and when it is back).
 * A pino logger fits as it is; so does `console`, which prints the details, then the message.
 */
export interface Logger {
  info(details: Readonly<Record<string, unknown>>, message: string): void;
  warn(details: Readonly<Record<string, unknown>>, message: string): void;
}

/** The default: says nothing. */
export const silentLogger: Logger = { info() {}, warn() {} };
