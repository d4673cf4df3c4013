// Subscribing to the demo blog, with double opt-in: the form sends a confirmation email (a required
// notification, which no preference stops) and the address gets nothing else until its owner
// confirms with the button its link opens. Subscriptions are limited per client address and
// overall, so that the form cannot be used to mail many addresses.
import type { Context, Hono } from 'hono';
import type { Kysely } from 'kysely';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { newToken } from './auth.ts';
import { blogData, type BlogDatabase, type BlogModels } from './blog.ts';
import type { Html } from './html.ts';
import { clientAddress, type Env } from './login.ts';
import { confirmSubscriptionPage, type FormValues, type PageContext } from './pages.ts';

/** Subscriptions one client address may make in a window; the next is answered 429 until it ends. */
export const SUBSCRIPTIONS_PER_ADDRESS = 5;
/** Subscriptions from everybody together in a window: a bound on confirmation emails however many addresses send them. */
export const SUBSCRIPTIONS_OVERALL = 100;
const WINDOW_SECONDS = 60 * 60;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Counts subscriptions with rate-limiter-flexible, in memory (an app of several processes gives
 * it a shared store). A subscription takes a point from its address and one from the whole site.
 */
export class SubscribeLimits {
  readonly #byAddress = new RateLimiterMemory({ keyPrefix: 'subscribe-address', points: SUBSCRIPTIONS_PER_ADDRESS, duration: WINDOW_SECONDS });
  readonly #overall = new RateLimiterMemory({ keyPrefix: 'subscribe-all', points: SUBSCRIPTIONS_OVERALL, duration: WINDOW_SECONDS });

  /** Takes a subscription; resolves to the seconds to wait when none is left, or 0. */
  async take(address: string): Promise<number> {
    const taken = await Promise.allSettled([this.#byAddress.consume(address), this.#overall.consume('all')]);
    const failed = taken.find((t) => t.status === 'rejected' && !(t.reason instanceof RateLimiterRes));
    if (failed?.status === 'rejected') throw failed.reason;
    const waits = taken.flatMap((t) => (t.status === 'rejected' && t.reason instanceof RateLimiterRes ? [t.reason.msBeforeNext] : []));
    return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
  }
}

/** What the routes need of the blog app. */
export interface SubscriptionDeps {
  readonly db: Kysely<BlogDatabase>;
  readonly models: BlogModels;
  readonly context: (c: Context<Env>) => PageContext;
  readonly page: (c: Context<Env>, body: Html, status?: 200 | 400 | 403 | 404 | 429 | 500) => Response | Promise<Response>;
  readonly formOf: (c: Context<Env>) => Promise<Record<string, string>>;
  /** The front page with the subscribe form's values and problems. */
  readonly frontPage: (c: Context<Env>, subscribe: { values: FormValues; problems: readonly string[] }, status: 400 | 429) => Promise<Response>;
}

export function subscriptionRoutes(app: Hono<Env>, deps: SubscriptionDeps): void {
  const { db, models, context, page, formOf, frontPage } = deps;
  const limits = new SubscribeLimits();

  app.post('/subscribe', async (c) => {
    const form = await formOf(c);
    const values = { name: (form.name ?? '').trim(), email: (form.email ?? '').trim().toLowerCase() };
    const wait = await limits.take(clientAddress(c));
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      const minutes = Math.ceil(wait / 60);
      return frontPage(c, { values, problems: [`Too many subscriptions from here. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`] }, 429);
    }
    const problems: string[] = [];
    if (!values.name) problems.push('Please give your name.');
    if (values.name.length > 100) problems.push('The name is too long (100 characters at most).');
    if (!EMAIL.test(values.email) || values.email.length > 254) problems.push('Please give a valid email address.');
    if (problems.length === 0 && (await db.selectFrom('blog_subscribers').select('id').where('email', '=', values.email).executeTakeFirst())) {
      problems.push(`${values.email} is already subscribed.`);
    }
    if (problems.length > 0) return frontPage(c, { values, problems }, 400);
    await db.transaction().execute(async (trx) => {
      const subscriber = { ...values, token: newToken() };
      const { id } = await trx.insertInto('blog_subscribers').values({ ...subscriber, created_at: new Date().toISOString(), confirmed_at: null }).returning('id').executeTakeFirstOrThrow();
      // In the same transaction as the insert: the confirmation goes out exactly when it commits.
      await models.Subscriber.notify({ id, ...subscriber }, 'confirm', { trx });
    });
    return c.redirect('/?done=confirm-sent', 303);
  });

  // The confirmation link only asks: mail scanners open links, and must not confirm for anybody.
  app.get('/subscribe/confirm', async (c) => {
    const token = c.req.query('token') ?? '';
    const subscriber = token ? await blogData.subscriberByToken(db, token) : undefined;
    const pending = subscriber && !(await db.selectFrom('blog_subscribers').select('confirmed_at').where('id', '=', subscriber.id).executeTakeFirst())?.confirmed_at;
    return page(c, confirmSubscriptionPage(context(c), { token, email: pending ? subscriber.email : undefined }), pending ? 200 : 404);
  });

  app.post('/subscribe/confirm', async (c) => {
    const token = (await formOf(c)).token ?? '';
    const confirmed = await db.transaction().execute(async (trx) => {
      const subscriber = token ? await blogData.confirmSubscriber(trx, token) : undefined;
      // Now, and not before, the site contact hears of the new subscriber.
      if (subscriber) await models.Subscriber.notify(subscriber, 'created', { trx });
      return subscriber;
    });
    if (!confirmed) return page(c, confirmSubscriptionPage(context(c), { token, email: undefined }), 404);
    return c.redirect('/?done=subscribed', 303);
  });
}
