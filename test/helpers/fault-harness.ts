/**
 * A whole SMS Bridge deployment on loopback for fault-injection tests: the local receiver (real handlers, embedded
 * DynamoDB, local queue and worker), a FakeTwilio the real twilio SDK talks to and a FakeFineract for callbacks.
 * It registers one tenant the way MifosX does, posts hook events over HTTP, remembers every event the receiver
 * acknowledged, and waits until each of them is final.
 *
 *   const h = await FaultHarness.start({ env: { RETRY_SCHEDULE_SECONDS: '0.05,0.1,0.2' } });
 *   h.twilio.failNext(2, { status: 500, route: 'send' });
 *   const { eventId } = await h.postEvent(h.smsSend('+254712345678', 'hello'));
 *   const [event] = await h.waitAllFinal();
 *   expect(h.sentTo('+254712345678')).toHaveLength(1);
 *   await h.stop();
 *
 * Faults inside the receiver are injected through the live deps bundle (`h.deps`): the local receiver's handlers
 * read it on every call (lambdas/wiring/local-receiver.ts), so replacing `h.deps.ingest.events` or
 * `h.deps.worker.worker.sms` takes effect on the next request or work message.
 */
import { randomBytes } from 'node:crypto';
import type { LocalDepsBundle } from '../../lambdas/wiring/local-receiver';
import { isFinal } from '../../lambdas/core/lifecycle';
import type { MessageRecord, StoredEvent } from '../../lambdas/core/model';
import { FakeFineract } from './fake-fineract';
import { type FakeMessage, type FakeRequest, FakeTwilio } from './fake-twilio';
import { type Sent, send, startTestReceiver, type TestReceiver, waitFor } from './receiver';

export const TENANT_ID = 'default';
export const FROM = '+15005550006';

/**
 * Settings every fault test wants: sub-second retries, a short queue visibility, a short Twilio timeout, and a short
 * send lease that still outlasts that timeout (as 60 s outlasts 10 s in production: a lease shorter than a send
 * would let another worker look the message up, miss it, and send it while the first is still waiting on Twilio).
 */
export const FAST_ENV: Readonly<Record<string, string>> = {
  RETRY_SCHEDULE_SECONDS: '0.05,0.1,0.2',
  LOCAL_QUEUE_VISIBILITY_SECONDS: '2',
  TWILIO_TIMEOUT_MS: '1000',
  SEND_LEASE_SECONDS: '2',
  FINERACT_TIMEOUT_MS: '1000',
  SWEEP_GRACE_SECONDS: '30',
};

export interface HookDelivery {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface PostedEvent {
  response: Sent;
  eventId?: string;
}

export interface FaultHarnessOptions {
  /** Merged over FAST_ENV. */
  env?: Record<string, string>;
  /** Register the tenant during start (default true). */
  register?: boolean;
}

export class FaultHarness {
  /** afterEach of every fault test: every acknowledged event final and no SMS twice, then everything stopped. */
  static async settleAndStop(harness: FaultHarness | undefined): Promise<void> {
    try {
      await harness?.assertSettled();
    } finally {
      await harness?.stop();
    }
  }

  /** Every event id the receiver acknowledged with a 2xx, in order (duplicates once). */
  readonly acknowledged: string[] = [];
  apiKey = '';
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');

  private constructor(
    readonly receiver: TestReceiver,
    readonly twilio: FakeTwilio,
    readonly fineract: FakeFineract,
  ) {}

  static async start(options: FaultHarnessOptions = {}): Promise<FaultHarness> {
    const twilio = new FakeTwilio();
    let fineract: FakeFineract | undefined;
    let receiver: TestReceiver | undefined;
    try {
      const { baseUrl } = await twilio.start();
      fineract = await FakeFineract.start({ tenants: [TENANT_ID] });
      receiver = await startTestReceiver({ env: { ...FAST_ENV, TWILIO_API_BASE_URL: baseUrl, ...options.env } });
      const harness = new FaultHarness(receiver, twilio, fineract);
      twilio.addAccount(harness.accountSid, harness.authToken, 'Fault tests');
      if (options.register !== false) await harness.register();
      return harness;
    } catch (error) {
      // Nothing may stay listening: an open server keeps Jest from exiting.
      await receiver?.stop().catch(() => undefined);
      await fineract?.stop().catch(() => undefined);
      await twilio.stop().catch(() => undefined);
      throw error;
    }
  }

  get url(): string {
    return this.receiver.url;
  }

  /** The live deps bundle the handlers read on every call. */
  get deps(): LocalDepsBundle {
    return this.receiver.receiver.deps;
  }

  /** The SMS Bridge registration handshake (docs/protocol.md §5); keeps the issued key. */
  async register(overrides: Record<string, string> = {}): Promise<string> {
    const response = await send(this.url, {
      method: 'POST',
      path: '/modules/sms/configuration',
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({
        phoneNo: FROM,
        smsProvider: 'twilio',
        smsProviderAccountId: this.accountSid,
        smsProviderToken: this.authToken,
        tenantId: TENANT_ID,
        mifosToken: this.fineract.token,
        endpoint: this.fineract.apiBase,
        ...overrides,
      }),
    });
    if (response.status !== 201 || typeof response.body !== 'string') {
      throw new Error(`registration failed: ${response.status} ${response.text}`);
    }
    this.apiKey = response.body;
    return this.apiKey;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Hook deliveries as MifosX / Fineract send them

  /** An SMS Bridge delivery with the MifosX header family. */
  hook(entity: string, action: string, body: unknown): HookDelivery {
    return {
      method: 'POST',
      path: '/modules/sms/',
      headers: {
        'X-Mifos-Entity': entity,
        'X-Mifos-Action': action,
        'X-Mifos-Platform-TenantId': TENANT_ID,
        'X-Mifos-API-Key': this.apiKey,
        'Content-Type': 'application/json; charset=UTF-8',
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    };
  }

  /** A user-defined-template SMS (`sms`/`send`): sent verbatim, no callback. */
  smsSend(mobileNo: string, message: string): HookDelivery {
    return this.hook('sms', 'send', { mobileNo, message });
  }

  /** A Fineract ≥ 1.5 client-create envelope: name and number are in the envelope, no callback. */
  clientCreate(clientId: number, mobileNo: string, firstname = 'Jane', lastname = 'Doe'): HookDelivery {
    const delivery = this.hook('CLIENT', 'CREATE', {
      entityName: 'CLIENT',
      actionName: 'CREATE',
      createdBy: 1,
      createdByName: 'mifos',
      request: { officeId: 1.0, firstname, lastname, mobileNo, active: true, locale: 'en', dateFormat: 'dd MMMM yyyy' },
      clientId,
      officeId: 1,
      response: { clientId, resourceId: clientId, commandId: clientId + 1_000_000 },
      timestamp: new Date().toISOString(),
    });
    return { ...delivery, headers: fineractHeaders(delivery.headers) };
  }

  /**
   * A MifosX flat loan repayment: the receiver calls back `loans/{loanId}` and `clients/{clientId}`. Seeds both in
   * the fake Fineract unless `seed` is false.
   */
  loanRepayment(
    loanId: number,
    clientId: number,
    mobileNo: string,
    options: { seed?: boolean; amount?: string } = {},
  ): HookDelivery {
    if (options.seed !== false) {
      this.fineract.addClient({ id: clientId, displayName: `Client ${clientId}`, mobileNo });
      this.fineract.addLoan({ id: loanId, clientId, accountNo: String(loanId).padStart(9, '0') });
    }
    return this.hook('LOAN', 'REPAYMENT', {
      officeId: 1,
      clientId,
      loanId,
      resourceId: loanId * 10,
      changes: { transactionDate: '15 October 2015', transactionAmount: options.amount ?? '500', locale: 'en' },
    });
  }

  /** A Fineract ≥ 1.9 failed command: an envelope without `response`; recorded, never texted. */
  failedRepayment(loanId: number, clientId: number): HookDelivery {
    const delivery = this.hook('LOAN', 'REPAYMENT', {
      entityName: 'LOAN',
      actionName: 'REPAYMENT',
      createdBy: 1,
      request: { transactionAmount: 500.0, transactionDate: '24 October 2024', locale: 'en' },
      clientId,
      officeId: 1,
      loanId,
      timestamp: new Date().toISOString(),
    });
    return { ...delivery, headers: fineractHeaders(delivery.headers) };
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Posts a delivery; a 2xx with an eventId is remembered as acknowledged. */
  async postEvent(delivery: HookDelivery): Promise<PostedEvent> {
    const response = await send(this.url, delivery);
    const eventId = ackedEventId(response);
    if (eventId && !this.acknowledged.includes(eventId)) this.acknowledged.push(eventId);
    return { response, eventId };
  }

  /** GET/POST on the admin API with the tenant's key. */
  admin(method: 'GET' | 'POST', path: string): Promise<Sent> {
    return send(this.url, {
      method,
      path,
      headers: { 'X-Mifos-API-Key': this.apiKey, 'X-Mifos-Platform-TenantId': TENANT_ID },
      body: '',
    });
  }

  /** Every stored event of the tenant (the admin API pages by 100). */
  async storedEvents(): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.admin.events.listByTenant(TENANT_ID, { limit: 100, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async event(eventId: string): Promise<StoredEvent | undefined> {
    return this.deps.admin.events.get(TENANT_ID, eventId);
  }

  async messages(eventId: string): Promise<MessageRecord[]> {
    return this.deps.admin.messages.listByEvent(TENANT_ID, eventId);
  }

  /** Waits until every acknowledged event (or the given ones) is in a final status; returns them in that order. */
  async waitAllFinal(eventIds: readonly string[] = this.acknowledged, timeoutMs = 15_000): Promise<StoredEvent[]> {
    let last: StoredEvent[] = [];
    try {
      return await waitFor(
        async () => {
          last = [];
          for (const id of eventIds) {
            const event = await this.event(id);
            if (!event) throw new Error(`acknowledged event ${id} is not stored`);
            last.push(event);
          }
          return last.every((e) => isFinal(e.status)) ? last : undefined;
        },
        timeoutMs,
        'every acknowledged event to be final',
      );
    } catch (error) {
      const open = last
        .filter((e) => !isFinal(e.status))
        .map((e) => `${e.eventId}:${e.status}/${e.attempts}:${e.lastError ?? ''}`);
      throw new Error(`${(error as Error).message}; still open: ${open.join(', ')}`);
    }
  }

  /** Waits until one event reaches `status` (final or not). */
  waitForStatus(eventId: string, status: StoredEvent['status'], timeoutMs = 10_000): Promise<StoredEvent> {
    return waitFor(
      async () => {
        const event = await this.event(eventId);
        return event?.status === status ? event : undefined;
      },
      timeoutMs,
      `event ${eventId} to be ${status}`,
    );
  }

  /** Messages the fake Twilio accepted (and recorded), optionally for one recipient. */
  sentTo(to?: string): FakeMessage[] {
    return this.twilio.messages.filter((m) => to === undefined || m.to === to);
  }

  /** Send requests that reached the fake Twilio, whatever it answered. */
  sendRequests(): FakeRequest[] {
    return this.twilio.requests.filter((r) => r.route === 'send');
  }

  /** Recipients that got more than one accepted message with the same body. */
  duplicateSends(): string[] {
    const seen = new Map<string, number>();
    for (const m of this.twilio.messages)
      seen.set(`${m.to}\u0000${m.body}`, (seen.get(`${m.to}\u0000${m.body}`) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k.split('\u0000')[0]!);
  }

  /**
   * What every scenario ends with: every stored event (acknowledged or not) is final, and no recipient got the same
   * text twice. Throws otherwise.
   */
  async assertSettled(timeoutMs = 5_000): Promise<void> {
    const ids = (await this.storedEvents()).map((e) => e.eventId);
    await this.waitAllFinal([...new Set([...this.acknowledged, ...ids])], timeoutMs);
    const duplicates = this.duplicateSends();
    if (duplicates.length > 0) throw new Error(`the same SMS went twice to ${duplicates.length} recipient(s)`);
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
    await this.twilio.stop();
    await this.fineract.stop();
  }
}

function fineractHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const renamed = name
      .replace(/^X-Mifos-Platform-TenantId$/, 'Fineract-Platform-TenantId')
      .replace(/^X-Mifos-/, 'X-Fineract-');
    out[renamed] = value;
  }
  return out;
}

function ackedEventId(response: Sent): string | undefined {
  if (response.status < 200 || response.status > 299) return undefined;
  const body = response.body as { eventId?: unknown } | undefined;
  return body && typeof body === 'object' && typeof body.eventId === 'string' ? body.eventId : undefined;
}

/** A distinct, valid-looking Kenyan mobile number per index. */
export function mobile(index: number): string {
  return `+2547${String(10_000_000 + index).slice(-8)}`;
}

/**
 * `target` with some members replaced, everything else still served by `target` itself: how a test wraps a port
 * of the live deps bundle (`h.deps.worker.worker.sms = override(sms, { send: … })`).
 */
export function override<T extends object>(target: T, members: Partial<T>): T {
  return Object.assign(Object.create(target) as T, members);
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A promise that never settles until released: stands for a worker frozen (or killed) in the middle of a call.
 * `release` lets the test end the freeze so the receiver can shut down.
 */
export function freeze(): { promise: Promise<never>; release: (error?: Error) => void } {
  let release!: (error?: Error) => void;
  const promise = new Promise<never>((_, reject) => {
    release = (error = new Error('worker crashed')) => reject(error);
  });
  return { promise, release };
}
