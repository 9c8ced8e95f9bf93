import type { AddressClass } from './model';

/**
 * Every error the core raises on purpose. `statusCode` is what the sender sees; `expose` says whether `message`
 * may be shown to it (client faults) or must be replaced by a generic text (internal faults).
 * Exactly one place, `toErrorResponse` in http.ts, turns these into HTTP responses.
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details?: unknown;

  constructor(statusCode: number, code: string, message: string, options?: { expose?: boolean; details?: unknown }) {
    super(message);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
    this.expose = options?.expose ?? statusCode < 500;
    this.details = options?.details;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown, code = 'bad_request') {
    super(400, code, message, { details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Invalid API key for this tenant. Check the hook\'s "Api Key" and the tenant it is sent for.') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}

/** The request contradicts what is stored and only an operator may override it (a tenant owned by someone else). */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class MethodNotAllowedError extends AppError {
  readonly allow: string[];
  constructor(method: string, path: string, allow: string[]) {
    super(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allow.join(' or ')}.`);
    this.allow = allow;
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `The hook body is larger than ${Math.round(limitBytes / 1024)} KB.`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(contentType: string) {
    super(
      415,
      'unsupported_media_type',
      `Content-Type "${contentType}" is not supported; send application/json or application/x-www-form-urlencoded (the hook's Content Type json or form).`,
    );
  }
}

export class UnprocessableError extends AppError {
  constructor(message: string, code = 'unprocessable', details?: unknown) {
    super(422, code, message, { details });
  }
}

/**
 * Why an outbound URL may not be called: not an http(s) URL we accept, a host whose address is refused, or a host
 * that does not resolve from here (which a registration accepts: its callbacks are checked again when they connect).
 */
export type UrlRefusalReason = 'invalid-url' | 'refused-address' | 'unresolvable';

/** Raised when an outbound URL or one of its addresses is refused; 422, message safe to expose. */
export class UrlNotAllowedError extends UnprocessableError {
  readonly reason: UrlRefusalReason;
  readonly addressClass?: AddressClass;
  constructor(message: string, options: { reason: UrlRefusalReason; addressClass?: AddressClass }) {
    super(message, 'url_not_allowed');
    this.reason = options.reason;
    this.addressClass = options.addressClass;
  }
}

/** A listing cursor this query did not hand out (edited, from another tenant, or from another listing). */
export class InvalidCursorError extends BadRequestError {
  constructor() {
    super('cursor is not valid.');
  }
}

/** Who answered (or did not): an SMS provider, the sender's Fineract, a forwarding target. */
export type DownstreamService = 'twilio' | 'aws-sms' | 'africastalking' | 'fineract' | 'http' | 'eventbridge';

/** A downstream (SMS provider, Fineract, HTTP target) failure, classified for the retry policy. */
export class DownstreamError extends Error {
  readonly service: DownstreamService;
  readonly retryable: boolean;
  readonly status?: number;
  readonly code?: number | string;
  readonly retryAfterSeconds?: number;
  /** Twilio 20003 (or another provider's equivalent): the tenant's credentials are wrong; stop sending for it. */
  readonly credentialsInvalid: boolean;
  /** The provider refused this recipient (invalid, unreachable, opted out): final, `invalid-recipient`. */
  readonly recipientRejected: boolean;

  constructor(
    service: DownstreamService,
    message: string,
    options: {
      retryable: boolean;
      status?: number;
      code?: number | string;
      retryAfterSeconds?: number;
      credentialsInvalid?: boolean;
      recipientRejected?: boolean;
    },
  ) {
    super(message);
    this.name = 'DownstreamError';
    this.service = service;
    this.retryable = options.retryable;
    this.status = options.status;
    this.code = options.code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.credentialsInvalid = options.credentialsInvalid ?? false;
    this.recipientRejected = options.recipientRejected ?? false;
  }
}

/**
 * Another worker holds this delivery's send lease (a duplicate queue message, a sweeper copy). Not a failure: the
 * event comes back after `retryAfterSeconds` without spending an attempt of its retry schedule.
 */
export class SendInProgressError extends DownstreamError {
  declare readonly retryAfterSeconds: number;
  constructor(service: DownstreamError['service'], message: string, retryAfterSeconds: number) {
    super(service, message, { retryable: true, code: 'send_in_progress', retryAfterSeconds });
  }
}

/** Raised by stores when a conditional write loses (dedup, state transitions, locks). */
export class ConditionFailedError extends Error {
  constructor(message = 'condition failed') {
    super(message);
    this.name = 'ConditionFailedError';
  }
}

/** The web console's session is missing, expired or signed out; the page asks for a new link. */
export class SessionExpiredError extends AppError {
  constructor(message = 'Your console session has ended. Ask your administrator for a new sign-in link.') {
    super(401, 'session_expired', message);
  }
}
