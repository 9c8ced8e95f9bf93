/**
 * The ingest function answers every hook, so its cold start is the sender's wait: its bundle (esbuild with the
 * stack's options, lib/bundling.ts; bench/cold-start.ts times it) must stay free of what only other functions
 * need, and carry its SDK clients itself with nothing but lazily loaded code left to the runtime. The other
 * functions carry theirs too; what they load on first use (Twilio, the AWS SMS and EventBridge clients) is built as
 * files beside them, by the stack's command line and the bench's API call alike.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import {
  esbuildOptionsFor,
  SDK_LAZY_EXTERNALS,
  SIDE_BUNDLE_OPTIONS,
  SIDE_BUNDLES,
  sideBundleCommand,
  sideBundlesFor,
} from '../../lib/bundling';

const REPO_ROOT = path.resolve(__dirname, '../..');

async function bundle(
  fn: string,
): Promise<{ bytes: number; packages: Set<string>; external: Set<string>; lazy: Set<string> }> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [`lambdas/${fn}/handler.ts`],
    ...esbuildOptionsFor(fn),
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
  it('keeps the ingest bundle under 350 KB with its SDK clients, without Twilio, libphonenumber, zod or Mustache', async () => {
    // Prepare
    const heavy = ['twilio', 'libphonenumber-js', 'zod', 'mustache', '@aws-sdk/client-secrets-manager'];

    // Act
    const ingest = await bundle('ingest');

    // Assess
    expect(ingest.bytes).toBeLessThanOrEqual(350 * 1024);
    expect(heavy.filter((p) => ingest.packages.has(p))).toEqual([]);
    expect(
      ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'].every((p) => ingest.packages.has(p)),
    ).toBe(true);
  });

  it('requires nothing of the runtime at ingest init: the Lambda client and the other credential sources load lazily', async () => {
    // Act
    const ingest = await bundle('ingest');

    // Assess: only its side file (the Secrets Manager client for the data key), required on first use
    // (test/integration/lazy-bundle-loads.test.ts runs it)
    expect([...ingest.external].filter((p) => !p.startsWith('node:'))).toEqual(
      sideBundlesFor('ingest').map((side) => `./${side.name}`),
    );
    expect([...ingest.lazy].filter((p) => !p.startsWith('node:') && !SDK_LAZY_EXTERNALS.ingest!.includes(p))).toEqual(
      [],
    );
    expect(ingest.lazy.has('@aws-sdk/client-lambda')).toBe(true);
  });

  it('carries the SDK clients of the worker, Secrets Manager included, and requires nothing of the runtime at init', async () => {
    // Act
    const worker = await bundle('worker');

    // Assess
    // Only the files built beside it (Twilio, the AWS SMS and EventBridge clients), required on their first use.
    expect([...worker.external].filter((p) => !isBuiltin(p))).toEqual(
      sideBundlesFor('worker').map((b) => `./${b.name}`),
    );
    expect(
      ['twilio', 'axios', '@aws-sdk/client-pinpoint-sms-voice-v2', '@aws-sdk/client-eventbridge'].filter((p) =>
        worker.packages.has(p),
      ),
    ).toEqual([]);
    expect([...worker.lazy].filter((p) => !isBuiltin(p) && !SDK_LAZY_EXTERNALS.worker!.includes(p))).toEqual([]);
    expect(
      ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager'].every((p) =>
        worker.packages.has(p),
      ),
    ).toBe(true);
  });

  it('carries the SDK clients of the other functions too, with nothing but later credential sources left out', async () => {
    // Prepare
    const functions = ['register', 'admin', 'twilio-status', 'sweeper'];

    // Act
    const others = await Promise.all(functions.map(async (fn) => ({ fn, ...(await bundle(fn)) })));

    // Assess
    for (const b of others) {
      expect([...b.external].filter((p) => !isBuiltin(p))).toEqual(sideBundlesFor(b.fn).map((s) => `./${s.name}`));
      expect([...b.lazy].filter((p) => !isBuiltin(p) && !SDK_LAZY_EXTERNALS[b.fn]!.includes(p))).toEqual([]);
      expect(b.packages.has('@aws-sdk/client-dynamodb')).toBe(true);
    }
  });

  it('builds a side file with the stack command line (afterBundling) exactly as the bench and the tests build it', async () => {
    // Prepare
    const side = SIDE_BUNDLES.worker!.find((b) => b.name === 'aws-sms-vendor')!;
    const dir = mkdtempSync(path.join(tmpdir(), 'fhr-side-bundle-'));
    const esbuildBin = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');

    try {
      // Act
      execSync(sideBundleCommand(esbuildBin, REPO_ROOT, side, dir), { cwd: REPO_ROOT, stdio: 'pipe' });
      const viaApi = await build({
        absWorkingDir: REPO_ROOT,
        entryPoints: [side.entry],
        ...SIDE_BUNDLE_OPTIONS,
        write: false,
        outfile: path.join(dir, 'api.js'),
        logLevel: 'silent',
      });

      // Assess
      expect(readFileSync(path.join(dir, `${side.name}.js`), 'utf8')).toBe(viaApi.outputFiles[0]!.text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
