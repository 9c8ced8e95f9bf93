/**
 * Local twin of the stack's data key secret: DATA_DIR/data-key.json (mode 0600), generated on first use. The local
 * server and `cli --local` on the same data directory share it; whoever comes first writes it (exclusive create).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type DataKeySource, newDataKeyDocument } from '../data-protection';

export const DATA_KEY_FILE = 'data-key.json';

export function fileDataKeySource(dataDir: string): DataKeySource {
  const file = path.join(dataDir, DATA_KEY_FILE);
  return {
    async load() {
      try {
        return await fs.readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      try {
        await fs.writeFile(file, newDataKeyDocument(), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      return fs.readFile(file, 'utf8');
    },
  };
}
