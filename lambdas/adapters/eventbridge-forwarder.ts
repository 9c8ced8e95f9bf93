import type { EventBridgeClientConfig, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { EventBridgeClient, PutEventsCommand } from './eventbridge-vendor';
import { DownstreamError } from '../core/errors';
import type { BusEntry } from '../core/model';
import type { EventBusPublisher } from '../core/ports';

/**
 * EventBridge targets: one PutEvents entry per forwarded event. A failed entry (FailedEntryCount, an ErrorCode)
 * was not put on the bus and is retried on the delivery's schedule; so is a failed call.
 */
export class EventBridgeForwarder implements EventBusPublisher {
  constructor(private readonly client: EventBridgeClient = new EventBridgeClient({})) {}

  async publish(entry: BusEntry): Promise<void> {
    let out: PutEventsCommandOutput;
    try {
      out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: entry.eventBusArn,
              Source: entry.source,
              DetailType: entry.detailType,
              Detail: entry.detail,
            },
          ],
        }),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DownstreamError('eventbridge', `PutEvents failed: ${message}`, { retryable: true });
    }
    const failed = (out.Entries ?? []).find((e) => e.ErrorCode);
    if ((out.FailedEntryCount ?? 0) > 0 || failed) {
      throw new DownstreamError(
        'eventbridge',
        `the entry was not put on the bus: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim(),
        { retryable: true, code: 'FailedEntry' },
      );
    }
  }
}

/**
 * The forwarder with its own client, for a caller that imports this module dynamically: importing the SDK package
 * that way would keep every command of it in the bundle.
 */
export function eventBridgeForwarder(clientConfig: EventBridgeClientConfig): EventBridgeForwarder {
  return new EventBridgeForwarder(new EventBridgeClient(clientConfig));
}
