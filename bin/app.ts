#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { FineractHookReceiverStack } from '../lib/fineract-hook-receiver-stack';
import { applyNagChecks } from '../lib/nag';

const app = new App();

// Environment-agnostic on purpose: nothing needs a lookup, so the same template deploys to any account/region.
new FineractHookReceiverStack(app, 'FineractHookReceiver', {
  description: 'Serverless receiver for MifosX/Apache Fineract hooks (SMS Bridge replacement and event forwarding)',
});

applyNagChecks(app);
