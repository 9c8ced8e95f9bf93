import { DownstreamError } from '../../lambdas/core/errors';
import type { MessageRecord } from '../../lambdas/core/model';
import { handleAfricasTalkingStatus, handleAwsSmsEvent } from '../../lambdas/core/provider-status';
import { smsChannel } from '../../lambdas/core/sms-channel';
import { httpRequest, memoryWorld } from '../helpers/memory-ports';

function record(overrides: Partial<MessageRecord>): MessageRecord {
  return {
    tenantId: 't1',
    messageId: 'e1.CLIENT.CREATE',
    eventId: 'e1',
    templateKey: 'CLIENT.CREATE',
    status: 'sent',
    to: '+254712345678',
    body: 'Hello',
    encoding: 'GSM-7',
    segments: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

function setup() {
  const world = memoryWorld();
  const deps = { messages: world.messages, clock: world.clock, logger: world.logger, metrics: world.metrics };
  const report = (tenantId: string, fields: Record<string, string>) =>
    handleAfricasTalkingStatus(
      httpRequest({
        path: `/africastalking/status/${tenantId}`,
        params: { tenantId },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
      deps,
    );
  return { world, deps, report };
}

describe("Africa's Talking delivery reports (unsigned)", () => {
  it('are taken only for an id we sent, for the tenant in the URL, to the number we sent to', async () => {
    // Prepare
    const { world, report } = setup();
    await world.messages.createIfAbsent(record({ provider: 'africastalking', sid: 'ATXid_1' }));
    await world.messages.linkProviderId('t1', 'ATXid_1', 'e1.CLIENT.CREATE');

    // Act
    const otherTenant = report('t2', { id: 'ATXid_1', status: 'Success', phoneNumber: '+254712345678' });
    const otherNumber = report('t1', { id: 'ATXid_1', status: 'Success', phoneNumber: '+254700000000' });
    const ours = await report('t1', { id: 'ATXid_1', status: 'Success', phoneNumber: '+254712345678' });

    // Assess
    await expect(otherTenant).rejects.toMatchObject({ statusCode: 404 });
    await expect(otherNumber).rejects.toMatchObject({ statusCode: 404 });
    expect(ours.statusCode).toBe(200);
    expect(await world.messages.get('t1', 'e1.CLIENT.CREATE')).toMatchObject({
      status: 'delivered',
      providerStatus: 'Success',
    });
  });

  it('only move the status forward: a late Sent after Success changes nothing', async () => {
    // Prepare
    const { world, report } = setup();
    await world.messages.createIfAbsent(record({ provider: 'africastalking', sid: 'ATXid_2', status: 'delivered' }));
    await world.messages.linkProviderId('t1', 'ATXid_2', 'e1.CLIENT.CREATE');

    // Act
    const late = await report('t1', { id: 'ATXid_2', status: 'Sent' });

    // Assess
    expect(late.statusCode).toBe(200);
    expect((await world.messages.get('t1', 'e1.CLIENT.CREATE'))?.status).toBe('delivered');
  });
});

describe('AWS SMS events from SNS', () => {
  it('land on the record their context names when the MessageId is the one recorded, and are dropped otherwise', async () => {
    // Prepare
    const { world, deps } = setup();
    await world.messages.createIfAbsent(record({ provider: 'aws', sid: 'aws-msg-1' }));
    const event = (messageId: string, eventType: string) =>
      JSON.stringify({ eventType, messageId, context: { tenantId: 't1', messageId: 'e1.CLIENT.CREATE' } });

    // Act
    const forged = await handleAwsSmsEvent(event('aws-msg-other', 'TEXT_DELIVERED'), deps);
    const notJson = await handleAwsSmsEvent('{', deps);
    const failed = await handleAwsSmsEvent(event('aws-msg-1', 'TEXT_CARRIER_UNREACHABLE'), deps);

    // Assess
    expect([forged, notJson, failed]).toEqual(['ignored', 'ignored', 'ok']);
    expect((await world.messages.get('t1', 'e1.CLIENT.CREATE'))?.status).toBe('undelivered');
  });
});

describe('length per provider', () => {
  it('refuses a text longer than the provider takes before calling it (final, not retried)', async () => {
    // Prepare
    const world = memoryWorld();
    const channel = smsChannel({
      sms: world.sms,
      credentials: { provider: 'aws' },
      metrics: world.metrics,
    });

    // Act
    const sending = channel.send(record({ body: 'x'.repeat(1601), from: '+15005550006' }));

    // Assess
    await expect(sending).rejects.toBeInstanceOf(DownstreamError);
    await expect(sending).rejects.toMatchObject({ retryable: false, code: 'body_too_long', service: 'aws-sms' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });
});
