// Mistakes the type system must catch in code that uses Vox. Not run: `npm run check` type-checks
// this file, and each `@ts-expect-error` fails the check if the line below it ever compiles.
import type { Kysely, Transaction } from 'kysely';
import { createVox, type TransactionLike } from '../../src/index.ts';
import { toExpress, type ExpressContext } from '../../src/frameworks/express.ts';
import { toFastify, type FastifyContext } from '../../src/frameworks/fastify.ts';

interface User {
  id: number;
  email: string;
}
interface Order {
  id: number;
  customer: User;
}
interface AppDatabase {
  orders: { id: number };
}

declare const db: Kysely<AppDatabase>;
declare const trx: Transaction<AppDatabase>;
const vox = createVox({ database: db });

const Users = vox.model('auth.user', { id: (u: User) => u.id, channels: { self: true } });
const Orders = vox.model('shop.order', {
  id: (o: Order) => o.id,
  notifications: { placed: 'An order was placed' },
  channels: {
    self: { label: 'The order' },
    // Recipients typed by the handle: the resolver returns users.
    customer: { recipients: Users, resolve: (o) => [o.customer] },
    // Async iterables and null (skipped) are fine.
    buyers: {
      recipients: Users,
      async *resolve(o) {
        yield o.customer;
        yield null;
      },
    },
    // Without `recipients`, the recipients are orders.
    related: { resolve: (o) => [o] },
    // By name, a model registered later: the type system cannot check these.
    later: { recipients: 'auth.staff', resolve: () => [1, 2] },
  },
});

// --- trx: a transaction, never the Kysely instance ---------------------------------------------
await Orders.notify({ id: 1, customer: { id: 1, email: 'a@example.org' } }, 'placed', { trx });
// @ts-expect-error -- the Kysely instance is not a transaction: the issue would not join one.
await Orders.notify({ id: 1, customer: { id: 1, email: 'a@example.org' } }, 'placed', { trx: db });
// @ts-expect-error -- something that only claims to be a transaction is not one.
await Orders.notify({ id: 1, customer: { id: 1, email: 'a@example.org' } }, 'placed', { trx: { isTransaction: true } });
await Orders.notify({ id: 1, customer: { id: 1, email: 'a@example.org' } }, 'placed', { trx, delay: 60_000, key: 'placed:1' });
// @ts-expect-error -- `at` is a Date; a string would be read in whatever zone the server is in.
await Orders.notify({ id: 1, customer: { id: 1, email: 'a@example.org' } }, 'placed', { at: '2027-01-01T09:00' });

/** A Transaction of another copy of Kysely: another class declaration, with its own #private. */
declare class OtherKyselyTransaction {
  // eslint-disable-next-line no-unused-private-class-members -- as in Kysely's declarations: it makes the class nominal.
  #private;
  get isTransaction(): true;
  getExecutor(): { readonly adapter: object };
}
declare const other: OtherKyselyTransaction;
const accepted: TransactionLike = other;
void accepted;

// --- channels: resolvers return the recipients' model ------------------------------------------
vox.model('shop.invoice', {
  id: (o: Order) => o.id,
  channels: {
    // @ts-expect-error -- `recipients: Users` promises users; this resolver returns orders.
    customer: { recipients: Users, resolve: (o) => [o] },
  },
});
vox.model('shop.refund', {
  id: (o: Order) => o.id,
  channels: {
    // @ts-expect-error -- without `recipients` the recipients are refunds (orders), not users.
    customer: { resolve: (o) => [o.customer] },
  },
});
vox.model('shop.cart', {
  id: (o: Order) => o.id,
  channels: {
    // @ts-expect-error -- only `self` may be `true`; other channels need a resolver.
    owner: true,
  },
});

// The in-app inbox: the recipient is an object of the model, and so is what authenticate returns.
declare const user: User;
declare const order: Order;
void vox.inbox(Users, user).counts();
// @ts-expect-error -- the inbox of a user is found with a user, not an order.
void vox.inbox(Users, order);
vox.inboxHandler({ model: Users, authenticate: () => user });
// @ts-expect-error -- authenticate must return a user (or null), the model's objects.
vox.inboxHandler({ model: Users, authenticate: () => order });
// @ts-expect-error -- not a mark.
void vox.inbox(Users, user).mark('all', 'liked');
// Framework adapters: the admin's authorize sees the framework's request, typed by vox.admin<Context>().
const expressAdmin = vox.admin<ExpressContext>({ authorize: (_request, context) => (context?.req.session ? { id: 1, name: 'Sam' } : null) });
toExpress(expressAdmin);
// An admin that takes no context (authorize(request) alone) fits every adapter.
toFastify(vox.admin({ authorize: () => null }));
// @ts-expect-error -- an admin whose authorize expects Fastify's request cannot be mounted in Express.
toExpress(vox.admin<FastifyContext>({ authorize: (_request, context) => (context?.request.id ? null : null) }));
// @ts-expect-error -- Express's request has no `request` field: the context is { req, res }.
vox.admin<ExpressContext>({ authorize: (_request, context) => (context?.request ? null : null) });
