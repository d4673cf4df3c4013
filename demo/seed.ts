// What a new demo database starts with (the author, a subscriber, an article, the site contact,
// the templates), and the templates later versions of the demo added, for databases of every age.
import type { Kysely } from 'kysely';
import type { Vox } from '../src/index.ts';
import { hashPassword, newToken } from './auth.ts';
import { AUTHOR, SITE_CONTACT, SUBSCRIBER, type BlogDatabase } from './blog.ts';

const WELCOME = `This blog is the Vox demo. Everything it emails lands in the mail viewer instead of anybody's inbox.

Log in as ${AUTHOR.email} (password: ${AUTHOR.password}) to post an article: ${SUBSCRIBER.name}, the subscriber, gets an email with a personal link and the author's contact card.`;

/**
 * Fills a new database as the seed's demo comes: the author, one subscriber, one article, the site
 * contact and a template for each notification. It runs once per database; after that the data is
 * the user's, so a deleted site contact or an edited template stays as it is across restarts.
 */
export async function seedBlog(vox: Vox, db: Kysely<BlogDatabase>): Promise<boolean> {
  if (await db.selectFrom('blog_meta').select('value').where('key', '=', 'seeded_at').executeTakeFirst()) return false;
  const now = new Date().toISOString();
  const passwordHash = await hashPassword(AUTHOR.password);
  await db.transaction().execute(async (trx) => {
    const author = await trx.insertInto('blog_users').values({ username: AUTHOR.username, name: AUTHOR.name, email: AUTHOR.email, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('blog_subscribers').values({ name: SUBSCRIBER.name, email: SUBSCRIBER.email, token: newToken(), created_at: now, confirmed_at: now }).execute();
    await trx.insertInto('blog_articles').values({ slug: 'welcome', title: 'Welcome to the Vox demo', body: WELCOME, author_id: author.id, created_at: now }).execute();
  });

  await vox.siteContacts.save({ name: SITE_CONTACT.name, protocol: 'email', address: SITE_CONTACT.email });
  await vox.templates.save({
    notification: 'blog.article.created',
    backend: 'email-html',
    recipients: ['c:subscribers'],
    subject: 'New article: {{ object.title }}',
    content: [
      '<p>Hi {{ recipient.name }},</p>',
      '<p>{{ actor.name }} has posted a new article on {{ site.name }}:</p>',
      '<p><a href="{{ site.baseUrl }}/articles/{{ object.slug }}?token={{ recipient.token }}"><strong>{{ object.title }}</strong></a></p>',
      '<p>Follow the link to read it and leave a comment. The author\'s contact card is attached.</p>',
      '<p style="font-size:small;color:#555">You get this because you subscribed to {{ site.name }}. <a href="{{ unsubscribe_url }}">Unsubscribe</a> or <a href="{{ preferences_url }}">choose what you receive</a>.</p>',
    ].join('\n'),
    attachments: ['object.author.vcard'],
  });
  await vox.templates.save({
    notification: 'blog.comment.posted',
    backend: 'email-html',
    recipients: ['c:articleAuthor'],
    // One email per article for the comments of the digest's window (docs/digests.md); a lone comment reads as before.
    subject: '{% if digest.count > 1 %}{{ digest.count }} new comments{% else %}New comment{% endif %} on {{ object.article.title }}',
    content: [
      '<p>Hi {{ recipient.name }},</p>',
      '{% if digest.count > 1 %}<p>{{ digest.count }} comments on your article <a href="{{ site.baseUrl }}/articles/{{ object.article.slug }}">{{ object.article.title }}</a>:</p>',
      '<ul>{% for item in digest.items %}<li>{{ item.object.poster }}: {{ item.object.body | truncate: 80 }}</li>{% endfor %}</ul>{% if digest.truncated %}<p>and {{ digest.left_out }} more.</p>{% endif %}',
      '{% else %}<p>{{ object.poster }} commented on your article <a href="{{ site.baseUrl }}/articles/{{ object.article.slug }}#comment-{{ object.id }}">{{ object.article.title }}</a>:</p>',
      '<blockquote>{{ object.body }}</blockquote>{% endif %}',
    ].join('\n'),
  });
  // The same comment in the author's in-app inbox: the bell at the top of every page (vox.inboxHandler, <vox-inbox>).
  await vox.templates.save({
    notification: 'blog.comment.posted',
    backend: 'in-app',
    recipients: ['c:articleAuthor'],
    digest: false,
    content: [
      'title: {{ object.poster }} commented on {{ object.article.title }}',
      'body: {{ object.body }}',
      'link: /articles/{{ object.article.slug }}#comment-{{ object.id }}',
      'actor: {{ object.poster }}',
      'data.kind: comment',
    ].join('\n'),
  });
  // And as an activity, for the author's followers on the fediverse (the activity feed API serves it too).
  await vox.templates.save({
    notification: 'blog.comment.posted',
    backend: 'activity',
    recipients: ['c:articleAuthor'],
    digest: false,
    subject: 'New comment on {{ object.article.title }}',
    content: '<p>{{ object.poster }} commented on <a href="{{ site.baseUrl }}/articles/{{ object.article.slug }}#comment-{{ object.id }}">{{ object.article.title }}</a>: {{ object.body }}</p>',
  });
  await vox.templates.save({
    notification: 'blog.subscriber.created',
    backend: 'email-html',
    recipients: ['si'],
    subject: 'New subscriber: {{ object.name }}',
    content: '<p>Dear {{ recipient.name }},</p>\n<p>{{ object.name }} ({{ object.email }}) subscribed to {{ site.name }}.</p>',
  });
  await db.insertInto('blog_meta').values({ key: 'seeded_at', value: now }).execute();
  return true;
}

/** Templates the demo gained after its first version, made once in databases of every age. */
export async function ensureBlogTemplates(vox: Vox): Promise<void> {
  await vox.templates.ensure({
    key: 'subscriber-confirm',
    notification: 'blog.subscriber.confirm',
    backend: 'email-html',
    recipients: ['c'],
    subject: 'Please confirm your subscription to {{ site.name }}',
    content: [
      '<p>Hi {{ recipient.name }},</p>',
      '<p>Somebody, hopefully you, subscribed this address to {{ site.name }}. Confirm it to receive new articles:</p>',
      '<p><a href="{{ site.baseUrl }}/subscribe/confirm?token={{ recipient.token }}"><strong>Confirm my subscription</strong></a></p>',
      '<p>If it was not you, ignore this email: nothing more will be sent to you.</p>',
    ].join('\n'),
  });
}
