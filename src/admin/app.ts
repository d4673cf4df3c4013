/** The admin as a Hono app: authorization and CSRF, the JSON API, the built browser app and its HTML shell. */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ErrorCode, FieldTooLongError, TemplateValidationError, VoxError, errorText, isRenderFailure } from '../vocabulary/errors.ts';
import type { NotificationRecord, TemplateRecord } from '../vocabulary/records.ts';
import type { ApiError, NotificationDetail, NotificationSummary, OneTimeOptions, OneTimeResult, PreviewResult, SendOutcome, SessionInfo, TemplateForm } from './api.ts';
import { loadAssets, type AdminAssets } from './assets.ts';
import { Composer, shown } from './compose.ts';
import type { AdminDeps } from './context.ts';
import * as input from './input.ts';
import { apiError, escape, isApi, outcome, page, type Env, type HostEnv } from './http.ts';
import { logRoutes } from './log-routes.ts';
import { suppressionRoutes } from './suppression-routes.ts';
import { OncePerKey } from './once.ts';
import { CSRF_HEADER, SECURITY_HEADERS, type CsrfRefusal, type CsrfSubject, type CsrfTokens } from './security.ts';
import { crossOriginRefusal } from '../http/same-origin.ts';
import type { AdminOptions, StaffUser } from './types.ts';
import { describeDigest } from '../vocabulary/digest.ts';

/** How long "Send test" waits for the message to go out before it answers "queued". */
const TEST_SEND_WAIT_MS = 15_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CSRF_REFUSALS: Record<CsrfRefusal, string> = {
  missing: `the ${CSRF_HEADER} header is missing: reload the admin and try again`,
  wrong: `the ${CSRF_HEADER} header is not a token of this session: reload the admin and try again`,
  expired: `the ${CSRF_HEADER} token has expired: reload the admin and try again`,
};
/** A CSRF token is bound to the user and, when the host's `authorize` names it, to their session. */
const csrfSubject = (user: StaffUser): CsrfSubject => ({ userId: String(user.id), session: user.session === undefined || user.session === null || user.session === '' ? undefined : String(user.session) });
/** The HTTP status of a refused request, by error code; 400 for the others. */
const STATUS_OF: Partial<Record<ErrorCode, 403 | 404 | 413 | 422>> = {
  [ErrorCode.notFound]: 404,
  [ErrorCode.unknownNotification]: 404,
  [ErrorCode.unknownModel]: 404,
  [ErrorCode.invalidTemplate]: 422,
  [ErrorCode.bodyTooLarge]: 413,
  [ErrorCode.csrf]: 403,
};

/** The admin's Hono app: the JSON API under /api, the built browser app under /assets, and its HTML shell everywhere else. */
export function adminApp<HostContext>(deps: AdminDeps, options: AdminOptions<HostContext> & { readonly basePath: string; readonly csrf: CsrfTokens; readonly origins: ReadonlySet<string> }): Hono<Env> {
  const { registry, store, templates, delivery } = deps;
  const composer = new Composer(deps);
  const { csrf } = options;
  const base = options.basePath;
  const title = options.title ?? 'Vox admin';
  const report = options.onError ?? ((error: unknown) => console.error('vox admin:', error));
  let assets: Promise<AdminAssets | undefined> | undefined;
  const assetsOnce = async () => {
    const loaded = await (assets ??= loadAssets());
    if (!loaded) assets = undefined; // built later, found on the next request
    return loaded;
  };

  const app = new Hono<Env>().basePath(base || '/');

  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  });

  // Hashed, immutable, and the same for everybody: the scripts and styles hold no data.
  app.get('/assets/:name{.+}', async (c) => {
    const file = await (await assetsOnce())?.file(c.req.param('name'));
    if (!file) return c.text('not found', 404);
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': file.type, 'Cache-Control': 'public, max-age=31536000, immutable' });
  });

  app.use(async (c, next) => {
    // Bindings are unknown to Hono; createAdmin passes the context of the type it was made with.
    const user = await options.authorize(c.req.raw, (c.env as HostEnv<HostContext> | undefined)?.host);
    if (!user) {
      if (isApi(c)) return c.json(apiError(ErrorCode.invalidInput, 'sign in as staff to use the admin', 'VOX_UNAUTHORIZED'), 401);
      if (options.loginUrl && c.req.method === 'GET') return c.redirect(`${options.loginUrl}${options.loginUrl.includes('?') ? '&' : '?'}next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
      return c.html(page(title, 'Sign in required', '<p>Sign in as staff to use the admin.</p>'), 401);
    }
    c.set('user', user);
    c.set('userId', String(user.id));
    if (!SAFE_METHODS.has(c.req.method)) {
      const crossSite = crossOriginRefusal(c.req.raw, options.origins);
      if (crossSite) return c.json(apiError(ErrorCode.csrf, `${crossSite}: refused`), 403);
      const refusal = csrf.refusal(csrfSubject(user), c.req.header(CSRF_HEADER));
      if (refusal) return c.json(apiError(ErrorCode.csrf, CSRF_REFUSALS[refusal]), 403);
    }
    await next();
  });

  const json = async (c: Context<Env>): Promise<unknown> => {
    // The body is bounded where the admin is entered (createAdmin): past the limit, reading it throws.
    const text = await c.req.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new VoxError(ErrorCode.invalidInput, 'the request body must be JSON');
    }
  };
  const body = async (c: Context<Env>) => input.object(await json(c), 'the request body');
  // Sends answer a repeat of their request (same user, path and Idempotency-Key) with the first answer.
  const once = new OncePerKey();
  const onceKey = (c: Context<Env>) => {
    const key = c.req.header('idempotency-key');
    return key ? `${c.get('userId')}\u0000${c.req.path}\u0000${key}` : undefined;
  };

  app.get('/api/session', (c) => {
    const user = c.get('user');
    const contacts = [...(user.contacts ?? []), ...(user.email && !user.contacts?.some((x) => x.protocol === 'email') ? [{ name: user.name, protocol: 'email', address: user.email }] : [])];
    const info: SessionInfo = {
      user: { id: String(user.id), name: user.name, contacts },
      csrfToken: csrf.issue(csrfSubject(user)),
      backends: [...deps.backends.values()].map((b) => composer.backendInfo(b)),
      models: registry.models().map((m) => composer.modelInfo(m)),
      site: { ...(typeof deps.site.name === 'string' ? { name: deps.site.name } : {}), ...(typeof deps.site.baseUrl === 'string' ? { baseUrl: deps.site.baseUrl } : {}) },
    };
    return c.json(info);
  });

  const summaries = async (): Promise<NotificationSummary[]> => {
    const [notifications, all] = await Promise.all([store.notifications.list(), store.templates.list()]);
    return notifications.map((n) => summary(n, all.filter((t) => t.notificationId === n.id)));
  };
  const summary = (n: NotificationRecord, own: readonly TemplateRecord[]): NotificationSummary => ({
    key: n.key,
    model: n.model,
    modelLabel: registry.has(n.model) ? registry.get(n.model).label : n.model,
    codename: n.codename,
    description: n.description,
    actorModel: n.actorModel,
    targetModel: n.targetModel,
    fromCode: n.fromCode,
    required: n.required,
    category: n.category,
    defaults: n.defaults,
    orphan: n.fromCode && !registry.findNotification(n.model, n.codename),
    templateCount: own.length,
    digest: describeDigest(registry.digestOf(n)),
    lastChange: [n.updatedAt, ...own.map((t) => t.updatedAt)].sort().at(-1) ?? n.updatedAt,
  });
  const detail = async (key: string): Promise<NotificationDetail> => {
    const notification = await store.notifications.require(key);
    const own = await store.templates.list({ notificationId: notification.id });
    const known = registry.has(notification.model);
    return {
      notification: summary(notification, own),
      templates: own,
      channels: known ? registry.channelChoices(notification) : [],
      attachments: known ? registry.attachmentChoices(notification) : [],
      variables: known ? composer.variables(notification) : [],
    };
  };

  app.get('/api/notifications', async (c) => c.json(await summaries()));
  app.post('/api/notifications', async (c) => {
    const b = await body(c);
    const created = await deps.notifications.create({
      model: input.text(b, 'model'),
      codename: input.text(b, 'codename'),
      description: input.text(b, 'description'),
      actorModel: input.optionalText(b, 'actorModel') ?? null,
      targetModel: input.optionalText(b, 'targetModel') ?? null,
    });
    return c.json(await detail(created.key), 201);
  });
  app.get('/api/notifications/:key', async (c) => c.json(await detail(c.req.param('key'))));
  app.put('/api/notifications/:key', async (c) => {
    const b = await body(c);
    const updated = await deps.notifications.update(c.req.param('key'), {
      description: input.text(b, 'description'),
      actorModel: input.optionalText(b, 'actorModel') ?? null,
      targetModel: input.optionalText(b, 'targetModel') ?? null,
    });
    return c.json(await detail(updated.key));
  });
  app.delete('/api/notifications/:key', async (c) => {
    await deps.notifications.delete(c.req.param('key'));
    return c.body(null, 204);
  });

  // The seed's "Send Notification": issue a notification without actor or target about chosen objects.
  app.post('/api/notifications/:key/issue', async (c) => {
    const notification = await store.notifications.require(c.req.param('key'));
    if (notification.actorModel || notification.targetModel) {
      throw new VoxError(ErrorCode.invalidInput, `${notification.key} has ${notification.actorModel ? 'an actor' : 'a target'}, so only the code that knows it can issue it`);
    }
    const ids = input.texts(await body(c), 'objects');
    if (ids.length === 0) throw new VoxError(ErrorCode.invalidInput, 'choose at least one object');
    const { answer, repeated } = await once.run(onceKey(c), async () => {
      const objects = await composer.load(notification.model, ids);
      deps.startWorker();
      const issues = [];
      for (const [index, object] of objects.entries()) issues.push({ issueId: (await delivery.record(notification, { object })).issueId, object: ids[index] });
      return { issues };
    });
    return c.json({ ...answer, repeated });
  });

  app.get('/api/models/:model/objects', async (c) => c.json(await composer.search(c.req.param('model'), input.query(c.req.query('q')))));

  const templateInput = (form: TemplateForm) => ({ ...form, recipients: [...form.recipients], attachments: [...form.attachments] });
  app.post('/api/templates', async (c) => c.json(await templates.save(templateInput({ ...input.templateForm(await json(c)), id: undefined })), 201));
  app.put('/api/templates/:id', async (c) => {
    const id = input.idParam(c.req.param('id'), 'template');
    return c.json(await templates.save(templateInput({ ...input.templateForm(await json(c)), id })));
  });
  app.delete('/api/templates/:id', async (c) => {
    await templates.delete(input.idParam(c.req.param('id'), 'template'));
    return c.body(null, 204);
  });

  app.post('/api/templates/preview', async (c) => {
    const b = await body(c);
    const form = input.templateForm(b.template);
    const notification = await store.notifications.require(form.notification);
    const check = await templates.validate(templateInput(form));
    const result: PreviewResult = { ...check, message: null, renderError: null, notes: [] };
    if (check.errors.some((e) => e.field === 'backend')) return c.json(result);
    try {
      const rendering = await composer.renderTemplate(notification, form, input.previewSource(b.source));
      return c.json({ ...result, message: shown(rendering), notes: rendering.notes } satisfies PreviewResult);
    } catch (error) {
      if (error instanceof TemplateValidationError) return c.json(result);
      if (error instanceof VoxError && !isRenderFailure(error)) throw error;
      return c.json({ ...result, renderError: errorText(error) } satisfies PreviewResult);
    }
  });

  const waitForOutcome = async (id: number): Promise<SendOutcome> => {
    const deadline = Date.now() + TEST_SEND_WAIT_MS;
    for (;;) {
      const message = await store.messages.get(id);
      if (!message) throw new VoxError(ErrorCode.notFound, `message ${id} vanished`);
      if (message.status === 'sent' || message.status === 'failed' || message.status === 'retrying' || Date.now() > deadline) return outcome(message);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  app.post('/api/templates/test', async (c) => {
    const b = await body(c);
    const form = input.templateForm(b.template);
    const notification = await store.notifications.require(form.notification);
    const check = await templates.validate(templateInput(form));
    if (check.errors.length > 0) throw new TemplateValidationError(check.errors);
    const backend = deps.backends.get(form.backend);
    if (!backend) throw new VoxError(ErrorCode.unknownBackend, `backend ${form.backend} is not configured`);
    const to = composer.staffContact(c.get('user'), backend.protocol);
    const rendering = await composer.renderTemplate(notification, form, input.previewSource(b.source), to);
    deps.startWorker();
    const [id] = await delivery.queueMessages([
      {
        issueId: null,
        notificationId: notification.id,
        notification: notification.key,
        templateId: form.id ?? null,
        backend: backend.id,
        protocol: backend.protocol,
        from: rendering.from ?? null,
        to: [to],
        payload: rendering.payload,
        status: 'queued',
        idempotencyKey: `test:${randomUUID()}`,
      },
    ]);
    return c.json(await waitForOutcome(id as number));
  });

  // The seed's `notify` admin action: a one-time message to chosen objects of any model.
  app.get('/api/one-time/:model', async (c) => {
    const model = c.req.param('model');
    const options: OneTimeOptions = { backends: composer.oneTimeBackends(model).map((b) => composer.backendInfo(b)), variables: composer.oneTimeVariables(model) };
    return c.json(options);
  });
  const oneTime = async (c: Context<Env>) => {
    const form = input.oneTimeForm(await json(c));
    const usable = composer.oneTimeBackends(form.model);
    if (!usable.some((b) => b.id === form.backend)) {
      throw new VoxError(ErrorCode.invalidInput, `backend ${JSON.stringify(form.backend)} cannot send one-time messages to these objects; use ${usable.map((b) => b.id).join(', ')}`);
    }
    return { form, check: composer.checkOneTime(form) };
  };
  app.post('/api/one-time/preview', async (c) => {
    const { form, check } = await oneTime(c);
    const result: PreviewResult = { ...check, message: null, renderError: null, notes: [] };
    if (check.errors.length > 0 || form.objects.length === 0) return c.json({ ...result, notes: form.objects.length === 0 ? ['Choose the objects to see the message.'] : [] });
    try {
      const [first] = await composer.load(form.model, form.objects.slice(0, 1));
      const { messages, skipped } = await composer.renderOneTime(form, [first]);
      const message = messages[0];
      return c.json({ ...result, message: message ? shown(message) : null, notes: skipped.map((s) => `${s} has no contact for this backend.`) } satisfies PreviewResult);
    } catch (error) {
      if (error instanceof VoxError && !isRenderFailure(error)) throw error;
      return c.json({ ...result, renderError: errorText(error) } satisfies PreviewResult);
    }
  });
  app.post('/api/one-time/send', async (c) => {
    const { form, check } = await oneTime(c);
    if (check.errors.length > 0) throw new TemplateValidationError(check.errors);
    if (form.objects.length === 0) throw new VoxError(ErrorCode.invalidInput, 'choose at least one object');
    const { messages, skipped } = await composer.renderOneTime(form, await composer.load(form.model, form.objects));
    if (messages.length === 0) throw new VoxError(ErrorCode.invalidInput, `none of the chosen objects has a contact for ${form.backend}`);
    const { answer, repeated } = await once.run(onceKey(c), async () => {
      deps.startWorker();
      const batch = randomUUID();
      const messageIds = await delivery.queueMessages(
        messages.map((m, index) => ({
          issueId: null,
          notificationId: null,
          notification: null,
          templateId: null,
          backend: m.backend.id,
          protocol: m.backend.protocol,
          from: m.from ?? null,
          to: m.to,
          payload: m.payload,
          status: 'queued' as const,
          idempotencyKey: `one-time:${batch}:${index}`,
        })),
      );
      return { queued: messageIds.length, messageIds, skipped };
    });
    const result: OneTimeResult = { ...answer, repeated };
    return c.json(result);
  });

  logRoutes(app, deps, json, body);
  suppressionRoutes(app, deps, body);

  app.all('/api/*', (c) => c.json(apiError(ErrorCode.notFound, `no API at ${c.req.method} ${c.req.path}`), 404));

  // Every other page is the browser app, which routes by path; the shell carries the CSRF token.
  app.get('*', async (c) => {
    const built = await assetsOnce();
    if (!built) {
      return c.html(page(title, 'The admin is not built', '<p>The admin\'s browser app has not been built. Run <code>npm run build:admin</code> (or <code>npm run build</code>) in the Vox package, then reload.</p>'), 503);
    }
    const config = JSON.stringify({ basePath: base, csrf: csrf.issue(csrfSubject(c.get('user'))), title });
    return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="icon" href="data:,">
<meta name="vox-admin" content="${escape(config)}">
${built.styles.map((href) => `<link rel="stylesheet" href="${escape(`${base}/${href}`)}">`).join('\n')}
<script type="module" src="${escape(`${base}/${built.script}`)}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The Vox admin needs JavaScript.</noscript>
</body>
</html>`);
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof VoxError) {
      const problems = error instanceof TemplateValidationError ? error.problems : undefined;
      const field = error instanceof FieldTooLongError ? error.field : undefined;
      return c.json({ error: { code: error.code, message: error.message, ...(problems ? { problems } : {}), ...(field ? { field } : {}) } } satisfies ApiError, STATUS_OF[error.code] ?? 400);
    }
    report(error, c.req.raw);
    return c.json(apiError(ErrorCode.delivery, 'the admin hit an unexpected error; the server log has the details', 'VOX_INTERNAL'), 500);
  });
  return app;
}

