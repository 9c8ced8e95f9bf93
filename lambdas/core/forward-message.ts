/**
 * What a forwarded event looks like on the wire: which targets want it, the body (envelope or the sender's own),
 * the sender's headers, and the Standard Webhooks signature. Pure: no I/O.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { parseBodyText, parseContentType, parseFormText } from './hook-parser';
import type { ForwardTarget, StoredEvent, TargetSecrets } from './model';

/** `LOAN.REPAYMENT`, `LOAN.*`, `*.CREATE`, `*`; an empty list means every event. */
export function matchesTarget(
  target: ForwardTarget,
  event: Pick<StoredEvent, 'entity' | 'action' | 'failed'>,
): boolean {
  if (target.status !== 'enabled') return false;
  if (event.failed && !target.includeFailed) return false;
  if (target.events.length === 0) return true;
  return target.events.some((filter) => matchesFilter(filter, event.entity, event.action));
}

export function matchesFilter(filter: string, entity: string, action: string): boolean {
  const [wantEntity = '', wantAction = '*'] = filter.toUpperCase().split('.');
  const entityOk = wantEntity === '*' || wantEntity === entity.toUpperCase();
  const actionOk = wantAction === '*' || wantAction === action.toUpperCase();
  return entityOk && actionOk;
}

/** A filter as a tenant may write it: `ENTITY.ACTION` with `*` for either side, or `*`. */
export const EVENT_FILTER_PATTERN = /^(\*|[A-Za-z0-9_]{1,64})(\.(\*|[A-Za-z0-9_]{1,64}))?$/;

/** The envelope's `data.body`: JSON as JSON, a form as an object of strings. */
function senderBody(event: StoredEvent): unknown {
  if (event.encoding === 'form') return parseFormText(event.rawBody, parseContentType(event.contentType).charset);
  return parseBodyText(event.rawBody, event.encoding, event.contentType).body;
}

export function envelopeOf(event: StoredEvent, type?: string): Record<string, unknown> {
  return {
    type: type ?? `${event.entity}.${event.action}`.toLowerCase(),
    timestamp: event.receivedAt,
    data: {
      tenantId: event.tenantId,
      entity: event.entity,
      action: event.action,
      eventId: event.eventId,
      failed: event.failed,
      source: event.source,
      ids: event.ids,
      body: senderBody(event),
    },
  };
}

/** The sender's entity/action/tenant headers under the names its platform uses (docs/protocol.md §2). */
export function senderHeaders(event: StoredEvent): Record<string, string> {
  if (event.source === 'fineract') {
    return {
      'x-fineract-entity': event.entityRaw,
      'x-fineract-action': event.actionRaw,
      'fineract-platform-tenantid': event.tenantId,
    };
  }
  return {
    'x-mifos-entity': event.entityRaw,
    'x-mifos-action': event.actionRaw,
    'x-mifos-platform-tenantid': event.tenantId,
  };
}

export interface ForwardBody {
  body: Buffer;
  contentType: string;
}

export function forwardBody(event: StoredEvent, target: ForwardTarget): ForwardBody {
  if (target.format === 'original') {
    return { body: Buffer.from(event.rawBody, 'utf8'), contentType: event.contentType };
  }
  return { body: Buffer.from(JSON.stringify(envelopeOf(event)), 'utf8'), contentType: 'application/json' };
}

// ---------------------------------------------------------------------------------------------------------------
// Standard Webhooks signing (https://www.standardwebhooks.com): HMAC-SHA256 over `{id}.{timestamp}.{body}` with
// the secret's base64-decoded bytes. A few lines of node:crypto keep the worker bundle free of a dependency; the
// tests verify every signature with the reference package.

const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export function signPayload(secret: string, webhookId: string, timestampSeconds: number, body: Buffer): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const mac = createHmac('sha256', key);
  mac.update(`${webhookId}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** During a rotation overlap both secrets sign: receivers holding either one accept the delivery. */
export function signatureHeader(
  secrets: TargetSecrets,
  webhookId: string,
  timestampSeconds: number,
  body: Buffer,
  now: Date,
): string {
  const signatures = [signPayload(secrets.secret, webhookId, timestampSeconds, body)];
  if (secrets.previousSecret && secrets.previousUntil && Date.parse(secrets.previousUntil) > now.getTime()) {
    signatures.push(signPayload(secrets.previousSecret, webhookId, timestampSeconds, body));
  }
  return signatures.join(' ');
}

export function webhookHeaders(
  secrets: TargetSecrets,
  webhookId: string,
  content: ForwardBody,
  now: Date,
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'content-type': content.contentType,
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, webhookId, timestamp, content.body, now),
  };
}
