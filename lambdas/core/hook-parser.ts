import { gunzipSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors';
import { header, type HttpRequest } from './http';
import {
  assertHeaderValue,
  COMMAND_NAME_PATTERN,
  COMMAND_NAME_RULE,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
} from './identifiers';
import { asFields, parseJavaScalar } from './java-text';
import { boundJsonText, safeNumberOrText } from './json-text';
import { type BodyEncoding, type BodyShape, type HookIds, type HookSource, ID_FIELDS } from './model';

/** Header names per sender family (docs/protocol.md §2). Fineract's come first: it is the maintained one. */
export const HEADERS = {
  entity: ['x-fineract-entity', 'x-mifos-entity'],
  action: ['x-fineract-action', 'x-mifos-action'],
  tenant: ['fineract-platform-tenantid', 'x-mifos-platform-tenantid'],
  endpoint: ['x-fineract-endpoint', 'x-mifos-endpoint'],
  apiKey: ['x-fineract-api-key', 'x-mifos-api-key'],
} as const;

/** Header names as the senders spell them, for messages an admin recognises. */
const HEADER_DISPLAY_NAMES: Record<string, string> = {
  'x-fineract-entity': 'X-Fineract-Entity',
  'x-mifos-entity': 'X-Mifos-Entity',
  'x-fineract-action': 'X-Fineract-Action',
  'x-mifos-action': 'X-Mifos-Action',
  'fineract-platform-tenantid': 'Fineract-Platform-TenantId',
  'x-mifos-platform-tenantid': 'X-Mifos-Platform-TenantId',
  'x-fineract-endpoint': 'X-Fineract-Endpoint',
  'x-mifos-endpoint': 'X-Mifos-Endpoint',
};

/** The sender's API base is only recorded, never called from this header: any URL-like text, bounded. */
const ENDPOINT_PATTERN = /^[\x21-\x7e]{1,2048}$/;
const ENDPOINT_RULE = 'at most 2048 printable ASCII characters without spaces';

/** The first family's header that is set, with its name (the value trimmed, as `header` gives it). */
function namedHeader(
  request: Pick<HttpRequest, 'headers'>,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = header(request, name);
    if (value !== undefined) return { name: HEADER_DISPLAY_NAMES[name] ?? name, value };
  }
  return undefined;
}

export interface HookHeaders {
  entityRaw: string;
  actionRaw: string;
  entity: string;
  action: string;
  tenantId: string;
  apiKey?: string;
  senderEndpoint?: string;
  source: HookSource;
}

/** The normalised event: one shape whatever the sender version, template or encoding. */
export interface HookEvent extends HookHeaders {
  shape: BodyShape;
  encoding: BodyEncoding;
  /** True for Fineract ≥ 1.5 failed-command envelopes: recorded, never texted. */
  failed: boolean;
  ids: HookIds;
  /** Envelope `request` (the original command); a Java map text for form envelopes. */
  request?: Record<string, unknown> | string;
  /** Command result changes (flat `changes` or envelope `response.changes`). */
  changes?: Record<string, unknown> | string;
  /** Envelope `response`, or the flat body itself. */
  response?: Record<string, unknown> | string;
  /** The parsed top-level body. */
  body: Record<string, unknown>;
  rawBody: string;
  contentType: string;
  receivedAt: string;
}

/**
 * The hook headers of either family, each checked before anything stores or looks it up (400 naming the header:
 * a 3 KB tenant id would exceed DynamoDB's key size, control characters would end up in logs and keys).
 */
export function readHookHeaders(request: Pick<HttpRequest, 'headers'>): HookHeaders {
  const entityHeader = namedHeader(request, HEADERS.entity);
  const actionHeader = namedHeader(request, HEADERS.action);
  const tenantHeader = namedHeader(request, HEADERS.tenant);
  const missing: string[] = [];
  if (!entityHeader) missing.push('X-Fineract-Entity (or X-Mifos-Entity)');
  if (!actionHeader) missing.push('X-Fineract-Action (or X-Mifos-Action)');
  if (!tenantHeader) missing.push('Fineract-Platform-TenantId (or X-Mifos-Platform-TenantId)');
  if (missing.length > 0 || !entityHeader || !actionHeader || !tenantHeader) {
    throw new BadRequestError(
      `Missing hook header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. MifosX and Fineract send these on every hook event.`,
      { missing },
      'missing_header',
    );
  }
  const tenantId = assertHeaderValue(tenantHeader.name, tenantHeader.value, TENANT_ID_PATTERN, TENANT_ID_RULE);
  const entityRaw = assertHeaderValue(entityHeader.name, entityHeader.value, COMMAND_NAME_PATTERN, COMMAND_NAME_RULE);
  const actionRaw = assertHeaderValue(actionHeader.name, actionHeader.value, COMMAND_NAME_PATTERN, COMMAND_NAME_RULE);
  const endpointHeader = namedHeader(request, HEADERS.endpoint);
  if (endpointHeader) assertHeaderValue(endpointHeader.name, endpointHeader.value, ENDPOINT_PATTERN, ENDPOINT_RULE);
  const source: HookSource = Object.keys(request.headers).some(
    (h) => h.startsWith('x-fineract-') || h === 'fineract-platform-tenantid',
  )
    ? 'fineract'
    : 'mifosx';
  return {
    entityRaw,
    actionRaw,
    entity: entityRaw.toUpperCase(),
    action: actionRaw.toUpperCase(),
    tenantId,
    apiKey: header(request, ...HEADERS.apiKey),
    senderEndpoint: endpointHeader?.value,
    source,
  };
}

interface MediaType {
  type: string;
  charset: string;
}

export function parseContentType(value: string | undefined): MediaType {
  const [type = '', ...params] = (value ?? '').split(';');
  let charset = 'utf-8';
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v) charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

function decodeText(bytes: Buffer, charset: string): string {
  try {
    // TextDecoder drops a UTF-8 BOM by default, which some Java clients prepend.
    return new TextDecoder(charset, { fatal: false }).decode(bytes);
  } catch {
    throw new BadRequestError(`Unknown charset "${charset}" in Content-Type.`, undefined, 'bad_charset');
  }
}

/**
 * Percent-decoding in the declared charset: `%XX` runs are bytes of that charset (URLSearchParams would assume
 * UTF-8), `+` is a space, any other character is already text.
 */
function percentDecode(text: string, charset: string): string {
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    out += decodeText(Buffer.from(bytes), charset);
    bytes = [];
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    flush();
    out += text[i] === '+' ? ' ' : text[i];
  }
  flush();
  return out;
}

export function parseFormText(text: string, charset: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    out[percentDecode(rawKey, charset)] = percentDecode(rawValue, charset);
  }
  return out;
}

const JSON_TYPES = new Set(['application/json', 'text/json', 'text/plain', '']);

export interface ParsedBody {
  body: Record<string, unknown>;
  rawBody: string;
  encoding: BodyEncoding;
  contentType: string;
}

export interface DecodedBody {
  /** The body as text, in the charset it declared. */
  text: string;
  encoding: BodyEncoding;
  /** The Content-Type header as sent. */
  contentType: string;
}

/** Bytes to text: size limit, gzip, media type and charset; throws 413/415/400 with messages an admin can act on. */
export function decodeHookBody(request: Pick<HttpRequest, 'headers' | 'body'>, maxBytes: number): DecodedBody {
  let bytes = request.body;
  const contentType = header(request, 'content-type') ?? '';
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if ((header(request, 'content-encoding') ?? '').toLowerCase() === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      // zlib's RangeError comes from another realm under some runners: match on its code.
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new PayloadTooLargeError(maxBytes);
      throw new BadRequestError('The body says Content-Encoding gzip but is not valid gzip.', undefined, 'bad_gzip');
    }
    if (bytes.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  }
  const media = parseContentType(contentType);
  const isJson = JSON_TYPES.has(media.type) || media.type.endsWith('+json');
  const isForm = media.type === 'application/x-www-form-urlencoded';
  if (!isJson && !isForm) throw new UnsupportedMediaTypeError(contentType);
  return { text: decodeText(bytes, media.charset), encoding: isForm ? 'form' : 'json', contentType };
}

/**
 * Parses a body already decoded to text. Ingest calls it on what it just decoded, the worker on the text it
 * stored; `contentType` gives the charset of a form's percent-escapes and is kept with the result.
 */
export function parseBodyText(text: string, encoding: BodyEncoding, contentType: string): ParsedBody {
  if (encoding === 'form') {
    const fields = parseFormText(text, parseContentType(contentType).charset);
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) body[k] = parseJavaScalar(v);
    return { body, rawBody: text, encoding, contentType };
  }
  if (text.trim() === '') return { body: {}, rawBody: text, encoding, contentType };
  // Depth capped and ids beyond 2^53 kept exact (as strings) before anything walks, hashes or stores the body.
  const jsonText = boundJsonText(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch (error) {
    throw new BadRequestError(
      `The hook body is not valid JSON (${error instanceof Error ? error.message : 'parse error'}). Check the hook's Content Type.`,
      undefined,
      'malformed_json',
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestError('The hook body must be a JSON object.', undefined, 'malformed_json');
  }
  return { body: parsed as Record<string, unknown>, rawBody: text, encoding, contentType };
}

/** Decodes and parses a hook body (decodeHookBody, then parseBodyText). */
export function parseHookBody(request: Pick<HttpRequest, 'headers' | 'body'>, maxBytes: number): ParsedBody {
  const decoded = decodeHookBody(request, maxBytes);
  return parseBodyText(decoded.text, decoded.encoding, decoded.contentType);
}

/**
 * Integral doubles (`42.0`) and numeric strings become numbers; anything else is kept as sent. A number beyond
 * ±(2^53 − 1) stays a string (DynamoDB cannot store it as a number).
 */
function asId(value: unknown): number | string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return safeNumberOrText(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return /^-?\d+(\.0+)?$/.test(value.trim()) && Number.isSafeInteger(n) ? n : value;
  }
  return undefined;
}

function isEnvelope(body: Record<string, unknown>): boolean {
  return typeof body.entityName === 'string' && typeof body.actionName === 'string';
}

/** Turns headers + parsed body into the normalised event (docs/protocol.md §3). */
export function normaliseHook(headers: HookHeaders, parsed: ParsedBody, receivedAt: string): HookEvent {
  const { body } = parsed;
  let shape: BodyShape;
  let failed = false;
  let request: HookEvent['request'];
  let response: HookEvent['response'];
  let changes: HookEvent['changes'];

  if (headers.entity === 'SMS' && headers.action === 'SEND') {
    shape = 'sms-send';
  } else if (isEnvelope(body)) {
    request = body.request as HookEvent['request'];
    if (!('response' in body) || body.response === null || body.status === 'Exception') {
      shape = 'failed-envelope';
      failed = true;
    } else {
      shape = 'envelope';
    }
    response = body.response as HookEvent['response'];
    changes = asFields(response)?.changes as HookEvent['changes'];
  } else if (Object.keys(body).length === 0) {
    shape = 'empty';
  } else {
    shape = 'flat';
    response = body;
    changes = body.changes as HookEvent['changes'];
  }

  const sources = [asFields(response), body, asFields(request)];
  const ids: HookIds = {};
  for (const field of ID_FIELDS) {
    for (const source of sources) {
      const id = source ? asId(source[field]) : undefined;
      if (id !== undefined) {
        ids[field] = id;
        break;
      }
    }
  }

  return {
    ...headers,
    shape,
    encoding: parsed.encoding,
    failed,
    ids,
    request,
    changes,
    response,
    body,
    rawBody: parsed.rawBody,
    contentType: parsed.contentType,
    receivedAt,
  };
}

/** Full parse of a stored or incoming request. */
export function parseHook(
  request: Pick<HttpRequest, 'headers' | 'body'>,
  maxBytes: number,
  receivedAt: string,
): HookEvent {
  const headers = readHookHeaders(request);
  return normaliseHook(headers, parseHookBody(request, maxBytes), receivedAt);
}
