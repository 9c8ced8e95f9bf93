import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConsoleAsset, ConsoleAssets } from '../core/ports';

/** What the console build writes beside the files (lambdas/console/build.ts). */
export interface ConsoleManifest {
  /** File name → content type; each file has `.gz` and `.br` siblings. */
  files: Record<string, string>;
}

/**
 * The built console from a directory: `build/console` for the local server, the `console/` folder the stack's
 * bundling copies next to the admin function's code in AWS. Read once, on first use; a missing build serves 503.
 */
export function directoryConsoleAssets(dir: string): ConsoleAssets {
  let loaded: Map<string, ConsoleAsset> | undefined;
  const load = () => {
    const files = new Map<string, ConsoleAsset>();
    const manifestFile = path.join(dir, 'manifest.json');
    if (!existsSync(manifestFile)) return files;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ConsoleManifest;
    for (const [name, contentType] of Object.entries(manifest.files)) {
      const file = path.join(dir, name);
      files.set(name, {
        contentType,
        identity: readFileSync(file),
        gzip: readFileSync(`${file}.gz`),
        br: readFileSync(`${file}.br`),
      });
    }
    return files;
  };
  return {
    get(name) {
      loaded ??= load();
      return loaded.get(name);
    },
  };
}
