import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnConfigurationSet } from 'aws-cdk-lib/aws-smsvoice';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { HookFunction } from './hook-function';

export interface AwsSmsProps {
  /** Ids or ARNs from `-c smsOriginationIdentities` (lib/config.ts checked their shape). */
  readonly identities: readonly string[];
  readonly worker: HookFunction;
  readonly register: HookFunction;
  /** Receives the delivery events (the function behind the HTTP delivery reports). */
  readonly status: HookFunction;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * AWS End User Messaging SMS for `aws` tenants: a configuration set whose event destination is an encrypted SNS
 * topic subscribed by the status function, `sms-voice:SendTextMessage` for the worker on the named identities and
 * the configuration set only, and the describe calls registration makes on the same identities.
 */
export class AwsSms extends Construct {
  readonly configurationSet: CfnConfigurationSet;
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AwsSmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const identityArns = props.identities.map((identity) => identityArn(stack, identity));
    const smsVoice = new ServicePrincipal('sms-voice.amazonaws.com');
    // Confused-deputy guard: the SMS service acting for this account only.
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };

    const key = new Key(this, 'EventsKey', {
      description: 'Encrypts the AWS SMS delivery events topic of the hook receiver',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSmsVoiceEvents',
        principals: [smsVoice],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccount,
      }),
    );
    this.topic = new Topic(this, 'EventsTopic', {
      displayName: 'Fineract hook receiver AWS SMS delivery events',
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSmsVoiceEvents',
        principals: [smsVoice],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisAccount,
      }),
    );
    this.topic.addSubscription(new LambdaSubscription(props.status.lambda));

    this.configurationSet = new CfnConfigurationSet(this, 'ConfigurationSet', {
      eventDestinations: [
        {
          eventDestinationName: 'delivery-reports',
          enabled: true,
          // The carrier's answers; TEXT_SENT is not supported as a destination type, the rest change nothing.
          matchingEventTypes: [
            'TEXT_SUCCESSFUL',
            'TEXT_DELIVERED',
            'TEXT_INVALID',
            'TEXT_INVALID_MESSAGE',
            'TEXT_UNREACHABLE',
            'TEXT_CARRIER_UNREACHABLE',
            'TEXT_BLOCKED',
            'TEXT_CARRIER_BLOCKED',
            'TEXT_SPAM',
            'TEXT_TTL_EXPIRED',
          ],
          snsDestination: { topicArn: this.topic.topicArn },
        },
      ],
    });
    // The service checks it may publish when the destination is created.
    this.configurationSet.node.addDependency(this.topic);
    const configurationSetArn = stack.formatArn({
      service: 'sms-voice',
      resource: 'configuration-set',
      resourceName: this.configurationSet.ref,
    });

    props.worker.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sms-voice:SendTextMessage'],
        resources: [...identityArns, configurationSetArn],
      }),
    );
    props.worker.setEnv('SMS_CONFIGURATION_SET', this.configurationSet.ref);
    props.register.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sms-voice:DescribePhoneNumbers', 'sms-voice:DescribePools', 'sms-voice:DescribeSenderIds'],
        resources: identityArns,
      }),
    );
    for (const fn of [props.worker, props.register]) {
      fn.setEnv('SMS_ORIGINATION_IDENTITIES', props.identities.join(','));
    }
  }
}

/** An id becomes this account's and region's ARN; an ARN stays as given. */
export function identityArn(stack: Stack, identity: string): string {
  if (identity.startsWith('arn:')) return identity;
  const resource = identity.startsWith('pool-') ? 'pool' : 'phone-number';
  return stack.formatArn({ service: 'sms-voice', resource, resourceName: identity });
}
