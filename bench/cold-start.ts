/**
 * 3. Cold start: each Lambda entry bundled as lib/hook-function.ts has the CDK bundle it (esbuild with the options
 * of lib/bundling.ts: platform node, target node24, cjs, minified; each carries its own tree-shaken SDK clients,
 * and the files it requires on first use are built beside it), its size, and its module init time: the median
 * over fresh `node` processes of the time `require()` of the bundle takes, measured inside the child with
 * process.hrtime so node's own boot is excluded. Compared with an empty handler bundled the same way.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { esbuildOptionsFor, SIDE_BUNDLE_OPTIONS, sideBundlesFor } from '../lib/bundling';
import { REPO_ROOT } from './ipc';
import { median, round } from './stats';

export const FUNCTIONS = ['ingest', 'register', 'admin', 'twilio-status', 'worker', 'sweeper'] as const;
export type BundleName = (typeof FUNCTIONS)[number] | 'empty';

export interface BundleInput {
  path: string;
  kib: number;
}

export interface ColdStartBundle {
  name: BundleName;
  bytes: number;
  /** Wall time of require() (hrtime), median; undefined when this bundle was not timed. */
  initMedianMs?: number;
  /** Median init minus the empty handler's median init. */
  initOverEmptyMs?: number;
  /** The same in CPU time (process.cpuUsage): far less sensitive to other processes competing for the CPU. */
  initCpuMedianMs?: number;
  initCpuOverEmptyMs?: number;
  initSamplesMs?: number[];
  /** The largest inputs by bytes in the output, and the same grouped by npm package (or "lambdas/…"). */
  topInputs: BundleInput[];
  topPackages: BundleInput[];
  /** Bytes of the AWS SDK (and its own dependencies) inside the bundle: 0 where the runtime's copy is used. */
  sdkBytes: number;
}

export interface ColdStartResult {
  runs: number;
  /** How the children find the externals. */
  resolution: string;
  bundles: ColdStartBundle[];
}

/** Module-level code reads these (readSettings is lazy, Powertools reads its own at construction). */
export const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  TENANTS_TABLE: 'hook-tenants',
  EVENTS_TABLE: 'hook-events',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work-dlq',
  SECRET_PREFIX: 'fineract-hooks/tenants/',
  POWERTOOLS_SERVICE_NAME: 'fineract-hook-receiver',
  POWERTOOLS_METRICS_NAMESPACE: 'FineractHookReceiver',
  LOG_LEVEL: 'INFO',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Runs in the fresh child: wall time (hrtime) and CPU time (cpuUsage) of the require() alone. */
const MEASURE = `
const bundle = process.argv[2];
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const mod = require(bundle);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage(c0);
if (typeof mod.handler !== 'function') throw new Error('no handler export in ' + bundle);
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6, cpuMs: (c1.user + c1.system) / 1000 }));
`;

/**
 * Every function is bundled (sizes); init is timed for `timed` (default: the empty handler, ingest and worker,
 * the two with targets — 21 node processes each).
 */
export async function measureColdStart(options: { runs: number; timed: BundleName[] }): Promise<ColdStartResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhr-bench-bundles-'));
  try {
    const emptyEntry = path.join(dir, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const entries: [BundleName, string][] = [
      ['empty', emptyEntry],
      ...FUNCTIONS.map((fn): [BundleName, string] => [fn, path.join(REPO_ROOT, 'lambdas', fn, 'handler.ts')]),
    ];
    const built = [];
    for (const [name, entry] of entries) built.push({ name, ...(await bundle(entry, path.join(dir, name), name)) });

    const measure = path.join(dir, 'measure-init.cjs');
    writeFileSync(measure, MEASURE);
    const env = { PATH: process.env.PATH ?? '', NODE_PATH: path.join(REPO_ROOT, 'node_modules'), ...LAMBDA_ENV };
    const timed = built.filter((b) => options.timed.includes(b.name) || b.name === 'empty');
    const wall = new Map<BundleName, number[]>(timed.map((b) => [b.name, []]));
    const cpu = new Map<BundleName, number[]>(timed.map((b) => [b.name, []]));
    const once = (file: string) => {
      const out = spawnSync(process.execPath, [measure, file], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
      if (out.status !== 0) throw new Error(`init of ${file} failed: ${out.stderr || out.error}`);
      return JSON.parse(out.stdout) as { ms: number; cpuMs: number };
    };
    // One untimed load each (page cache), then rounds in a rotating order so load drift hits every bundle alike.
    for (const b of timed) once(b.file);
    for (let r = 0; r < options.runs; r++) {
      for (let i = 0; i < timed.length; i++) {
        const b = timed[(i + r) % timed.length]!;
        const sample = once(b.file);
        wall.get(b.name)!.push(sample.ms);
        cpu.get(b.name)!.push(sample.cpuMs);
      }
    }
    const emptyWall = median(wall.get('empty')!);
    const emptyCpu = median(cpu.get('empty')!);
    return {
      runs: options.runs,
      resolution: `bundles in a temp dir; children run with NODE_PATH=${path.join(REPO_ROOT, 'node_modules')} so the external @aws-sdk/* resolve from the repo's node_modules (Lambda's runtime provides them)`,
      bundles: built.map((b) => {
        const w = wall.get(b.name);
        const c = cpu.get(b.name);
        return {
          name: b.name,
          bytes: b.bytes,
          ...(w && c
            ? {
                initMedianMs: round(median(w), 2),
                initOverEmptyMs: round(median(w) - emptyWall, 2),
                initCpuMedianMs: round(median(c), 2),
                initCpuOverEmptyMs: round(median(c) - emptyCpu, 2),
                initSamplesMs: w.map((v) => round(v, 2)),
              }
            : {}),
          topInputs: b.topInputs,
          topPackages: b.topPackages,
          sdkBytes: b.sdkBytes,
        };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bundles `entry` with the options the stack gives the function `entryDir` (lib/bundling.ts). */
export async function bundle(
  entry: string,
  outDir: string,
  entryDir: string,
): Promise<{ file: string; bytes: number; topInputs: BundleInput[]; topPackages: BundleInput[]; sdkBytes: number }> {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'index.js');
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile: file,
    ...esbuildOptionsFor(entryDir),
    metafile: true,
    logLevel: 'silent',
  });
  // The files the bundle requires from beside itself on first use, as the stack's afterBundling hook builds them.
  for (const side of sideBundlesFor(entryDir)) {
    await build({
      absWorkingDir: REPO_ROOT,
      entryPoints: [side.entry],
      outfile: path.join(outDir, `${side.name}.js`),
      ...SIDE_BUNDLE_OPTIONS,
      logLevel: 'silent',
    });
  }
  return { file, bytes: statSync(file).size, ...largestInputs(result.metafile) };
}

/** The SDK's packages and the few third-party packages only the SDK pulls in (its endpoint cache). */
const SDK_PACKAGE = /^(@aws-sdk\/|@smithy\/|@aws\/|mnemonist$|obliterator$|tslib$)/;

function largestInputs(metafile: Metafile): {
  topInputs: BundleInput[];
  topPackages: BundleInput[];
  sdkBytes: number;
} {
  const output = Object.values(metafile.outputs)[0]!;
  const inputs = Object.entries(output.inputs).map(([p, v]) => ({ path: p, bytes: v.bytesInOutput }));
  const byPackage = new Map<string, number>();
  for (const input of inputs) {
    const key = packageOf(input.path);
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytes);
  }
  const kib = (bytes: number) => round(bytes / 1024, 1);
  let sdkBytes = 0;
  for (const [p, bytes] of byPackage) if (SDK_PACKAGE.test(p)) sdkBytes += bytes;
  return {
    sdkBytes,
    topInputs: inputs
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8)
      .map((i) => ({ path: i.path, kib: kib(i.bytes) })),
    topPackages: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([p, bytes]) => ({ path: p, kib: kib(bytes) })),
  };
}

function packageOf(input: string): string {
  // The innermost package: twilio/node_modules/axios counts as axios.
  const at = input.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [scope = '', name = ''] = input.slice(at + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const local = /^(lambdas\/[^/]+)/.exec(input);
  return local ? `${local[1]}/` : input;
}
