#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addReceiverStack } from '../lib/receiver-app';

addReceiverStack(new App());
