/**
 * One delivery of one event to one channel, at most once. The record goes pending → sending (under a lease)
 * before the channel is called and sending → sent after; a store that can creates it already `sending` (one
 * conditional put is then both the record and the lease). What happens on failure depends on what the failure
 * proves:
 * - a permanent error (DownstreamError, not retryable) → `failed`; later attempts fail without calling again;
 * - an answered error, or a connection never made (the channel's `wasNotAccepted`) → back to `pending`, the next
 *   attempt sends afresh;
 * - anything else (a timeout, a dropped connection, a crash before the result was written) is ambiguous: the
 *   record stays `sending` with its lease released, and the next attempt first asks the channel whether the
 *   earlier one arrived (`findSent`). A channel without `findSent` re-sends and relies on its receiver to
 *   deduplicate on the delivery id; one whose lookup answers a permanent error (a provider with no lookup) fails
 *   the record instead of sending twice.
 * A record found in `sending` under a live lease belongs to another worker: SendInProgressError.
 */
import { ConditionFailedError, DownstreamError, SendInProgressError } from './errors';
import type { DeliveryState, DeliveryStatus } from './model';
import type { Clock, Logger } from './ports';

/** Fields a transition may set: everything but the record's key. */
export type DeliveryPatch<R extends DeliveryState> = Partial<Omit<R, 'tenantId' | 'messageId'>>;

/** The part of a record store the machine uses (MessageStore is one). */
export interface DeliveryStore<R extends DeliveryState> {
  /** Creates the record unless one exists; returns whichever is stored. */
  createIfAbsent(record: R): Promise<R>;
  /**
   * Creates the record already `sending` under its lease unless one exists (one conditional put instead of a put
   * and a claim); `created: false` carries the record that was there. Stores without it take the two steps.
   */
  createClaimed?(record: R): Promise<{ created: boolean; record: R }>;
  get(tenantId: string, messageId: string): Promise<R | undefined>;
  /** Throws ConditionFailedError unless the status is one of `from` and the `expect`ed fields hold. */
  transition(
    tenantId: string,
    messageId: string,
    from: DeliveryStatus[],
    patch: DeliveryPatch<R>,
    expect?: { leaseUntil?: string },
  ): Promise<R>;
}

/** Where a delivery goes: an SMS provider, an HTTPS endpoint, an event bus. */
export interface DeliveryChannel<R extends DeliveryState> {
  /** Names the service in the errors the machine raises. */
  readonly service: DownstreamError['service'];
  /** For texts: "could not check Twilio …". */
  readonly label: string;
  /** Sends the record's payload once; resolves with what to record on `sent`. Throws DownstreamError, classified. */
  send(record: R): Promise<DeliveryPatch<R>>;
  /** The earlier attempt, if the receiver has it (created at or after `since`): what to record on `sent`. */
  findSent?(record: R, since: Date): Promise<DeliveryPatch<R> | undefined>;
  /** True when `error` proves nothing was accepted (an error answer, a connection never made). */
  wasNotAccepted(error: unknown): boolean;
}

export interface DeliveryJob<R extends DeliveryState> {
  /** The record to create when none exists: `pending`, carrying everything the channel needs to send. */
  draft: R;
  channel: DeliveryChannel<R>;
  store: DeliveryStore<R>;
  clock: Clock;
  logger: Logger;
  /** How long a worker may hold `sending` before another may look the attempt up and take over. */
  leaseSeconds: number;
}

/**
 * A patch of the fields every delivery record has. The one cast of the machine: TypeScript cannot tell that a
 * record type extending DeliveryState accepts DeliveryState's own fields.
 */
function statePatch<R extends DeliveryState>(fields: Partial<Omit<DeliveryState, 'tenantId' | 'messageId'>>) {
  return fields as DeliveryPatch<R>;
}

/** Clock skew tolerated between us and the receiver when looking an earlier attempt up. */
const LOOKUP_MARGIN_MS = 60_000;

/** Delivers `draft` at most once; resolves with the record once sent (now or by an earlier attempt). */
export async function deliverOnce<R extends DeliveryState>(job: DeliveryJob<R>): Promise<R> {
  const { draft, store, channel } = job;
  const now = job.clock.now();
  const leaseUntil = new Date(now.getTime() + job.leaseSeconds * 1000).toISOString();
  let record: R;
  if (store.createClaimed) {
    // The first attempt creates the record already claimed: whoever's conditional put wins is the only sender.
    const at = now.toISOString();
    const claimed = await store.createClaimed({
      ...draft,
      ...statePatch<R>({ status: 'sending', leaseUntil, attemptStartedAt: at, updatedAt: at }),
    });
    if (claimed.created) return attempt(job, claimed.record);
    record = claimed.record;
  } else {
    record = await store.createIfAbsent(draft);
  }
  if (record.status === 'failed') {
    throw new DownstreamError(channel.service, record.errorMessage ?? 'the message failed earlier', {
      retryable: false,
      code: record.errorCode,
    });
  }
  // `sent`, or a later status a delivery report brought (delivered, undelivered): done.
  if (record.status !== 'pending' && record.status !== 'sending') return record;

  if (record.status === 'pending') return attempt(job, await claim(job, record, leaseUntil));

  if (record.leaseUntil && Date.parse(record.leaseUntil) > now.getTime()) {
    throw new SendInProgressError(
      channel.service,
      'another worker is sending this message',
      Math.ceil((Date.parse(record.leaseUntil) - now.getTime()) / 1000),
    );
  }
  const found = await findEarlierAttempt(job, record);
  if (found) {
    job.logger.info(`message found at ${channel.label} after an interrupted send; not sending again`, {
      messageId: record.messageId,
    });
    try {
      return await store.transition(record.tenantId, record.messageId, ['sending'], {
        ...found,
        ...statePatch<R>({ status: 'sent', updatedAt: now.toISOString() }),
      });
    } catch (error) {
      // Another copy found it too (or its own send finished) and recorded it first: that record stands.
      const current =
        error instanceof ConditionFailedError ? await store.get(record.tenantId, record.messageId) : undefined;
      if (current && current.status !== 'pending' && current.status !== 'sending') return current;
      throw error;
    }
  }
  return attempt(job, await claim(job, record, leaseUntil));
}

async function findEarlierAttempt<R extends DeliveryState>(
  job: DeliveryJob<R>,
  record: R,
): Promise<DeliveryPatch<R> | undefined> {
  if (!job.channel.findSent) return undefined;
  const since = new Date(Date.parse(record.attemptStartedAt ?? record.createdAt) - LOOKUP_MARGIN_MS);
  try {
    return await job.channel.findSent(record, since);
  } catch (error) {
    // A channel that can never look this attempt up says so (not retryable): it may have arrived, so it is not
    // sent again; the record fails for good.
    if (error instanceof DownstreamError && !error.retryable) {
      await settleFailedAttempt(job, record, error);
      throw error;
    }
    // Without the lookup we cannot know whether the receiver has it: wait and ask again rather than send twice.
    const text = error instanceof Error ? error.message : String(error);
    const message = `could not check ${job.channel.label} for an interrupted send: ${text}`;
    throw new DownstreamError(job.channel.service, message, { retryable: true });
  }
}

/** pending → sending, or an expired `sending` → sending again; conditional on the lease we saw. */
async function claim<R extends DeliveryState>(job: DeliveryJob<R>, record: R, leaseUntil: string): Promise<R> {
  const at = job.clock.now().toISOString();
  const from: DeliveryStatus = record.status === 'pending' ? 'pending' : 'sending';
  try {
    return await job.store.transition(
      record.tenantId,
      record.messageId,
      [from],
      statePatch<R>({ status: 'sending', leaseUntil, attemptStartedAt: at, updatedAt: at }),
      from === 'sending' && record.leaseUntil !== undefined ? { leaseUntil: record.leaseUntil } : undefined,
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new SendInProgressError(job.channel.service, 'another worker took this message', job.leaseSeconds);
    }
    throw error;
  }
}

async function attempt<R extends DeliveryState>(job: DeliveryJob<R>, record: R): Promise<R> {
  const { store, clock } = job;
  try {
    const receipt = await job.channel.send(record);
    try {
      return await store.transition(record.tenantId, record.messageId, ['sending'], {
        ...receipt,
        ...statePatch<R>({ status: 'sent', updatedAt: clock.now().toISOString() }),
      });
    } catch (error) {
      // A delivery report can land before this write: the record is already past `sending`, and that is fine.
      const current =
        error instanceof ConditionFailedError ? await store.get(record.tenantId, record.messageId) : undefined;
      if (current && current.status !== 'pending' && current.status !== 'sending') return current;
      throw error;
    }
  } catch (error) {
    await settleFailedAttempt(job, record, error);
    throw error;
  }
}

async function settleFailedAttempt<R extends DeliveryState>(job: DeliveryJob<R>, record: R, error: unknown) {
  const { store, clock } = job;
  const { tenantId, messageId } = record;
  if (error instanceof DownstreamError && !error.retryable) {
    await store.transition(
      tenantId,
      messageId,
      ['sending'],
      statePatch<R>({
        status: 'failed',
        errorCode: error.code === undefined ? undefined : String(error.code),
        errorMessage: error.message,
        updatedAt: clock.now().toISOString(),
      }),
    );
  } else if (job.channel.wasNotAccepted(error)) {
    // Nothing was created: the next attempt sends afresh.
    await store
      .transition(
        tenantId,
        messageId,
        ['sending'],
        statePatch<R>({ status: 'pending', updatedAt: clock.now().toISOString() }),
      )
      .catch(() => undefined);
  } else {
    // It may have arrived. Release the lease but stay in `sending`, so the next attempt looks it up first.
    const at = clock.now().toISOString();
    await store
      .transition(tenantId, messageId, ['sending'], statePatch<R>({ leaseUntil: at, updatedAt: at }))
      .catch(() => undefined);
  }
}
