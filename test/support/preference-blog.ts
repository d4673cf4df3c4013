// A blog whose subscribers have preferences: the models the preference tests share.
import type { Vox } from '../../src/index.ts';

export interface Subscriber { id: string; email: string; phone: string }

/** A blog whose subscribers get articles (newsletter), digests (newsletter, off by SMS) and security notices (required). */
export function blogModels(vox: Vox, subscribers: () => Subscriber[]) {
  const Subscriber = vox.model('blog.subscriber', {
    id: (s: Subscriber) => s.id,
    contacts: { email: (s) => s.email, sms: (s) => s.phone },
  });
  const Article = vox.model('blog.article', {
    id: (a: { id: number }) => a.id,
    notifications: {
      created: { description: 'A new article', category: { key: 'newsletter', label: 'The newsletter' } },
      digest: { description: 'The weekly digest', category: 'newsletter', defaults: { sms: false } },
      commented: { description: 'A comment on an article', category: 'comments', defaults: { email: false } },
      security: { description: 'A security notice', category: 'security', required: true },
      plain: 'Without category',
    },
    channels: { subscribers: { recipients: Subscriber, resolve: () => subscribers() } },
  });
  return { Subscriber, Article };
}

