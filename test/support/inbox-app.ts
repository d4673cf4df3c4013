/** A small app with an in-app inbox: members who get an item when a post is published, for the inbox tests and benchmark. */
import { contact, createVox, type DatabaseOptions, type Queue, type Vox } from '../../src/index.ts';
import { inApp } from '../../src/backends/in-app.ts';

export interface Member {
  readonly id: number;
  readonly name: string;
}
export interface Post {
  readonly id: number;
  readonly title: string;
  readonly body: string;
  readonly author: Member;
}

/** The in-app template the tests use: every field, with variables. */
export const POST_TEMPLATE = [
  'title: {{ actor.name }} published {{ object.title }}',
  'body: {{ object.body }}\\n\\nRead it **now**.',
  'link: /posts/{{ object.id }}',
  'actor: {{ actor.name }}',
  'data.kind: post',
].join('\n');

export interface InboxApp {
  readonly vox: Vox;
  readonly Member: ReturnType<typeof register>['Member'];
  readonly Post: ReturnType<typeof register>['Post'];
  readonly members: Member[];
  /** Publishes a post to every member; resolves once its messages are settled. */
  publish(post: Omit<Post, 'author'> & { author?: Member }): Promise<void>;
}

function register(vox: Vox, members: () => readonly Member[]) {
  const Member = vox.model('club.member', {
    id: (m: Member) => m.id,
    contacts: { 'in-app': (m) => contact(m.name, 'in-app', `member:${m.id}`) },
  });
  const Post = vox.model('club.post', {
    id: (p: Post) => p.id,
    notifications: { published: { description: 'A post was published', actor: Member } },
    channels: { members: { label: 'Members', recipients: Member, resolve: () => members() } },
  });
  return { Member, Post };
}

/** Creates, migrates and seeds the app; `members` members. */
export async function inboxApp(database: DatabaseOptions, options: { readonly members?: number; readonly queue?: Queue; readonly worker?: false } = {}): Promise<InboxApp> {
  const vox = createVox({ database, backends: [inApp()], ...(options.queue ? { queue: options.queue } : {}), ...(options.worker === false ? { worker: false } : {}) });
  const members: Member[] = Array.from({ length: options.members ?? 3 }, (_, i) => ({ id: i + 1, name: `Member ${i + 1}` }));
  const { Member, Post } = register(vox, () => members);
  await vox.migrate();
  await vox.sync();
  await vox.templates.ensure({ key: 'post-in-app', notification: 'club.post.published', backend: 'in-app', recipients: ['c:members'], content: POST_TEMPLATE });
  return {
    vox,
    Member,
    Post,
    members,
    async publish(post) {
      const author = post.author ?? members[0]!;
      await (await Post.notify({ ...post, author }, 'published', { actor: author })).settled();
    },
  };
}
