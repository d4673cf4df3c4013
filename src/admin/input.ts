/**
 * Reading the admin API's untrusted JSON bodies and parameters, field by field, with errors that
 * name the field. Lengths are checked here for what only the admin takes (one-time messages, object
 * ids, searches); what is saved is checked where it is saved, in manage/.
 */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { MessageStatus } from '../vocabulary/model.ts';
import { MAX_LENGTH, checkEntries, checkLength } from '../manage/field-lengths.ts';
import type { OneTimeForm, PreviewSource, SiteContactForm, TemplateForm } from './api.ts';

/** Reads untrusted JSON bodies field by field: a wrong type is a 400 that names the field. */
type Json = Record<string, unknown>;

function bad(message: string): VoxError {
  return new VoxError(ErrorCode.invalidInput, message);
}

export function object(value: unknown, name: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${name} must be an object`);
  return value as Json;
}

export function text(body: Json, field: string, fallback?: string): string {
  const value = body[field] ?? fallback;
  if (typeof value !== 'string') throw bad(`${field} must be text`);
  return value;
}

export function optionalText(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw bad(`${field} must be text`);
  return value;
}

/** A list of identifiers (object ids, channel and attachment keys), {@link MAX_LENGTH.entries} at most. */
export function texts(body: Json, field: string): string[] {
  const value = body[field] ?? [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw bad(`${field} must be a list of text`);
  checkEntries(field, value, MAX_LENGTH.key);
  return value as string[];
}

export function flag(body: Json, field: string, fallback: boolean): boolean {
  const value = body[field] ?? fallback;
  if (typeof value !== 'boolean') throw bad(`${field} must be true or false`);
  return value;
}

export function ids(body: Json, field: string): number[] {
  const value = body[field];
  if (!Array.isArray(value) || value.some((v) => !Number.isSafeInteger(v))) throw bad(`${field} must be a list of ids`);
  checkEntries(field, value, MAX_LENGTH.key);
  return value as number[];
}

/** A positive integer from a path or query parameter. */
export function idParam(value: string | undefined, name: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new VoxError(ErrorCode.notFound, `${name} ${JSON.stringify(value)} does not exist`);
  return id;
}

export function templateForm(value: unknown): TemplateForm {
  const body = object(value, 'template');
  return {
    ...(body.id === undefined || body.id === null ? {} : { id: idParam(String(body.id), 'template') }),
    notification: text(body, 'notification'),
    backend: text(body, 'backend'),
    recipients: texts(body, 'recipients'),
    subject: text(body, 'subject', ''),
    content: text(body, 'content', ''),
    fromAddress: text(body, 'fromAddress', ''),
    attachments: texts(body, 'attachments'),
    bulk: flag(body, 'bulk', false),
    enabled: flag(body, 'enabled', true),
  };
}

export function previewSource(value: unknown): PreviewSource {
  if (value === undefined) return { mode: 'sample' };
  const body = object(value, 'source');
  const mode = body.mode ?? 'sample';
  if (mode !== 'sample' && mode !== 'object') throw bad(`source.mode must be 'sample' or 'object'`);
  const pick = (field: string) => {
    const value = optionalText(body, field);
    checkLength(`source.${field}`, value, MAX_LENGTH.key);
    return value;
  };
  const [objectId, actor, target] = [pick('object'), pick('actor'), pick('target')];
  return { mode, ...(objectId ? { object: objectId } : {}), ...(actor ? { actor } : {}), ...(target ? { target } : {}) };
}

export function oneTimeForm(value: unknown): OneTimeForm {
  const body = object(value, 'message');
  const form = {
    model: text(body, 'model'),
    objects: texts(body, 'objects'),
    backend: text(body, 'backend'),
    fromAddress: text(body, 'fromAddress', ''),
    subject: text(body, 'subject', ''),
    content: text(body, 'content', ''),
  };
  checkLength('model', form.model, MAX_LENGTH.key);
  checkLength('backend', form.backend, MAX_LENGTH.key);
  checkLength('fromAddress', form.fromAddress, MAX_LENGTH.subject);
  checkLength('subject', form.subject, MAX_LENGTH.subject);
  checkLength('content', form.content, MAX_LENGTH.content);
  return form;
}

/** What staff typed to search a model's objects. */
export function query(value: string | undefined): string {
  checkLength('q', value, MAX_LENGTH.query);
  return value ?? '';
}

export function siteContactForm(value: unknown): SiteContactForm {
  const body = object(value, 'site contact');
  const enableFilter = body.enableFilter ?? 'blacklist';
  if (enableFilter !== 'blacklist' && enableFilter !== 'whitelist') throw bad(`enableFilter must be 'blacklist' or 'whitelist'`);
  const settings = object(body.settings ?? {}, 'settings');
  for (const [key, enabled] of Object.entries(settings)) if (typeof enabled !== 'boolean') throw bad(`settings.${key} must be true or false`);
  return { name: text(body, 'name'), protocol: text(body, 'protocol'), address: text(body, 'address'), enableFilter, settings: settings as Record<string, boolean> };
}

const STATUSES: readonly MessageStatus[] = ['queued', 'sending', 'sent', 'retrying', 'failed', 'skipped'];

export function messageStatus(value: string | undefined): MessageStatus | undefined {
  if (!value) return undefined;
  if (!(STATUSES as readonly string[]).includes(value)) throw bad(`status must be one of ${STATUSES.join(', ')}`);
  return value as MessageStatus;
}

/** `YYYY-MM-DD` (a UTC day) to the ISO timestamp of its start, `days` later. */
export function dayStart(value: string | undefined, field: string, days = 0): string | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw bad(`${field} must be a date like 2026-01-31`);
  return new Date(Date.parse(`${value}T00:00:00Z`) + days * 86_400_000).toISOString();
}
