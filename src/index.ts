export { createVox } from './vox.ts';
export type { Issues, Messages, Notifications, SiteOptions, Vox, VoxOptions } from './vox.ts';
export { contact } from './registry/contact.ts';
export type { Contact } from './registry/contact.ts';
export type {
  ActivityObject,
  ActivityType,
  ActorSpec,
  AttachmentSpec,
  Awaitable,
  ChannelSpec,
  ChannelsSpec,
  ContactsFunction,
  ContactsResult,
  IssueResult,
  IssueTicket,
  ManyOf,
  MessageOutcome,
  MessageStatus,
  ModelHandle,
  ModelOptions,
  ModelRef,
  ModelReference,
  NotificationRef,
  NotificationSpec,
  NotificationsSpec,
  NotifyArgs,
  NotifyOptions,
  RelationSpec,
  SelfChannelSpec,
  TransactionLike,
} from './registry/model.ts';
export type { RetryPolicy } from './delivery/retry.ts';
export type { BackendLimits } from './delivery/limits.ts';
export type { WorkerOptions } from './delivery/worker.ts';
export type { Queue, QueueJob } from './queue/queue.ts';
export { InProcessQueue } from './queue/in-process.ts';
export { nodeSqliteDialect } from './store/sqlite.ts';
export type { InProcessQueueOptions } from './queue/in-process.ts';
export type { AttachmentChoice, ChannelChoice } from './registry/registry.ts';
export type {
  AttachmentPayload,
  Backend,
  BackendCapabilities,
  BackendHost,
  ComposeContext,
  ContentFormat,
  EditorType,
  HostModel,
  MessagePayload,
  OutboundMessage,
  ProviderFailure,
  RenderedTemplate,
  SendResult,
} from './backends/backend.ts';
export { editorOf } from './backends/backend.ts';
export type { DestinationOptions } from './backends/destination.ts';
export { DeliveryError, ErrorCode, NothingSentError, TemplateValidationError, VoxError } from './errors.ts';
export type { DeliveryErrorDetails, TemplateProblem } from './errors.ts';
export type { DatabaseOptions, PgPoolLike, SqlDialectName } from './store/connect.ts';
export type { EnableFilter, IssueParty, IssueRecord, IssueStatus, MessageFilter, MessageRecord, NotificationRecord, SiteContactRecord, TemplateRecord } from './store/store.ts';
export type { TemplateCheck, TemplateInput } from './manage/templates.ts';
export { Templates } from './manage/templates.ts';
export type { SiteContactInput } from './manage/site-contacts.ts';
export { SiteContacts } from './manage/site-contacts.ts';
export type { SyncChange, SyncReport } from './manage/sync.ts';
export type { NotificationInput } from './manage/notifications.ts';
export type { Admin, AdminOptions, StaffUser } from './admin/types.ts';
export { toNodeHandler } from './admin/node.ts';
export type { NodeHandler, NodeHandlerOptions } from './admin/node.ts';
export type { RenderLimits } from './render/renderer.ts';
