import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeForwarder } from '../../lambdas/adapters/eventbridge-forwarder';

const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/mifos';
const entry = { eventBusArn: BUS, source: 'fineract.default', detailType: 'LOAN.REPAYMENT', detail: '{"type":"x"}' };

describe('EventBridgeForwarder', () => {
  const mock = mockClient(EventBridgeClient);
  beforeEach(() => mock.reset());

  it('puts one entry: bus, Source fineract.{tenant}, DetailType ENTITY.ACTION, the envelope as Detail', async () => {
    // Prepare
    mock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const forwarder = new EventBridgeForwarder(new EventBridgeClient({ region: 'eu-west-1' }));

    // Act
    await forwarder.publish(entry);

    // Assess
    const calls = mock.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.Entries).toEqual([
      { EventBusName: BUS, Source: 'fineract.default', DetailType: 'LOAN.REPAYMENT', Detail: '{"type":"x"}' },
    ]);
  });

  it('turns a failed entry (partial failure) into a retryable error', async () => {
    // Prepare
    mock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const forwarder = new EventBridgeForwarder(new EventBridgeClient({ region: 'eu-west-1' }));

    // Act
    const attempt = forwarder.publish(entry);

    // Assess
    await expect(attempt).rejects.toMatchObject({ retryable: true, code: 'FailedEntry', service: 'eventbridge' });
  });

  it('turns a failed call into a retryable error', async () => {
    // Prepare
    mock.on(PutEventsCommand).rejects(new Error('throttled'));
    const forwarder = new EventBridgeForwarder(new EventBridgeClient({ region: 'eu-west-1' }));

    // Act
    const attempt = forwarder.publish(entry);

    // Assess
    await expect(attempt).rejects.toMatchObject({ retryable: true, service: 'eventbridge' });
  });
});
