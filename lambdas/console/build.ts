/**
 * Builds the web console (lambdas/console/web) into hashed, precompressed files plus a manifest, the form the
 * admin function serves (adapters/console-assets.ts). `npm start` and `npm test` build into build/console; the
 * stack's bundling runs it into the admin function's asset, so both serve the same bytes.
 *   tsx lambdas/console/build.ts [outDir]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const WEB = path.join(__dirname, 'web');
export const DEFAULT_OUT_DIR = path.join(__dirname, '..', '..', 'build', 'console');

const hashOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

function page(script: string, style: string): string {
  // No inline script or style anywhere: the CSP allows 'self' only.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hook receiver console</title>
<link rel="stylesheet" href="/console/assets/${style}">
<script type="module" src="/console/assets/${script}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading…</p></div>
</body>
</html>
`;
}

export async function buildConsole(outDir = DEFAULT_OUT_DIR): Promise<Record<string, string>> {
  const result = await build({
    entryPoints: [path.join(WEB, 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(WEB, 'tsconfig.json'),
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const script = result.outputFiles[0]!.contents;
  const style = readFileSync(path.join(WEB, 'styles.css'));
  const scriptName = `app.${hashOf(script)}.js`;
  const styleName = `app.${hashOf(style)}.css`;
  const files: Record<string, [Uint8Array, string]> = {
    [scriptName]: [script, 'text/javascript; charset=utf-8'],
    [styleName]: [style, 'text/css; charset=utf-8'],
    'index.html': [Buffer.from(page(scriptName, styleName), 'utf8'), 'text/html; charset=utf-8'],
  };
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest: Record<string, string> = {};
  for (const [name, [bytes, contentType]] of Object.entries(files)) {
    const file = path.join(outDir, name);
    writeFileSync(file, bytes);
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }),
    );
    manifest[name] = contentType;
  }
  writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify({ files: manifest }, null, 2)}\n`);
  return manifest;
}

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
  buildConsole(outDir).then(
    (manifest) => process.stdout.write(`console built into ${outDir}: ${Object.keys(manifest).join(', ')}\n`),
    (error: unknown) => {
      process.stderr.write(`console build failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
