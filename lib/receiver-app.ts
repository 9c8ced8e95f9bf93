import type { App } from 'aws-cdk-lib';
import { readStackName } from './config';
import { FineractHookReceiverStack } from './fineract-hook-receiver-stack';
import { applyNagChecks } from './nag';

/**
 * The receiver as `cdk` builds it: one stack named by `-c stackName=…` (default FineractHookReceiver), so a staging
 * and a production deployment fit in one account, and the cdk-nag checks on every synth.
 */
export function addReceiverStack(app: App): FineractHookReceiverStack {
  const stackName = readStackName((key) => app.node.tryGetContext(key));
  // Environment-agnostic on purpose: nothing needs a lookup, so the same template deploys to any account/region.
  const stack = new FineractHookReceiverStack(app, stackName, {
    stackName,
    description: 'Serverless receiver for MifosX/Apache Fineract hooks (SMS Bridge replacement and event forwarding)',
  });
  applyNagChecks(app);
  return stack;
}
