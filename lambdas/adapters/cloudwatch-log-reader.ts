/**
 * Reads the functions' log groups for `logs tail` with CloudWatch Logs FilterLogEvents: the tenant / event filter
 * runs server-side as a JSON filter pattern over the Powertools fields, pages are followed by nextToken.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type LogFilter, type LogLine, parseFields } from './log-lines';

/** `{ ($.tenantId = "acme") && ($.eventId = "…") }`, or undefined for every line. Ids are checked before. */
export function filterPattern(filter: Pick<LogFilter, 'tenantId' | 'eventId'>): string | undefined {
  const terms = [
    filter.tenantId ? `($.tenantId = "${filter.tenantId}")` : undefined,
    filter.eventId ? `($.eventId = "${filter.eventId}")` : undefined,
  ].filter(Boolean);
  return terms.length ? `{ ${terms.join(' && ')} }` : undefined;
}

export class CloudWatchLogReader {
  constructor(
    /** Log group name by function key. */
    private readonly groups: Record<string, string>,
    private readonly client = new CloudWatchLogsClient({}),
    private readonly maxPages = 20,
  ) {}

  async read(filter: LogFilter): Promise<LogLine[]> {
    const pattern = filterPattern(filter);
    const perGroup = await Promise.all(
      Object.entries(this.groups).map(([source, group]) => this.readGroup(source, group, filter.since, pattern)),
    );
    return perGroup.flat().sort((a, b) => a.timestamp - b.timestamp);
  }

  private async readGroup(source: string, group: string, since: number, pattern?: string): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.maxPages; page++) {
      const answer = await this.client.send(
        new FilterLogEventsCommand({ logGroupName: group, startTime: since, filterPattern: pattern, nextToken }),
      );
      for (const event of answer.events ?? []) {
        const raw = event.message ?? '';
        lines.push({
          timestamp: event.timestamp ?? 0,
          source,
          id: event.eventId ?? `${group}:${event.logStreamName}:${event.timestamp}:${raw.length}`,
          raw,
          fields: parseFields(raw),
        });
      }
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    return lines;
  }

  close(): void {
    this.client.destroy();
  }
}
