import { issueApiKey, Authenticator } from '../../lambdas/core/api-keys';
import { handleHookEvent } from '../../lambdas/core/ingest';
import type { TenantConfig, WorkMessage } from '../../lambdas/core/model';
import { processWorkMessage } from '../../lambdas/core/worker';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { httpRequest, memoryWorld, twilioErrors, workerDepsOf } from '../helpers/memory-ports';

const API_BASE = 'https://mifos.example.org/fineract-provider/api/v1/';

function twilioTenant(at: string): TenantConfig {
  return {
    tenantId: 'default',
    smsProvider: 'twilio',
    phoneNo: '+15005550006',
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    endpoint: API_BASE,
    apiBase: API_BASE,
    registeredAt: at,
    updatedAt: at,
    registrationId: 'reg-1',
  };
}

/** A Twilio tenant with one stored client-created event, and a way to switch it to Africa's Talking. */
async function setup() {
  const world = memoryWorld();
  const deps = workerDepsOf(world);
  const { key } = await issueApiKey(world.tenants, world.clock, 'default', { graceSeconds: 86400, label: 'test' });
  await world.tenants.putTenant(twilioTenant(world.clock.iso()));
  await world.secrets.putTenantSecret('default', { smsProviderToken: 'token-1', registrationId: 'reg-1' });
  const delivery = withKey(loadDelivery('fineract-sms-client-create-envelope'), key);
  const response = await handleHookEvent(
    httpRequest({ method: delivery.method, path: delivery.path, headers: delivery.headers, body: delivery.body }),
    {
      auth: new Authenticator(world.tenants, world.clock, 0),
      events: world.events,
      queue: world.queue,
      clock: world.clock,
      logger: world.logger,
      metrics: world.metrics,
      settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
    },
  );
  world.queue.drain();
  const message: WorkMessage = {
    tenantId: 'default',
    eventId: (JSON.parse(response.body) as { eventId: string }).eventId,
  };
  const switchToAfricasTalking = async () => {
    await world.tenants.putTenant({
      ...twilioTenant(world.clock.iso()),
      smsProvider: 'africastalking',
      accountSid: 'sandbox',
      phoneNo: 'MIFOS',
      registrationId: 'reg-2',
    });
    await world.secrets.putTenantSecret('default', { smsProviderToken: 'atsk_key', registrationId: 'reg-2' });
  };
  const messages = () => world.messages.listByEvent('default', message.eventId);
  return { world, deps, message, switchToAfricasTalking, messages };
}

describe('a tenant switching provider while a message is in flight', () => {
  it('never sends again a message whose Twilio send was unconfirmed: it fails instead of texting twice', async () => {
    // Prepare
    const { world, deps, message, switchToAfricasTalking, messages } = await setup();
    world.sms.acceptThenThrow();
    await processWorkMessage(message, deps);
    await switchToAfricasTalking();
    world.clock.advanceMs(120_000);

    // Act
    const outcome = await processWorkMessage(message, deps);

    // Assess
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(world.sms.messages).toHaveLength(1);
    expect(world.sms.sendCalls).toHaveLength(1);
    expect(await messages()).toEqual([expect.objectContaining({ status: 'failed', errorCode: 'lookup_unavailable' })]);
  });

  it('sends a message Twilio refused (nothing accepted) with the new provider and its sender, once', async () => {
    // Prepare
    const { world, deps, message, switchToAfricasTalking, messages } = await setup();
    world.sms.failNext(1, twilioErrors.serverError());
    await processWorkMessage(message, deps);
    await switchToAfricasTalking();
    world.clock.advanceMs(120_000);

    // Act
    const outcome = await processWorkMessage(message, deps);

    // Assess
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(world.sms.sendCalls).toHaveLength(2);
    expect(world.sms.sendCalls[1]).toMatchObject({
      credentials: { provider: 'africastalking', username: 'sandbox', apiKey: 'atsk_key' },
      message: { from: 'MIFOS' },
    });
    const [record] = await messages();
    expect(record).toMatchObject({ status: 'sent', provider: 'africastalking', from: 'MIFOS' });
    expect(await world.messages.findByProviderId('default', record!.sid!)).toBe(record!.messageId);
  });
});
