import { randomBytes, randomUUID } from 'node:crypto';
import { startHttpPeer, type HttpPeer, type PeerReply, type PeerRequest } from './http-peer.ts';

/** Fields Postmark's template email endpoints take (postmarkapp.com/developer/api/templates-api). */
const TEMPLATE_EMAIL_FIELDS = new Set(['TemplateId', 'TemplateAlias', 'TemplateModel', 'InlineCss', 'From', 'To', 'Cc', 'Bcc', 'Tag', 'ReplyTo', 'Headers', 'TrackOpens', 'TrackLinks', 'Attachments', 'Metadata', 'MessageStream']);

/** A template email the fake Postmark accepted. */
export interface PostmarkEmail {
  readonly From: string;
  readonly To: string;
  readonly TemplateAlias: string;
  readonly TemplateModel: Record<string, unknown>;
  readonly Headers?: { Name: string; Value: string }[];
  readonly Attachments?: { Name: string; Content: string; ContentType: string }[];
  readonly MessageID: string;
}

/** A local stand-in for Postmark's API that checks requests as Postmark does and answers in its format. */
export interface PostmarkPeer {
  readonly http: HttpPeer;
  readonly baseUrl: string;
  readonly token: string;
  readonly emails: PostmarkEmail[];
  /** Requests that do not follow Postmark's API; a test fails when this is not empty. */
  readonly violations: string[];
  /** Template aliases that exist. */
  readonly templates: Set<string>;
  /** Addresses Postmark has marked inactive (bounced or unsubscribed): error 406. */
  readonly inactive: Set<string>;
  close(): Promise<void>;
}

export async function startPostmark(): Promise<PostmarkPeer> {
  const token = randomBytes(12).toString('hex');
  const emails: PostmarkEmail[] = [];
  const violations: string[] = [];
  const templates = new Set(['welcome', 'article-published']);
  const inactive = new Set<string>();
  const json = (status: number, body: unknown): PeerReply => ({ status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

  const one = (message: Record<string, unknown>): { ErrorCode: number; Message: string; MessageID?: string; To?: string; SubmittedAt?: string } => {
    for (const key of Object.keys(message)) if (!TEMPLATE_EMAIL_FIELDS.has(key)) violations.push(`unknown field ${key}`);
    for (const key of ['From', 'To', 'TemplateModel']) if (!(key in message)) violations.push(`missing field ${key}`);
    if (typeof message.TemplateModel !== 'object' || message.TemplateModel === null) violations.push('TemplateModel is not an object');
    if (!templates.has(String(message.TemplateAlias))) return { ErrorCode: 1101, Message: "The Template's 'Alias' associated with this request is not valid or was not found." };
    const to = String(message.To);
    const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
    if (inactive.has(address)) return { ErrorCode: 406, Message: 'You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ' + address + '.' };
    const MessageID = randomUUID();
    emails.push({ ...(message as unknown as PostmarkEmail), MessageID });
    return { To: to, SubmittedAt: new Date().toISOString(), MessageID, ErrorCode: 0, Message: 'OK' };
  };

  const answer = (request: PeerRequest): PeerReply => {
    if (request.method !== 'POST') violations.push(`method ${request.method}`);
    if (request.headers.accept !== 'application/json') violations.push('Accept is not application/json');
    if (request.headers['content-type'] !== 'application/json') violations.push('Content-Type is not application/json');
    if (request.headers['x-postmark-server-token'] !== token) {
      return json(401, { ErrorCode: 10, Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.' });
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return json(422, { ErrorCode: 402, Message: 'Received invalid JSON input.' });
    }
    if (request.path === '/email/withTemplate') {
      const result = one(body as Record<string, unknown>);
      return json(result.ErrorCode === 0 ? 200 : 422, result);
    }
    if (request.path === '/email/batchWithTemplates') {
      const messages = (body as { Messages?: unknown }).Messages;
      if (!Array.isArray(messages)) {
        violations.push('batch without Messages');
        return json(422, { ErrorCode: 300, Message: 'Invalid request.' });
      }
      return json(200, messages.map((m: Record<string, unknown>) => one(m)));
    }
    violations.push(`unknown path ${request.path}`);
    return json(404, { ErrorCode: 0, Message: 'Not found' });
  };

  const http = await startHttpPeer(answer);
  return { http, baseUrl: http.url(''), token, emails, violations, templates, inactive, close: () => http.close() };
}
