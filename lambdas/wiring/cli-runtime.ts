import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DataProtection, noPhoneHashing, secretsManagerDataKeySource } from '../adapters/data-protection';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { fileDataKeySource } from '../adapters/local/file-data-key';
import { createTables, startEmbeddedDynamoDb } from '../adapters/local/embedded-dynamodb';
import { FileSecretStore } from '../adapters/local/file-secret-store';
import { EventBridgeForwarder } from '../adapters/eventbridge-forwarder';
import { JsonlEventBus } from '../adapters/local/jsonl-event-bus';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { SecretsManagerTargetSecretStore } from '../adapters/secrets-manager-target-secrets';
import { redriveDeadLetters, SqsWorkQueue } from '../adapters/sqs-work-queue';
import { systemClock } from '../core/clock';
import type {
  Clock,
  ConsoleSessionStore,
  EventBusPublisher,
  EventSearch,
  PhoneHasher,
  Queue,
  SecretStore,
  TargetSecretStore,
  WebhookSender,
} from '../core/ports';
import { MissingSettingError, readSettings, type Settings } from '../core/settings';
import { createHttpForwarder } from './outbound';
import {
  createConsoleSessionStore,
  createForwardStores,
  createLocalDocumentClient,
  createStores,
  type ForwardStores,
  type Stores,
} from './stores';

/** The CLI's composition root: the stores, secrets and queue of one deployment, AWS or local. */
export interface CliRuntime extends Stores, ForwardStores {
  target: string;
  settings: Settings;
  secrets: SecretStore;
  queue: Queue;
  clock: Clock;
  /** Forwarding targets' signing secrets, and what `targets test` sends with. */
  targetSecrets: TargetSecretStore;
  webhooks: WebhookSender;
  bus: EventBusPublisher;
  /** `events find`: the searches and the keyed hash of a phone number (absent in runtimes of other tests). */
  search?: EventSearch;
  phones?: PhoneHasher;
  /** Web console sign-in links (`console link`). */
  sessions: ConsoleSessionStore;
  /** SQS DLQ redrive (AWS only). */
  redriveDeadLetters?: () => Promise<string>;
  close(): Promise<void>;
}

/**
 * The operator CLI's view of one deployment: AWS (tables and queue from a stack's outputs or the environment,
 * with the operator's own IAM credentials) or a local server's DATA_DIR.
 */
export async function openCliRuntime(options: {
  target: 'aws' | 'local';
  stack?: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<CliRuntime> {
  const env = options.env ?? process.env;
  return options.target === 'aws' ? openAws(options.stack, env) : openLocal(options.dataDir, env);
}

async function openAws(stack: string | undefined, processEnv: NodeJS.ProcessEnv): Promise<CliRuntime> {
  const env: NodeJS.ProcessEnv = { ...processEnv };
  if (stack) {
    const out = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
    const outputs = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    env.TENANTS_TABLE ??= outputs.TenantsTableName;
    env.EVENTS_TABLE ??= outputs.EventsTableName;
    env.QUEUE_URL ??= outputs.QueueUrl;
    env.DLQ_URL ??= outputs.DeadLetterQueueUrl;
    env.SECRET_PREFIX ??= outputs.SecretPrefix;
    env.DATA_KEY_SECRET_ARN ??= outputs.DataKeySecretArn;
    // Printed links (`console link`) point at the stack's API.
    env.PUBLIC_BASE_URL ??= outputs.ApiUrl;
  }
  const settings = readSettings(env, { require: ['QUEUE_URL'], hint: 'pass --stack <name> or set it' });
  const doc = createDocumentClient();
  const sqs = new SQSClient({});
  const protection = settings.dataKeySecretArn
    ? new DataProtection(secretsManagerDataKeySource(settings.dataKeySecretArn))
    : undefined;
  return {
    target: `AWS (${settings.tenantsTable}, ${settings.eventsTable})`,
    settings,
    ...createStores(doc, settings, protection),
    phones: protection ?? noPhoneHashing,
    ...createForwardStores(doc, settings),
    sessions: createConsoleSessionStore(doc, settings),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix, cacheTtlMs: 0 }),
    queue: new SqsWorkQueue(sqs, settings.queueUrl, settings.deadLetterQueueUrl),
    clock: systemClock,
    targetSecrets: new SecretsManagerTargetSecretStore({ prefix: settings.secretPrefix, cacheTtlMs: 0 }),
    webhooks: createHttpForwarder(settings),
    bus: new EventBridgeForwarder(),
    redriveDeadLetters: async () => {
      if (!settings.deadLetterQueueUrl) throw new MissingSettingError('DLQ_URL', 'pass --stack <name> or set it');
      return redriveDeadLetters(sqs, { deadLetterQueueUrl: settings.deadLetterQueueUrl, queueUrl: settings.queueUrl });
    },
    close: async () => {
      doc.destroy();
      sqs.destroy();
    },
  };
}

async function openLocal(dataDir: string, env: NodeJS.ProcessEnv): Promise<CliRuntime> {
  const dir = path.resolve(dataDir);
  // Stores are swept by the running server: "enqueue" just makes the event due now.
  const serverFile = path.join(dir, 'server.json');
  let endpoint: string;
  let close = async () => {};
  const running = existsSync(serverFile)
    ? (JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number; url?: string; dynamodbEndpoint: string })
    : undefined;
  // The running server's URL makes printed Payload URLs (`tenants create`) ready to paste.
  const serverUrl = running && isAlive(running.pid) ? running.url : undefined;
  const settings = readSettings({
    ...(serverUrl ? { PUBLIC_BASE_URL: serverUrl } : {}),
    ...env,
    SWEEP_GRACE_SECONDS: '0',
  });
  if (running && isAlive(running.pid)) {
    endpoint = running.dynamodbEndpoint;
  } else {
    const db = await startEmbeddedDynamoDb({ path: path.join(dir, 'dynamodb') });
    await createTables(db.client, settings);
    endpoint = db.endpoint;
    close = db.close;
  }
  const doc = createLocalDocumentClient(endpoint);
  const secrets = new FileSecretStore({ dataDir: dir });
  const protection = new DataProtection(fileDataKeySource(dir));
  return {
    target: `local data in ${dir}${running && isAlive(running.pid) ? ' (through the running server)' : ''}`,
    settings,
    ...createStores(doc, settings, protection),
    phones: protection,
    ...createForwardStores(doc, settings),
    sessions: createConsoleSessionStore(doc, settings),
    secrets,
    queue: { enqueue: async () => {} },
    clock: systemClock,
    targetSecrets: secrets,
    webhooks: createHttpForwarder(settings),
    bus: new JsonlEventBus(dir),
    close: async () => {
      doc.destroy();
      await close();
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
