import { lazyEventBus, lazySmsSender, once } from '../../lambdas/adapters/lazy-ports';
import type { BusEntry, OutboundSms, TwilioCredentials } from '../../lambdas/core/model';
import type { EventBusPublisher, SmsSender } from '../../lambdas/core/ports';

const credentials: TwilioCredentials = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'token' };
const message: OutboundSms = { to: '+15550000001', from: '+15550000002', body: 'Hello' };

function recordingSender(calls: string[]): SmsSender<TwilioCredentials> {
  return {
    send: async (_c, m) => {
      calls.push(`send ${m.body}`);
      return { sid: 'SM1', status: 'queued' };
    },
    findSent: async (_c, q) => {
      calls.push(`findSent ${q.body}`);
      return undefined;
    },
    verifyAccount: async (_c, options) => {
      calls.push(`verifyAccount ${options?.from ?? ''}`);
    },
  };
}

describe('lazy ports', () => {
  it('loads nothing until the first call, then loads once for concurrent callers', async () => {
    // Prepare
    let loads = 0;
    const calls: string[] = [];
    const sender = lazySmsSender(async () => {
      loads += 1;
      return recordingSender(calls);
    });
    const before = loads;

    // Act
    const sent = await Promise.all([sender.send(credentials, message), sender.send(credentials, message)]);
    await sender.findSent(credentials, { to: message.to, body: 'Hello', since: new Date(0) });
    await sender.verifyAccount(credentials, { from: '+15550000002' });

    // Assess
    expect(before).toBe(0);
    expect(loads).toBe(1);
    expect(sent.map((s) => s.sid)).toEqual(['SM1', 'SM1']);
    expect(calls).toEqual(['send Hello', 'send Hello', 'findSent Hello', 'verifyAccount +15550000002']);
  });

  it('passes the errors of the adapter through unchanged', async () => {
    // Prepare
    const failure = new Error('refused');
    const sender = lazySmsSender<TwilioCredentials>(async () => ({
      ...recordingSender([]),
      send: async () => {
        throw failure;
      },
    }));

    // Act
    const attempt = sender.send(credentials, message);

    // Assess
    await expect(attempt).rejects.toBe(failure);
  });

  it('tries the load again after it failed, instead of failing every later call', async () => {
    // Prepare
    let attempts = 0;
    const load = once(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('transient');
      return 'loaded';
    });

    // Act
    const first = load();
    await first.catch(() => undefined);
    const second = await load();
    const third = await load();

    // Assess
    await expect(first).rejects.toThrow('transient');
    expect([second, third, attempts]).toEqual(['loaded', 'loaded', 2]);
  });

  it('publishes through the bus adapter it loads on the first entry', async () => {
    // Prepare
    const published: BusEntry[] = [];
    let loads = 0;
    const bus = lazyEventBus(async (): Promise<EventBusPublisher> => {
      loads += 1;
      return { publish: async (entry) => void published.push(entry) };
    });
    const entry: BusEntry = { eventBusArn: 'arn:bus', source: 'fineract.default', detailType: 'X.Y', detail: '{}' };

    // Act
    await bus.publish(entry);
    await bus.publish(entry);

    // Assess
    expect(loads).toBe(1);
    expect(published).toEqual([entry, entry]);
  });
});
