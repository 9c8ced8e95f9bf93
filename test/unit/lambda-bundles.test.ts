/**
 * The ingest function answers every hook, so its cold start is the sender's wait: its bundle (esbuild as the CDK
 * runs it, see bench/cold-start.ts) must stay small and free of what only other functions need.
 */
import path from 'node:path';
import { build } from 'esbuild';

const REPO_ROOT = path.resolve(__dirname, '../..');

async function bundle(
  fn: string,
): Promise<{ bytes: number; packages: Set<string>; external: Set<string>; lazy: Set<string> }> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [`lambdas/${fn}/handler.ts`],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    external: ['@aws-sdk/*'],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const packages = new Set(
    Object.keys(output.inputs)
      .filter((input) => input.includes('node_modules/'))
      .map((input) => {
        const [scope = '', name = ''] = input.slice(input.lastIndexOf('node_modules/') + 13).split('/');
        return scope.startsWith('@') ? `${scope}/${name}` : scope;
      }),
  );
  const external = new Set(output.imports.filter((i) => i.external && i.kind !== 'dynamic-import').map((i) => i.path));
  const lazy = new Set(output.imports.filter((i) => i.external && i.kind === 'dynamic-import').map((i) => i.path));
  return { bytes: output.bytes, packages, external, lazy };
}

describe('Lambda bundles', () => {
  it('keeps the ingest bundle under 100 KB (the bench target is 150 KB), without Twilio, libphonenumber, zod or Mustache', async () => {
    // Prepare
    const heavy = ['twilio', 'libphonenumber-js', 'zod', 'mustache'];

    // Act
    const ingest = await bundle('ingest');

    // Assess
    expect(ingest.bytes).toBeLessThanOrEqual(100 * 1024);
    expect(heavy.filter((p) => ingest.packages.has(p))).toEqual([]);
  });

  it('loads only the DynamoDB and SQS clients in ingest up front (Secrets Manager lazily), and bundles no SDK anywhere', async () => {
    // Prepare
    const functions = ['ingest', 'register', 'admin', 'twilio-status', 'worker', 'sweeper'];

    // Act
    const [ingest, ...others] = await Promise.all(functions.map(bundle));

    // Assess
    const sdkClients = [...ingest!.external].filter((p) => p.startsWith('@aws-sdk/')).sort();
    expect(sdkClients).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb']);
    // The Lambda client hands path variants to other functions; it is loaded on the first hand-over only. Secrets
    // Manager reads the data key that seals stored bodies, once per container (lambdas/adapters/data-protection.ts).
    expect([...ingest!.lazy].filter((p) => p.startsWith('@aws-sdk/')).sort()).toEqual([
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-secrets-manager',
    ]);
    for (const b of [ingest!, ...others]) expect([...b.packages].filter((p) => p.startsWith('@aws-sdk/'))).toEqual([]);
  });
});
