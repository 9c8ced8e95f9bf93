import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** A deployed stack's outputs by key (ApiUrl, <Fn>LogGroupName…), read with the operator's credentials. */
export async function readStackOutputs(stackName: string): Promise<Record<string, string>> {
  const client = new CloudFormationClient({});
  const out = await client.send(new DescribeStacksCommand({ StackName: stackName })).finally(() => client.destroy());
  return Object.fromEntries(
    (out.Stacks?.[0]?.Outputs ?? []).flatMap((o) =>
      o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
    ),
  );
}

/** The URL a local server on this DATA_DIR listens on (it writes `server.json` while it runs). */
export function readLocalServerUrl(dataDir: string): string | undefined {
  const file = path.join(path.resolve(dataDir), 'server.json');
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown };
  return typeof record.url === 'string' ? record.url : undefined;
}
