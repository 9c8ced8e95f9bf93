import { type DeliveryChannel, type DeliveryPatch, type DeliveryStore, deliverOnce } from '../../lambdas/core/delivery';
import { ConditionFailedError, DownstreamError, SendInProgressError } from '../../lambdas/core/errors';
import type { DeliveryState, DeliveryStatus } from '../../lambdas/core/model';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';

/** A delivery that is not an SMS: what forwarding to an HTTPS endpoint will record. */
interface PostRecord extends DeliveryState {
  status: DeliveryStatus;
  url: string;
  payload: string;
  responseId?: string;
}

class MemoryDeliveryStore implements DeliveryStore<PostRecord> {
  readonly items = new Map<string, PostRecord>();

  async createIfAbsent(record: PostRecord): Promise<PostRecord> {
    const existing = this.items.get(record.messageId);
    if (existing) return { ...existing };
    this.items.set(record.messageId, { ...record });
    return { ...record };
  }

  async get(_tenantId: string, messageId: string): Promise<PostRecord | undefined> {
    const record = this.items.get(messageId);
    return record && { ...record };
  }

  async transition(
    _tenantId: string,
    messageId: string,
    from: DeliveryStatus[],
    patch: DeliveryPatch<PostRecord>,
    expect: { leaseUntil?: string } = {},
  ): Promise<PostRecord> {
    const current = this.items.get(messageId);
    if (
      !current ||
      !from.includes(current.status) ||
      ('leaseUntil' in expect && current.leaseUntil !== expect.leaseUntil)
    )
      throw new ConditionFailedError();
    const next = { ...current };
    for (const [field, value] of Object.entries(patch))
      if (value !== undefined) Object.assign(next, { [field]: value });
    this.items.set(messageId, next);
    return { ...next };
  }

  only(): PostRecord {
    return [...this.items.values()][0]!;
  }
}

/** A channel whose next answers the test chooses; `lookup: false` builds one that cannot look up. */
class ScriptedChannel implements DeliveryChannel<PostRecord> {
  readonly service = 'http' as const;
  readonly label = 'the endpoint';
  readonly sent: PostRecord[] = [];
  readonly received = new Set<string>();
  private failures: unknown[] = [];
  findSent?: (record: PostRecord, since: Date) => Promise<DeliveryPatch<PostRecord> | undefined>;

  constructor(options: { lookup: boolean; lookupFails?: boolean } = { lookup: true }) {
    if (options.lookup) {
      this.findSent = async (record) => {
        if (options.lookupFails) throw new Error('lookup endpoint down');
        return this.received.has(record.messageId) ? { responseId: `r-${record.messageId}` } : undefined;
      };
    }
  }

  failNext(...errors: unknown[]): void {
    this.failures = errors;
  }

  /** An error may come after the receiver took the request (a timeout): `arrived` says which. */
  async send(record: PostRecord): Promise<DeliveryPatch<PostRecord>> {
    this.sent.push(record);
    const failure = this.failures.shift();
    if (failure instanceof Arrived) {
      this.received.add(record.messageId);
      throw failure.error;
    }
    if (failure) throw failure;
    this.received.add(record.messageId);
    return { responseId: `r-${record.messageId}` };
  }

  wasNotAccepted(error: unknown): boolean {
    return error instanceof DownstreamError && error.status !== undefined;
  }
}

class Arrived {
  constructor(readonly error: unknown) {}
}

const timeout = () => new DownstreamError('http', 'no answer within 5000 ms', { retryable: true, code: 'ETIMEDOUT' });
const answered = (status: number) => new DownstreamError('http', `HTTP ${status}`, { retryable: true, status });
const refused = () => new DownstreamError('http', 'HTTP 410 gone', { retryable: false, status: 410 });

function setup(channel = new ScriptedChannel()) {
  const clock = new FakeClock();
  const store = new MemoryDeliveryStore();
  const logger = new CapturingLogger();
  const draft: PostRecord = {
    tenantId: 'default',
    messageId: 'evt-1.forward',
    eventId: 'evt-1',
    status: 'pending',
    url: 'https://example.org/hook',
    payload: '{"x":1}',
    createdAt: clock.iso(),
    updatedAt: clock.iso(),
  };
  const deliver = () => deliverOnce({ draft, channel, store, clock, logger, leaseSeconds: 60 });
  return { clock, store, channel, deliver };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('deliverOnce', () => {
  it('sends a new delivery once and records the receipt; a second call does not send again', async () => {
    // Prepare
    const { channel, store, deliver } = setup();

    // Act
    const first = await deliver();
    const second = await deliver();

    // Assess
    expect(channel.sent).toHaveLength(1);
    expect(first).toMatchObject({ status: 'sent', responseId: 'r-evt-1.forward' });
    expect(second).toEqual(store.only());
  });

  it('refuses to send while another worker holds the lease, telling when it ends', async () => {
    // Prepare
    const { clock, channel, store, deliver } = setup();
    channel.failNext(new Arrived(timeout()));
    await errorOf(deliver());
    await store.transition('default', 'evt-1.forward', ['sending'], {
      leaseUntil: new Date(clock.now().getTime() + 45_000).toISOString(),
    });

    // Act
    const error = await errorOf(deliver());

    // Assess
    expect(error).toBeInstanceOf(SendInProgressError);
    expect(error).toMatchObject({ retryable: true, retryAfterSeconds: 45 });
    expect(channel.sent).toHaveLength(1);
  });

  it('after an ambiguous failure, finds the earlier attempt and records it without sending again', async () => {
    // Prepare
    const { channel, store, deliver } = setup();
    channel.failNext(new Arrived(timeout()));
    const first = await errorOf(deliver());
    const between = store.only();

    // Act
    const record = await deliver();

    // Assess
    expect(first).toMatchObject({ code: 'ETIMEDOUT' });
    expect(between.status).toBe('sending');
    expect(channel.sent).toHaveLength(1);
    expect(record).toMatchObject({ status: 'sent', responseId: 'r-evt-1.forward' });
  });

  it('after an ambiguous failure that did not arrive, sends again once the lookup finds nothing', async () => {
    // Prepare
    const { channel, deliver } = setup();
    channel.failNext(timeout());
    await errorOf(deliver());

    // Act
    const record = await deliver();

    // Assess
    expect(channel.sent).toHaveLength(2);
    expect(record.status).toBe('sent');
  });

  it('a channel that cannot look up sends again after an ambiguous failure (its receiver deduplicates)', async () => {
    // Prepare
    const { channel, deliver } = setup(new ScriptedChannel({ lookup: false }));
    channel.failNext(new Arrived(timeout()));
    await errorOf(deliver());

    // Act
    const record = await deliver();

    // Assess
    expect(channel.sent).toHaveLength(2);
    expect(record.status).toBe('sent');
  });

  it('waits rather than sends when the lookup itself fails', async () => {
    // Prepare
    const { channel, store, deliver } = setup(new ScriptedChannel({ lookup: true, lookupFails: true }));
    channel.failNext(timeout());
    await errorOf(deliver());

    // Act
    const error = await errorOf(deliver());

    // Assess
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('could not check the endpoint') });
    expect(channel.sent).toHaveLength(1);
    expect(store.only().status).toBe('sending');
  });

  it('puts an answered error back to pending: the next attempt sends afresh without a lookup', async () => {
    // Prepare
    const { channel, store, deliver } = setup(new ScriptedChannel({ lookup: true, lookupFails: true }));
    channel.failNext(answered(503));
    await errorOf(deliver());
    const between = store.only();

    // Act
    const record = await deliver();

    // Assess
    expect(between.status).toBe('pending');
    expect(record.status).toBe('sent');
    expect(channel.sent).toHaveLength(2);
  });

  it('marks a permanent error failed; later attempts fail without calling the channel', async () => {
    // Prepare
    const { channel, store, deliver } = setup();
    channel.failNext(refused());
    await errorOf(deliver());

    // Act
    const error = await errorOf(deliver());

    // Assess
    expect(store.only()).toMatchObject({ status: 'failed', errorMessage: 'HTTP 410 gone' });
    expect(error).toMatchObject({ retryable: false, message: 'HTTP 410 gone' });
    expect(channel.sent).toHaveLength(1);
  });
});
