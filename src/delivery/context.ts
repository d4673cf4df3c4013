/** What templates see: objects as views, the notification variable, contacts of recipients, attachments. */
import type { AttachmentPayload } from '../vocabulary/payload.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Contact } from '../vocabulary/contact.ts';
import type { ContactsResult, NotificationRef } from '../vocabulary/model.ts';
import { ROLES, modelForRole, type ModelDef, type Registry, type Role } from '../registry/registry.ts';
import type { NotificationInfo, NotificationRecord } from '../vocabulary/records.ts';

/** JSON data a template sees of an object. */
export type View = Record<string, unknown>;

/** The objects of one issue, live and as templates see them. */
export interface IssueObjects {
  readonly object: unknown;
  readonly actor?: unknown;
  readonly target?: unknown;
}

/** What templates see of an object: the schema's output when the model has one, else its JSON data. */
export async function viewOf(model: ModelDef, object: unknown, maxBytes = Number.POSITIVE_INFINITY): Promise<View> {
  let value = object;
  const schema = model.options.schema;
  if (schema) {
    const result = await schema['~standard'].validate(object);
    if (result.issues) {
      const detail = result.issues.map((i) => `${(i.path ?? []).map((p) => (typeof p === 'object' ? p.key : p)).join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new VoxError(ErrorCode.schema, `${model.name} ${safeId(model, object)} does not match its schema: ${detail}`);
    }
    value = result.value;
  }
  // The id first: an object whose id function throws says so, rather than that it cannot be copied.
  const what = `${model.name} ${JSON.stringify(model.idOf(object))}`;
  return toJsonData(value, what, maxBytes) as View;
}

function safeId(model: ModelDef, object: unknown): string {
  try {
    return JSON.stringify(model.idOf(object));
  } catch {
    return '(no id)';
  }
}

/**
 * A JSON copy: functions, symbols and prototypes are gone; dates become ISO strings. What cannot
 * be copied (a cycle, a getter that throws) or is larger than `maxBytes` as JSON is refused with
 * a coded error naming `what`.
 */
export function toJsonData(value: unknown, what = 'a value', maxBytes = Number.POSITIVE_INFINITY): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (error) {
    throw new VoxError(ErrorCode.invalidInput, `${what} cannot be copied as data: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (text === undefined) return null;
  // A UTF-8 byte is at most one UTF-16 unit, and a unit is at most 3 bytes.
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    throw new VoxError(ErrorCode.invalidInput, `${what} is ${Buffer.byteLength(text)} bytes as data, more than the ${maxBytes} allowed (limits.snapshotBytes)`);
  }
  return JSON.parse(text);
}

/** The `notification` variable, and what contacts functions are told. */
export function notificationRef(notification: NotificationInfo): NotificationRef {
  return { id: notification.key, model: notification.model, codename: notification.codename, description: notification.description };
}

/** Normalises a contacts function's result to the contacts of `protocol`. */
export async function contactsOf(result: ContactsResult, protocol: string, fallbackName: string): Promise<Contact[]> {
  const value = await result;
  if (value === null || value === undefined) return [];
  const items: (Contact | string)[] = [];
  if (typeof value === 'string' || isContact(value)) items.push(value);
  else if (Symbol.asyncIterator in value) for await (const item of value) items.push(item);
  else for (const item of value) items.push(item);
  const contacts: Contact[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      if (item.trim() !== '') contacts.push({ name: fallbackName, protocol, address: item.trim() });
    } else if (!isContact(item)) {
      throw new VoxError(ErrorCode.contacts, `a contacts function returned ${JSON.stringify(item)}; return contact(name, protocol, address) or an address string`);
    } else if (item.protocol === protocol && item.address.trim() !== '') {
      contacts.push({ name: item.name, protocol, address: item.address.trim() });
    }
  }
  return contacts;
}

function isContact(value: unknown): value is Contact {
  return typeof value === 'object' && value !== null && 'address' in value && 'protocol' in value && typeof (value as Contact).address === 'string';
}

const EXTENSIONS: Record<string, string> = {
  'text/vcard': 'vcf',
  'text/x-vcard': 'vcf',
  'text/calendar': 'ics',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/html': 'html',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'application/zip': 'zip',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/svg+xml': 'svg',
};

/** Computes a template's attachments (keys like `object.author.vcard`) from the issue's objects. */
export async function resolveAttachments(
  registry: Registry,
  notification: NotificationRecord,
  objects: IssueObjects,
  keys: readonly string[],
  maxBytes: number,
): Promise<AttachmentPayload[]> {
  const payloads: AttachmentPayload[] = [];
  let total = 0;
  for (const key of keys) {
    const [role, ...path] = key.split('.');
    const attachmentKey = path.pop();
    if (!ROLES.some((r) => r.role === role) || attachmentKey === undefined) {
      throw new VoxError(ErrorCode.attachment, `attachment key ${JSON.stringify(key)} must look like object.<attachment> or object.<relation>.<attachment>`);
    }
    let modelName = modelForRole(notification, role as Role);
    let current: unknown = objects[role as Role];
    if (!modelName || current === undefined) throw new VoxError(ErrorCode.attachment, `attachment ${key}: this notification has no ${role}`);
    for (const relationKey of path) {
      const relation = registry.get(modelName).relations.get(relationKey);
      if (!relation) throw new VoxError(ErrorCode.attachment, `attachment ${key}: ${modelName} has no relation ${relationKey}`);
      current = await relation.get(current);
      modelName = relation.model;
      if (current === null || current === undefined) throw new VoxError(ErrorCode.attachment, `attachment ${key}: ${relationKey} is empty`);
    }
    const spec = registry.get(modelName).attachments.get(attachmentKey);
    if (!spec) throw new VoxError(ErrorCode.attachment, `attachment ${key}: ${modelName} has no attachment ${attachmentKey}`);
    const data = await spec.data(current);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    total += bytes.length;
    if (total > maxBytes) {
      throw new VoxError(ErrorCode.attachmentTooLarge, `attachments reach ${total} bytes with ${key}, over the limit of ${maxBytes} bytes (option limits.attachmentBytes)`);
    }
    const contentType = typeof spec.mime === 'function' ? spec.mime(current) : spec.mime;
    const filename = spec.filename === undefined ? `${attachmentKey}.${EXTENSIONS[contentType.split(';')[0]?.trim() ?? ''] ?? 'bin'}` : typeof spec.filename === 'function' ? spec.filename(current) : spec.filename;
    payloads.push({ filename, contentType, contentBase64: bytes.toString('base64') });
  }
  return payloads;
}
