/**
 * `npm run bench:profile [ingest|ingest-no-worker|storage|storage-read-put|cold] …`: where the CPU goes, as the profile the
 * README's Performance section quotes.
 *   ingest / ingest-no-worker / storage / storage-read-put   the throughput section's load (distinct Fineract envelopes, 10
 *       connections) against that server; the profile covers the measured seconds only (inspector session in the
 *       server child, started after the warm-up), not the start-up.
 *   cold   `node --cpu-prof` of a fresh process requiring the ingest bundle as bench/cold-start.ts builds it (or
 *       another function's: `cold worker`).
 * Writes the .cpuprofile (open it in Chrome DevTools) to BENCH_PROFILE_DIR (default a temp dir) and prints its
 * summary (bench/profile-summary.ts). Knobs: BENCH_DURATION (s, default 8), BENCH_PROFILE_INTERVAL_US (default 200;
 * 0 measures events/s and CPU-ms/event without a profiler).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fire } from './cannon';
import { bundle, LAMBDA_ENV } from './cold-start';
import { eventSource } from './events';
import { Fakes, nextRange, register, ServerUnderTest, startReceiver } from './harness';
import { REPO_ROOT } from './ipc';
import { renderSummary, summarise } from './profile-summary';
import { processCpuMs } from './stats';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [what = 'ingest', fn = 'ingest'] = process.argv.slice(2);
const outDir = process.env.BENCH_PROFILE_DIR ?? mkdtempSync(path.join(tmpdir(), 'fhr-profile-'));
mkdirSync(outDir, { recursive: true });
const seconds = Number(process.env.BENCH_DURATION ?? 8);
const intervalUs = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 200);
/** BENCH_PROFILE_INTERVAL_US=0: the same load and CPU-ms/event figure without a profiler attached. */
const profiling = intervalUs > 0;

async function underLoad(mode: 'ingest' | 'ingest-no-worker' | 'storage' | 'storage-read-put'): Promise<void> {
  const storage = mode.startsWith('storage');
  const fakes = await Fakes.start();
  try {
    const server = storage
      ? await ServerUnderTest.start(mode as 'storage' | 'storage-read-put')
      : await startReceiver(fakes, mode === 'ingest-no-worker' ? { LOCAL_WORKER_CONCURRENCY: '0' } : {});
    try {
      const apiKey = storage ? 'fhk_not-checked' : await register(server, fakes);
      const source = eventSource({ apiKey, ...nextRange(), mix: 'envelope' });
      await fire({ url: server.url, connections: 10, durationSeconds: 2, source });
      const cpu0 = processCpuMs(server.pid);
      if (profiling) await server.profileStart(intervalUs);
      const run = await fire({ url: server.url, connections: 10, durationSeconds: seconds, source });
      const profile = profiling ? await server.profileStop() : undefined;
      const cpuMs = processCpuMs(server.pid) - cpu0;
      const perSecond = run.accepted.length / run.seconds;
      const figures = `${mode}: ${run.accepted.length} accepted in ${run.seconds.toFixed(1)} s (${perSecond.toFixed(0)}/s), ${(cpuMs / run.accepted.length).toFixed(2)} CPU-ms/event`;
      if (!profile) {
        process.stdout.write(`${figures} (no profiler)\n`);
        return;
      }
      const file = path.join(outDir, `${mode}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      process.stdout.write(`${figures} (profiler on)\n${file}\n\n`);
      process.stdout.write(`${renderSummary(summarise(profile as never, 25))}\n`);
    } finally {
      await server.stop();
    }
  } finally {
    await fakes.stop();
  }
}

async function cold(name: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhr-profile-bundle-'));
  const built = await bundle(path.join(REPO_ROOT, 'lambdas', name, 'handler.ts'), path.join(dir, name), name);
  const script = path.join(dir, 'require.cjs');
  writeFileSync(script, 'require(process.argv[2]);\n');
  const profDir = path.join(outDir, `cold-${name}-${Date.now()}`);
  mkdirSync(profDir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', NODE_PATH: path.join(REPO_ROOT, 'node_modules'), ...LAMBDA_ENV };
  const out = spawnSync(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${Math.min(intervalUs, 50)}`, script, built.file],
    { cwd: dir, env, encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(out.stderr);
  const file = path.join(profDir, readdirSync(profDir)[0]!);
  process.stdout.write(`cold require of the ${name} bundle (${(built.bytes / 1024).toFixed(1)} KiB)\n${file}\n\n`);
  process.stdout.write(`${renderSummary(summarise(JSON.parse(readFileSync(file, 'utf8')), 25))}\n`);
}

(what === 'cold' ? cold(fn) : underLoad(what as 'ingest')).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
