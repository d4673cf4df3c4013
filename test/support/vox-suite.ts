import { after, afterEach, before } from 'node:test';
import type { Vox } from '../../src/index.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';

/**
 * For a suite of delivery tests: one real SMTP server for the suite (emptied after each test), and
 * the Vox instances and databases a test opens, closed and removed after it.
 */
export function voxSuite(): { smtp(): TestSmtp; keep<V extends Vox>(vox: V): V; dropAfter(drop: () => Promise<void>): void } {
  let smtp: TestSmtp | undefined;
  const opened: Vox[] = [];
  const drops: (() => Promise<void>)[] = [];
  before(async () => {
    smtp = await startSmtp();
  });
  afterEach(async () => {
    for (const vox of opened.splice(0)) await vox.close();
    for (const drop of drops.splice(0)) await drop();
    smtp?.received.splice(0);
  });
  after(() => smtp?.close());
  return {
    smtp: () => {
      if (!smtp) throw new Error('the SMTP server starts in the suite\'s before hook');
      return smtp;
    },
    keep: (vox) => (opened.push(vox), vox),
    dropAfter: (drop) => void drops.push(drop),
  };
}
