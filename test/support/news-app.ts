import { createVox, type Backend, type Vox, type VoxOptions } from '../../src/index.ts';

/** A post of the small news app the email and error-code tests share. */
export interface Post {
  readonly id: number;
  readonly title: string;
}

/**
 * A Vox on an in-memory SQLite database with one model, `news.post`, whose notification
 * `published` goes to the channel `readers` (the addresses in `readers`, which a test may change).
 */
export async function newsApp(backends: readonly Backend[], options: Partial<VoxOptions<unknown>> = {}) {
  const readers: string[] = ['ann@example.org'];
  const vox: Vox = createVox({ database: { dialect: 'sqlite', path: ':memory:' }, backends, ...options });
  const Reader = vox.model('news.reader', { id: (address: string) => address, contacts: { email: (address) => address } });
  const Post = vox.model('news.post', {
    id: (p: Post) => p.id,
    notifications: { published: 'A post was published' },
    channels: { readers: { recipients: Reader, resolve: () => readers } },
  });
  await vox.migrate();
  await vox.sync();
  return { vox, Post, readers };
}
