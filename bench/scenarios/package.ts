// Vox as an application runs it: the package as built for npm (JavaScript in .bench-dist/, compiled
// by run.ts with the package's own build settings), not the TypeScript sources, which Node would
// strip of their types as it loads them, in the host and again in the render thread. The types
// still come from the sources.
import type * as Index from '../../src/index.ts';
import type * as Email from '../../src/backends/email/index.ts';

const built = new URL('../../.bench-dist/', import.meta.url);

export const { createVox, nodeSqliteDialect } = (await import(new URL('index.js', built).href)) as typeof Index;
export const { htmlEmail } = (await import(new URL('backends/email/index.js', built).href)) as typeof Email;
