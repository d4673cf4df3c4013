import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { resolve } from 'node:path';

/**
 * The contract Twilio requests are checked against: the OpenAPI subset of the Messages API, a copy
 * of the project's shared/contracts file kept in the repository so that a clone tests on its own.
 */
export const TWILIO_SPEC_PATH = resolve(import.meta.dirname, '../contracts/twilio-messages.openapi.json');

interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly enum?: readonly string[];
  readonly items?: Schema;
  readonly $ref?: string;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
}

interface Operation {
  readonly operationId?: string;
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean; readonly schema: Schema }[];
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: Schema }>> };
  readonly responses: Readonly<Record<string, { readonly content?: Readonly<Record<string, { readonly examples?: Readonly<Record<string, { readonly value: Record<string, unknown> }>> }>> }>>;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly 'x-twilio'?: { readonly conditional?: readonly (readonly string[])[] };
}

interface Spec {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, Schema>>; readonly securitySchemes: Readonly<Record<string, { readonly type: string; readonly scheme?: string }>> };
}

/** A request the server received, with its form fields. */
export interface TwilioRequest {
  readonly accountSid: string;
  readonly form: URLSearchParams;
}

/** A scripted error reply, as Twilio writes them. */
export interface TwilioErrorReply {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

/** A local Twilio Messages API that checks each request against the OpenAPI contract. */
export interface TwilioContractServer {
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Requests that met the contract and were answered 201. */
  readonly received: TwilioRequest[];
  /** Every way a request broke the contract; a test fails when this is not empty. */
  readonly violations: string[];
  /** Answers the next requests with these errors, in order, instead of 201. */
  failNext(...replies: TwilioErrorReply[]): void;
  close(): Promise<void>;
}

const pascal = (snake: string) => snake.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

/**
 * Starts a server on 127.0.0.1 for the Messages create operation of the contract: it checks the
 * method, the path and its AccountSid, HTTP Basic auth (the contract's security scheme),
 * the form content type, every form field's name, type, enum, pattern and format against the
 * request schema, the required fields and Twilio's conditional groups (From or
 * MessagingServiceSid; Body, MediaUrl or ContentSid). A request that passes is answered 201 with
 * the contract's `create` example (with a fresh sid, and the request's To, From and Body).
 */
export async function startTwilioContract(): Promise<TwilioContractServer> {
  const spec = JSON.parse(readFileSync(TWILIO_SPEC_PATH, 'utf8')) as Spec;
  const found = Object.entries(spec.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op }))).find((o) => o.op.operationId === 'CreateMessage');
  if (!found) throw new Error('the contract has no CreateMessage operation');
  const { path: template, method, op } = found;
  const deref = (schema: Schema): Schema => (schema.$ref ? deref(spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')] ?? {}) : schema);
  const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
  if (!contentType || !media) throw new Error('CreateMessage has no request body in the contract');
  const bodySchema = deref(media.schema);
  const example = op.responses['201']?.content?.['application/json']?.examples?.create?.value;
  if (!example) throw new Error('CreateMessage has no 201 example in the contract');
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  const pathPattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
  const basicSchemes = (op.security ?? []).flatMap((s) => Object.keys(s)).filter((name) => spec.components.securitySchemes[name]?.scheme === 'basic');

  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const received: TwilioRequest[] = [];
  const violations: string[] = [];
  const scripted: TwilioErrorReply[] = [];

  const check = (request: IncomingMessage, body: string): { problems: string[]; accountSid?: string; form?: URLSearchParams } => {
    const problems: string[] = [];
    if (request.method !== method.toUpperCase()) problems.push(`method ${request.method}, the contract says ${method.toUpperCase()}`);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const match = pathPattern.exec(url.pathname);
    if (!match?.groups) return { problems: [...problems, `path ${url.pathname} is not ${template}`] };
    for (const param of pathParams) problems.push(...valueProblems(`path parameter ${param.name}`, match.groups[param.name] ?? '', deref(param.schema)));
    if (basicSchemes.length > 0) {
      const [scheme, credentials = ''] = (request.headers.authorization ?? '').split(' ');
      const [user, password] = Buffer.from(credentials, 'base64').toString().split(':');
      if (scheme !== 'Basic') problems.push('no HTTP Basic Authorization header (security scheme accountSid_authToken)');
      else if (user !== match.groups.AccountSid || password !== authToken) problems.push('Basic auth is not AccountSid:AuthToken');
    }
    if ((request.headers['content-type'] ?? '').split(';')[0]?.trim() !== contentType) problems.push(`Content-Type ${request.headers['content-type']}, the contract says ${contentType}`);
    const form = new URLSearchParams(body);
    const properties = bodySchema.properties ?? {};
    for (const key of new Set(form.keys())) {
      const property = properties[key];
      if (!property) {
        problems.push(`form field ${key} is not in the contract`);
        continue;
      }
      const schema = deref(property);
      const values = form.getAll(key);
      if (schema.type !== 'array' && values.length > 1) problems.push(`form field ${key} is repeated but is not an array`);
      for (const value of values) problems.push(...valueProblems(`form field ${key}`, value, schema.type === 'array' ? deref(schema.items ?? {}) : schema));
    }
    for (const key of bodySchema.required ?? []) if (!form.has(key)) problems.push(`required form field ${key} is missing`);
    for (const group of op['x-twilio']?.conditional ?? []) {
      const names = group.map(pascal);
      if (!names.some((n) => form.has(n))) problems.push(`one of ${names.join(', ')} is required`);
    }
    return { problems, accountSid: match.groups.AccountSid, form };
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const { problems, accountSid: sid, form } = check(request, Buffer.concat(chunks).toString());
      const reply = (status: number, json: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(json));
      };
      if (problems.length > 0 || !sid || !form) {
        violations.push(...problems);
        return reply(400, { code: 21000, message: `contract violation: ${problems.join('; ')}`, status: 400 });
      }
      const failure = scripted.shift();
      if (failure) return reply(failure.status, { code: failure.code, message: failure.message, more_info: `https://www.twilio.com/docs/errors/${failure.code}`, status: failure.status });
      received.push({ accountSid: sid, form });
      const messageSid = `SM${randomBytes(16).toString('hex')}`;
      reply(201, {
        ...example,
        account_sid: sid,
        sid: messageSid,
        to: form.get('To'),
        from: form.get('From'),
        body: form.get('Body'),
        uri: `/2010-04-01/Accounts/${sid}/Messages/${messageSid}.json`,
      });
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    received,
    violations,
    failNext(...replies) {
      scripted.push(...replies);
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** How a value breaks its schema: type, enum, pattern, length and the formats the contract uses. */
function valueProblems(name: string, value: string, schema: Schema): string[] {
  const problems: string[] = [];
  if (schema.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${name} ${JSON.stringify(value)} is not an integer`);
  if (schema.type === 'number' && !Number.isFinite(Number(value))) problems.push(`${name} ${JSON.stringify(value)} is not a number`);
  if (schema.type === 'boolean' && value !== 'true' && value !== 'false') problems.push(`${name} ${JSON.stringify(value)} is not true or false`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${name} ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) problems.push(`${name} ${JSON.stringify(value)} does not match ${schema.pattern}`);
  if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${name} is shorter than ${schema.minLength}`);
  if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${name} is longer than ${schema.maxLength}`);
  if (schema.format === 'phone-number' && !/^([a-z]+:)?\+[1-9]\d{1,14}$/.test(value) && !/^[A-Za-z0-9 ]{1,11}$/.test(value)) problems.push(`${name} ${JSON.stringify(value)} is not an E.164 number or sender ID`);
  if (schema.format === 'uri' && !URL.canParse(value)) problems.push(`${name} ${JSON.stringify(value)} is not a URI`);
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) problems.push(`${name} ${JSON.stringify(value)} is not a date-time`);
  return problems;
}
