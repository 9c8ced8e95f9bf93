import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * The functions' log line: Powertools' default less what the log group already says or nothing here uses. Each
 * function has its own log group (the function, its ARN and memory size), there is one service, no sampling and no
 * X-Ray tracing: those keys were ~330 of a line's ~680 bytes, and CloudWatch bills every byte ingested. Kept: the
 * invocation's request id (one invocation's lines), and `cold_start` on the lines of a cold one only.
 */
export class LambdaLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
    };
    if (context?.awsRequestId) base.function_request_id = context.awsRequestId;
    if (context?.coldStart) base.cold_start = true;
    return new LogItem({ attributes: base }).addAttributes(additionalLogAttributes);
  }
}
